#include "core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>

namespace newsd::log {
namespace {

std::mutex g_mutex;
spdlog::level::level_enum g_level = spdlog::level::info;

spdlog::sink_ptr sink() {
  // Logs go to stderr so that stdout stays clean for JSON Lines output.
  static spdlog::sink_ptr s = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  return s;
}

}  // namespace

std::shared_ptr<spdlog::logger> get(const std::string& stage) {
  std::lock_guard lock(g_mutex);
  if (auto existing = spdlog::get(stage)) return existing;
  auto logger = std::make_shared<spdlog::logger>(stage, sink());
  logger->set_level(g_level);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  spdlog::register_logger(logger);
  return logger;
}

void set_level(const std::string& level) {
  std::lock_guard lock(g_mutex);
  g_level = spdlog::level::from_str(level);
  if (g_level == spdlog::level::off && level != "off") g_level = spdlog::level::info;
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->set_level(g_level); });
}

}  // namespace newsd::log
