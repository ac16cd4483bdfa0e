// One named logger per stage (fetch, parse, dedupe, publish, ...), all writing to one sink:
// plain text or JSON lines on stderr, or journald with structured fields (NEWSD_STAGE,
// NEWSD_SOURCE, NEWSD_POST_ID). Repeated warnings and errors are rate-limited.
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace newsd::log {

enum class Format { text, json, journald };

// "text", "json", "journald"; "auto" means journald when stderr is connected to the journal
// ($JOURNAL_STREAM, set by systemd), else text. nullopt for anything else.
std::optional<Format> format_from_string(std::string_view name);

// Sets the sink of every stage logger, existing and future. Call before other threads log.
// The same warning or error (same stage, same text) is written once per `window`; the next
// one after the window says how many were suppressed.
void configure(Format format, std::chrono::seconds window = std::chrono::seconds(60));

// The logger for `stage`, created on first use with the process-wide sink and level.
std::shared_ptr<spdlog::logger> get(const std::string& stage);

// Sets the level of every stage logger ("trace".."off"); unknown names mean "info".
void set_level(const std::string& level);

// The source (and post) the messages logged on this thread are about while the scope lives:
// journald gets NEWSD_SOURCE / NEWSD_POST_ID, JSON lines get "source" / "post_id".
class Scope {
 public:
  explicit Scope(std::string_view source, std::string_view post_id = {});
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  std::string saved_source_, saved_post_;
};

}  // namespace newsd::log
