// What the Engine tells an observer about its sources (the operator's view in daemon/status
// keeps its per-source records from these). Called on the event loop's thread, at the end of
// each poll and whenever the source list changes; a listener must return quickly and must not
// call back into the Engine.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace newsd::schedule {

// How one poll ended, gathered by the Poll as it goes.
struct PollOutcome {
  std::chrono::system_clock::time_point started;
  long status = 0;  // HTTP status of the source's document; 0 when no response arrived
  // Why it failed, as a short class ("timeout", "http", "parse", "delivery", ...); empty when
  // it did not. Points at a string literal.
  std::string_view error_class;
  std::string error;          // the first failure's message; empty when it did not fail
  std::size_t delivered = 0;  // posts Kafka acknowledged
  std::optional<std::chrono::system_clock::time_point> last_delivered;
};

// Why the next poll is when it is.
enum class IntervalReason { configured, adaptive, server_hint, retry_after, backoff, robots };
std::string_view to_string(IntervalReason r);
struct PollHints;
// From what next_delay() was given and what it chose: `base` the interval before hints and
// backoff (configured or adapted), `delay` the chosen one.
IntervalReason interval_reason(const PollHints& hints, int consecutive_failures, bool adapted,
                               std::chrono::milliseconds base, std::chrono::milliseconds delay,
                               std::chrono::system_clock::time_point now);

struct PollReport {
  std::string_view source;
  const PollOutcome& outcome;
  std::chrono::system_clock::time_point ended;
  bool failed = false;
  int consecutive_failures = 0;
  std::chrono::milliseconds next_in{0};  // 0: nothing scheduled (stopping, once, removed)
  IntervalReason reason = IntervalReason::configured;
  bool etag = false, last_modified = false;  // validators held for the next poll
};

struct SourceEntry {
  std::string name;
  std::chrono::milliseconds interval;  // configured
  // false: another instance polls it (several instances sharing the sources, Engine::share).
  bool owned = true;
};

class PollListener {
 public:
  virtual ~PollListener() = default;
  // The whole source list, at start, after each reload and whenever the instance's share of
  // the sources changes (several instances).
  virtual void sources(const std::vector<SourceEntry>& all) = 0;
  virtual void polled(const PollReport& report) = 0;
};

}  // namespace newsd::schedule
