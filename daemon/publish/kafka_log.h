// librdkafka's own log lines (broker connections, idempotence, ...) through newsd's logger
// named "kafka", so they take the configured format (text, JSON lines, journald) instead of
// librdkafka's raw "%4|…|FAC|…" lines on stderr.
//
// Thread-safety: librdkafka calls the callback on its own threads, several at once; the
// limiter takes a lock and spdlog's loggers are thread-safe.
#pragma once

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace newsd::publish {

// librdkafka's syslog severity (0 emergency .. 7 debug) as a logger level.
spdlog::level::level_enum kafka_log_level(int syslog_level);

// Lets one line of each kind through per window. librdkafka repeats a failing broker's line
// with new numbers and a new parenthesised trailer each time ("(after 0ms in state CONNECT,
// 1 identical error(s) suppressed)"), so a kind is the facility plus the text before any " ("
// with its digits left out. The first line after the window says how many were held back.
class KafkaLogLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit KafkaLogLimiter(std::chrono::seconds window) : window_(window) {}

  // The message to log ("FAC: text"), or nullopt while a line of its kind was logged within
  // the window.
  std::optional<std::string> admit(std::string_view facility, std::string_view text,
                                   Clock::time_point now);

 private:
  static constexpr std::size_t kMaxKinds = 1024;
  struct Seen {
    Clock::time_point logged;
    std::size_t held_back = 0;
  };
  std::mutex mutex_;
  std::chrono::seconds window_;
  std::unordered_map<std::string, Seen> seen_;
};

// Sends every log line of the client made from `conf` to the "kafka" logger; warnings and
// worse are rate-limited per kind (one a minute), as newsd's own are.
void route_kafka_logs(rd_kafka_conf_t* conf);

}  // namespace newsd::publish
