// The operator's view of every source: one record per source, kept from the Engine's poll
// reports (schedule/listener.h), read by the status API, the /sources page and the admin
// actions (routes.h).
//
// Thread-safety: the event loop's thread only; the Engine reports there and the HTTP server
// answers there. A query walks the records once (no sort: the records are kept in name order
// and split by state), so a request costs time linear in the sources and nothing between
// requests. Memory per source: the record (about 300 bytes) plus a ring of its last
// kRecentPolls polls (48 bytes each, plus the distinct error messages among them).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schedule/listener.h"

namespace newsd::status {

using SysTime = std::chrono::system_clock::time_point;

// A source's state, in the order the operator's view lists them (most urgent first).
//   failing:     its last poll failed; the next one is at the normal interval
//   backing_off: it failed and the next poll is pushed back (exponential backoff from the
//                second failure in a row, or the server's Retry-After)
//   paused:      paused by the operator (admin listener); nothing is scheduled
//   not_owned:   another instance polls it (several instances sharing the sources); what the
//                record holds is from when this instance last polled it
//   ok:          its last poll succeeded, or it has not been polled yet
enum class State { failing, backing_off, paused, not_owned, ok };
inline constexpr std::size_t kStates = 5;
std::string_view to_string(State s);
std::optional<State> state_from_string(std::string_view s);

inline constexpr std::size_t kRecentPolls = 20;
inline constexpr std::size_t kMaxErrorBytes = 512;  // longer messages are cut

// One poll as the ring keeps it: 48 bytes, and the error text shared with the source's other
// polls that failed the same way (a failing source repeats its error), so a full ring of a
// failing source costs about one message, not twenty.
struct PollRecord {
  SysTime started;
  std::shared_ptr<const std::string> error_text;  // null: succeeded
  const char* error_class = nullptr;              // null: succeeded; a string literal
  std::uint32_t duration_ms = 0;
  std::uint32_t delivered = 0;
  std::uint16_t status = 0;  // HTTP status; 0 when no response arrived

  std::chrono::milliseconds duration() const { return std::chrono::milliseconds(duration_ms); }
  std::string_view error_class_name() const { return error_class ? error_class : ""; }
  std::string_view error() const { return error_text ? *error_text : std::string_view(); }
};

struct SourceRecord {
  std::string name;
  std::chrono::milliseconds configured_interval{0};
  bool paused = false;
  bool owned = true;  // false: another instance polls it
  int consecutive_failures = 0;
  std::optional<SysTime> next_poll;
  std::chrono::milliseconds interval{0};  // until the next poll, as scheduled
  schedule::IntervalReason reason = schedule::IntervalReason::configured;
  bool etag = false, last_modified = false;
  std::uint64_t delivered_total = 0;
  std::optional<SysTime> last_new_post;
  // The last failure, kept after the source recovers.
  std::string last_error;
  std::optional<SysTime> last_error_at;

  // Posts delivered per 5-minute slot of the last hour, a ring indexed by (slot % 12);
  // slot_of says which slot (minutes since the epoch / 5) an entry counts.
  std::array<std::uint32_t, 12> delivered_slots{};
  std::array<std::int64_t, 12> slot_of{};

  // The last polls, oldest first once read through recent().
  std::vector<PollRecord> ring;
  std::size_t ring_next = 0;

  State state() const;
  const PollRecord* last_poll() const;
  std::vector<const PollRecord*> recent() const;  // newest first
  std::uint64_t delivered_last_hour(SysTime now) const;
  void count_delivered(SysTime at, std::uint32_t n);
};

struct Query {
  std::vector<State> states;  // empty: every state
  std::string name;           // substring of the name; empty: every name
  std::size_t offset = 0;
  std::size_t limit = 100;
};

struct Page {
  std::size_t total = 0;                      // sources
  std::size_t matched = 0;                    // sources the filter kept (before paging)
  std::array<std::size_t, kStates> counts{};  // every source by state, whatever the filter
  std::vector<const SourceRecord*> rows;      // valid until the board changes
};

class Board final : public schedule::PollListener {
 public:
  void sources(const std::vector<schedule::SourceEntry>& all) override;
  void polled(const schedule::PollReport& report) override;
  // false: no such source.
  bool set_paused(const std::string& name, bool paused);

  // Failing first, then backing off, paused, not owned, ok; by name within a state.
  Page query(const Query& q) const;
  const SourceRecord* find(const std::string& name) const;
  std::size_t size() const { return records_.size(); }

 private:
  std::map<std::string, SourceRecord, std::less<>> records_;
};

}  // namespace newsd::status
