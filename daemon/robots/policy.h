// What the outcome of fetching a host's /robots.txt means, and for how long (RFC 9309 2.3 and
// 2.4). Pure: time is a parameter, nothing is fetched or stored here; the engine keeps one
// Entry per host and calls on_fetch() with each new outcome.
//
//  - 2xx: the file's rules apply.
//  - 4xx (but 429): "unavailable": everything is allowed.
//  - 3xx reaching here: the redirects ran out (the fetcher follows up to 5): unavailable.
//  - 5xx, 429 or no response: "unreachable": everything is disallowed, or the rules of the
//    last good copy stay in force, and the file is asked for again soon. After 30 days of
//    unreachability the RFC lets a crawler treat the file as unavailable; so does this.
//  - Nothing is kept longer than 24 hours (less when the server's max-age says so), except
//    a last good copy while the file is unreachable.
#pragma once

#include <chrono>
#include <optional>

namespace newsd::robots {

using Clock = std::chrono::system_clock;

enum class Access {
  rules,         // decide with Robots::decide on the last good copy
  allow_all,     // unavailable
  disallow_all,  // unreachable, and no good copy to fall back on
};

struct Outcome {
  std::optional<int> status;  // the final HTTP status; nullopt: no response at all
  std::optional<std::chrono::seconds> max_age;  // Cache-Control max-age, when given
};

struct Entry {
  Access access = Access::disallow_all;
  // For Access::rules: true when the response just fetched holds the rules (parse it),
  // false when the previous copy stays in force.
  bool new_rules = false;
  Clock::time_point expires;  // fetch again after this
  std::optional<Clock::time_point> unreachable_since;
  bool has_good_copy = false;  // some 2xx response was parsed for this host
};

struct PolicyOptions {
  std::chrono::seconds max_age{std::chrono::hours(24)};       // RFC 9309 2.4
  std::chrono::seconds retry{std::chrono::minutes(15)};       // after an unreachable fetch
  std::chrono::seconds give_up{std::chrono::hours(24 * 30)};  // unreachable -> unavailable
  std::chrono::milliseconds max_crawl_delay{std::chrono::seconds(60)};
};

// The entry after a fetch with `outcome` at `now`; `previous` is the host's entry before it.
Entry on_fetch(const std::optional<Entry>& previous, const Outcome& outcome, Clock::time_point now,
               const PolicyOptions& options = {});

// Whether the entry must be fetched again before it is used at `now`.
inline bool stale(const Entry& e, Clock::time_point now) {
  return now >= e.expires;
}

// The spacing between two requests to a host: the configured one, raised to the host's
// Crawl-delay, which is capped so a hostile file cannot stall a source for days.
std::chrono::milliseconds host_spacing(std::chrono::milliseconds configured,
                                       std::optional<std::chrono::milliseconds> crawl_delay,
                                       const PolicyOptions& options = {});

}  // namespace newsd::robots
