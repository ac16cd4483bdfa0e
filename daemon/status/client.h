// `newsd status`: asks the running daemon (the metrics listener of the configuration) for its
// sources and prints them, failing ones first.
#pragma once

#include <string>

namespace newsd::status {

// Exit statuses, as docs/operations.md lists them.
inline constexpr int kStatusOk = 0;           // every source ok (or paused)
inline constexpr int kStatusFailing = 1;      // some source failing or backing off
inline constexpr int kStatusUnreachable = 2;  // no answer, or not the status API
inline constexpr int kStatusConfig = 78;      // the configuration cannot be read

int status_command(const std::string& config_path, bool json);

// The address `newsd status` asks for a `metrics.listen` value: a wildcard host becomes
// loopback ("0.0.0.0:9464" -> "127.0.0.1", "9464").
std::pair<std::string, std::string> daemon_address(const std::string& listen);

}  // namespace newsd::status
