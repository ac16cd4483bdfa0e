// One named logger per stage (fetch, parse, dedupe, publish, ...), all writing to one sink.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace newsd::log {

// The logger for `stage`, created on first use with the process-wide sink and level.
std::shared_ptr<spdlog::logger> get(const std::string& stage);

// Sets the level of every stage logger ("trace".."off"); unknown names mean "info".
void set_level(const std::string& level);

}  // namespace newsd::log
