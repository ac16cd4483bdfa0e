// When to poll a source next, and how to space requests to one host. Pure functions and
// small classes with the time passed in, so tests drive them with any clock.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace newsd::schedule {

using SteadyTime = std::chrono::steady_clock::time_point;
using SysTime = std::chrono::system_clock::time_point;
using std::chrono::milliseconds;

// What one poll's response said about when to come back.
struct PollHints {
  std::optional<std::string> cache_control;  // Cache-Control header
  std::optional<std::string> expires;        // Expires header (HTTP date)
  std::optional<std::string> retry_after;    // Retry-After (seconds or HTTP date)
  std::optional<std::chrono::seconds> ttl;   // the feed's own <ttl>
  long status = 0;                           // HTTP status, 0 on transport errors
  bool failed = false;                       // the poll failed (any stage)
};

struct Bounds {
  milliseconds interval;                             // configured interval
  milliseconds max_interval{std::chrono::hours(6)};  // no hint may push the next poll further
  milliseconds max_backoff{std::chrono::hours(1)};   // cap of exponential backoff
};

// The delay before the next poll: the longest of the configured interval, the response's
// max-age / Expires, the feed's TTL and Retry-After (on 429/503), capped by max_interval;
// on failure, exponential backoff from the interval (doubling per consecutive failure, capped
// at max(interval, max_backoff)), never less than Retry-After. `jitter` in [0.9, 1.1]
// spreads sources apart; the result is never below one second.
milliseconds next_delay(const PollHints& hints, const Bounds& bounds, int consecutive_failures,
                        SysTime now, double jitter);

// The interval a source's own rhythm suggests: the mean gap between its dated posts of the
// last week (the time from the oldest to now, over the gaps), within [min, max]. A document that
// covers the whole week with no post in it suggests `max`. nullopt while it shows no rhythm:
// no dates, or fewer than 3 posts and less than a week of history.
std::optional<milliseconds> adaptive_interval(const std::vector<SysTime>& published, SysTime now,
                                              milliseconds min, milliseconds max);

// "120" or an HTTP date -> how long from `now`; nullopt if malformed.
std::optional<milliseconds> parse_retry_after(std::string_view value, SysTime now);
// max-age (s-maxage too) from a Cache-Control header; nullopt if none or no-cache/no-store.
std::optional<milliseconds> parse_max_age(std::string_view cache_control);
// An HTTP date (RFC 7231 IMF-fixdate, RFC 850, asctime) as a time point.
std::optional<SysTime> parse_http_date(std::string_view value);

// Minimum spacing between request starts to one host. reserve() returns when the request may
// start, and books that slot, so callers that ask at once get slots `spacing` apart.
class HostGate {
 public:
  explicit HostGate(milliseconds spacing) : spacing_(spacing) {}
  SteadyTime reserve(const std::string& host, SteadyTime now);
  // Forgets hosts whose last slot is older than `now - spacing` (bounded memory).
  void forget_idle(SteadyTime now);
  std::size_t hosts() const { return next_free_.size(); }
  // A host's own spacing (its robots.txt Crawl-delay), used when longer than the common one;
  // kept until set again (0 drops it).
  void set_spacing(const std::string& host, milliseconds spacing);
  bool has_own_spacing(const std::string& host) const { return own_spacing_.contains(host); }

 private:
  milliseconds spacing_of(const std::string& host) const;

  milliseconds spacing_;
  std::map<std::string, SteadyTime> next_free_;
  std::map<std::string, milliseconds> own_spacing_;
};

// The host part of an http(s) URL, lower-cased ("" if none).
std::string host_of(std::string_view url);

}  // namespace newsd::schedule
