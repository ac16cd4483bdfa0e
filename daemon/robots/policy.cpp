#include "robots/policy.h"

#include <algorithm>

namespace newsd::robots {

Entry on_fetch(const std::optional<Entry>& previous, const Outcome& outcome, Clock::time_point now,
               const PolicyOptions& options) {
  Entry e;
  e.has_good_copy = previous && previous->has_good_copy;
  const auto fresh_for = [&] {
    const std::chrono::seconds age = outcome.max_age ? *outcome.max_age : options.max_age;
    return std::clamp(age, std::chrono::seconds(0), options.max_age);
  };
  const int status = outcome.status.value_or(0);
  const bool unreachable = !outcome.status || status == 429 || status >= 500;
  if (!unreachable && status >= 200 && status < 300) {
    e.access = Access::rules;
    e.new_rules = true;
    e.has_good_copy = true;
    e.expires = now + fresh_for();
    return e;
  }
  if (!unreachable) {  // 3xx (redirects exhausted), 4xx, or anything else a server says
    e.access = Access::allow_all;
    e.has_good_copy = false;
    e.expires = now + fresh_for();
    return e;
  }
  e.unreachable_since =
      previous && previous->unreachable_since ? previous->unreachable_since : std::optional(now);
  e.expires = now + options.retry;
  if (now - *e.unreachable_since >= options.give_up) {
    e.access = Access::allow_all;
    e.has_good_copy = false;
  } else if (e.has_good_copy) {
    e.access = Access::rules;  // the last good copy stays, past its 24 hours if need be
  } else {
    e.access = Access::disallow_all;
  }
  return e;
}

std::chrono::milliseconds host_spacing(std::chrono::milliseconds configured,
                                       std::optional<std::chrono::milliseconds> crawl_delay,
                                       const PolicyOptions& options) {
  if (!crawl_delay) return configured;
  return std::max(configured, std::min(*crawl_delay, options.max_crawl_delay));
}

}  // namespace newsd::robots
