#include "publish/kafka_log.h"

#include <fmt/format.h>

#include "core/log.h"

namespace newsd::publish {
namespace {

// One for the process: librdkafka's log callback carries no state of ours that outlives the
// client, and newsd makes one producer.
struct KafkaLog {
  std::shared_ptr<spdlog::logger> logger = log::get("kafka");
  KafkaLogLimiter limiter{std::chrono::seconds(60)};
};

KafkaLog& kafka_log() {
  static KafkaLog instance;  // initialised once, thread-safely, before the first client
  return instance;
}

void on_log(const rd_kafka_t*, int level, const char* facility, const char* text) noexcept {
  try {
    KafkaLog& k = kafka_log();
    const spdlog::level::level_enum l = kafka_log_level(level);
    if (!k.logger->should_log(l)) return;
    if (l < spdlog::level::warn) {
      k.logger->log(l, "{}: {}", facility, text);
    } else if (auto message = k.limiter.admit(facility, text, KafkaLogLimiter::Clock::now())) {
      k.logger->log(l, "{}", *message);
    }
  } catch (...) {  // a log line is not worth unwinding into librdkafka's C frames
  }
}

}  // namespace

spdlog::level::level_enum kafka_log_level(int syslog_level) {
  if (syslog_level <= 2) return spdlog::level::critical;  // LOG_EMERG, LOG_ALERT, LOG_CRIT
  if (syslog_level == 3) return spdlog::level::err;
  if (syslog_level == 4) return spdlog::level::warn;
  if (syslog_level <= 6) return spdlog::level::info;  // LOG_NOTICE, LOG_INFO
  return spdlog::level::debug;
}

std::optional<std::string> KafkaLogLimiter::admit(std::string_view facility, std::string_view text,
                                                  Clock::time_point now) {
  std::string kind(facility);
  kind += '\0';
  // "… (after 0ms in state CONNECT, 1 identical error(s) suppressed)": the trailer varies.
  for (const char c : text.substr(0, text.find(" ("))) {
    if (c < '0' || c > '9') kind += c;
  }
  std::lock_guard lock(mutex_);
  auto it = seen_.find(kind);
  if (it != seen_.end() && now - it->second.logged < window_) {
    ++it->second.held_back;
    return std::nullopt;
  }
  const std::size_t held_back = it == seen_.end() ? 0 : it->second.held_back;
  if (it == seen_.end() && seen_.size() >= kMaxKinds) seen_.clear();
  seen_[kind] = Seen{now, 0};
  if (held_back == 0) return fmt::format("{}: {}", facility, text);
  return fmt::format("{}: {} ({} similar messages suppressed)", facility, text, held_back);
}

void route_kafka_logs(rd_kafka_conf_t* conf) {
  kafka_log();
  rd_kafka_conf_set_log_cb(conf, &on_log);
}

}  // namespace newsd::publish
