#include "core/log.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <unordered_map>

namespace newsd::log {
namespace {

constexpr const char* kPattern = "%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v";
std::mutex g_mutex;
spdlog::level::level_enum g_level = spdlog::level::info;
thread_local std::string t_source;
thread_local std::string t_post;

int syslog_priority(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return LOG_DEBUG;
    case spdlog::level::info:
      return LOG_INFO;
    case spdlog::level::warn:
      return LOG_WARNING;
    case spdlog::level::err:
      return LOG_ERR;
    case spdlog::level::critical:
      return LOG_CRIT;
    case spdlog::level::off:
    case spdlog::level::n_levels:
      break;
  }
  return LOG_INFO;
}

std::string_view payload(const spdlog::details::log_msg& m) {
  return {m.payload.data(), m.payload.size()};
}

// JSON lines on stderr: {"time","level","stage","msg"[,"source"][,"post_id"]}.
class JsonSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& m) override {
    boost::json::object o;
    const auto ms = std::chrono::time_point_cast<std::chrono::milliseconds>(m.time);
    const std::time_t secs = std::chrono::system_clock::to_time_t(m.time);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  int(ms.time_since_epoch().count() % 1000));
    o["time"] = buf;
    o["level"] = std::string(spdlog::level::to_string_view(m.level).data(),
                             spdlog::level::to_string_view(m.level).size());
    o["stage"] = std::string(m.logger_name.data(), m.logger_name.size());
    o["msg"] = payload(m);
    if (!t_source.empty()) o["source"] = t_source;
    if (!t_post.empty()) o["post_id"] = t_post;
    const std::string line = boost::json::serialize(o) + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

// journald with structured fields, so `journalctl NEWSD_SOURCE=finews` finds one source.
class JournaldSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& m) override {
    std::vector<std::string> fields = {
        "MESSAGE=" + std::string(payload(m)),
        "PRIORITY=" + std::to_string(syslog_priority(m.level)),
        "SYSLOG_IDENTIFIER=newsd",
        "NEWSD_STAGE=" + std::string(m.logger_name.data(), m.logger_name.size()),
    };
    if (!t_source.empty()) fields.push_back("NEWSD_SOURCE=" + t_source);
    if (!t_post.empty()) fields.push_back("NEWSD_POST_ID=" + t_post);
    std::vector<iovec> iov;
    iov.reserve(fields.size());
    for (auto& f : fields) iov.push_back({f.data(), f.size()});
    sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
  }
  void flush_() override {}
};

// Passes each distinct warning/error once per window; the first one after the window notes
// how many were held back. Bounded: at most kMaxKeys distinct messages are remembered.
class RateLimitSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  RateLimitSink(spdlog::sink_ptr target, std::chrono::seconds window)
      : target_(std::move(target)), window_(window) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& m) override {
    if (m.level < spdlog::level::warn || window_.count() == 0) {
      target_->log(m);
      return;
    }
    std::string key(m.logger_name.data(), m.logger_name.size());
    key += '\0';
    key.append(payload(m));
    const auto now = m.time;
    auto it = seen_.find(key);
    if (it != seen_.end() && now - it->second.first < window_) {
      ++it->second.second;
      return;
    }
    std::size_t suppressed = it == seen_.end() ? 0 : it->second.second;
    if (seen_.size() >= kMaxKeys) seen_.clear();
    seen_[key] = {now, 0};
    if (suppressed == 0) {
      target_->log(m);
      return;
    }
    const std::string text =
        fmt::format("{} ({} similar messages suppressed)", payload(m), suppressed);
    spdlog::details::log_msg copy(m.time, m.source, m.logger_name, m.level, text);
    target_->log(copy);
  }
  void flush_() override { target_->flush(); }
  // The formatting is the target's business.
  void set_pattern_(const std::string& pattern) override { target_->set_pattern(pattern); }
  void set_formatter_(std::unique_ptr<spdlog::formatter> f) override {
    target_->set_formatter(std::move(f));
  }

 private:
  static constexpr std::size_t kMaxKeys = 4096;
  spdlog::sink_ptr target_;
  std::chrono::seconds window_;
  std::unordered_map<std::string, std::pair<spdlog::log_clock::time_point, std::size_t>> seen_;
};

spdlog::sink_ptr& current_sink() {
  // Logs go to stderr so that stdout stays clean for JSON Lines output.
  static spdlog::sink_ptr s = std::make_shared<RateLimitSink>(
      std::make_shared<spdlog::sinks::stderr_color_sink_mt>(), std::chrono::seconds(60));
  return s;
}

}  // namespace

std::optional<Format> format_from_string(std::string_view name) {
  if (name == "text") return Format::text;
  if (name == "json") return Format::json;
  if (name == "journald") return Format::journald;
  if (name == "auto") return std::getenv("JOURNAL_STREAM") ? Format::journald : Format::text;
  return std::nullopt;
}

void configure(Format format, std::chrono::seconds window) {
  std::lock_guard lock(g_mutex);
  spdlog::sink_ptr target;
  switch (format) {
    case Format::text:
      target = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
      break;
    case Format::json:
      target = std::make_shared<JsonSink>();
      break;
    case Format::journald:
      target = std::make_shared<JournaldSink>();
      break;
  }
  current_sink() = std::make_shared<RateLimitSink>(std::move(target), window);
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) {
    l->sinks().assign(1, current_sink());
    l->set_pattern(kPattern);  // the pattern lives in the sink's formatter
  });
}

std::shared_ptr<spdlog::logger> get(const std::string& stage) {
  std::lock_guard lock(g_mutex);
  if (auto existing = spdlog::get(stage)) return existing;
  auto logger = std::make_shared<spdlog::logger>(stage, current_sink());
  logger->set_level(g_level);
  logger->set_pattern(kPattern);
  spdlog::register_logger(logger);
  return logger;
}

void set_level(const std::string& level) {
  std::lock_guard lock(g_mutex);
  g_level = spdlog::level::from_str(level);
  if (g_level == spdlog::level::off && level != "off") g_level = spdlog::level::info;
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->set_level(g_level); });
}

Scope::Scope(std::string_view source, std::string_view post_id)
    : saved_source_(std::move(t_source)), saved_post_(std::move(t_post)) {
  t_source.assign(source);
  t_post.assign(post_id);
}

Scope::~Scope() {
  t_source = std::move(saved_source_);
  t_post = std::move(saved_post_);
}

}  // namespace newsd::log
