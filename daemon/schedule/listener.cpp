#include "schedule/listener.h"

#include "schedule/policy.h"

namespace newsd::schedule {

std::string_view to_string(IntervalReason r) {
  switch (r) {
    case IntervalReason::configured:
      return "configured";
    case IntervalReason::adaptive:
      return "adaptive";
    case IntervalReason::server_hint:
      return "server_hint";
    case IntervalReason::retry_after:
      return "retry_after";
    case IntervalReason::backoff:
      return "backoff";
    case IntervalReason::robots:
      return "robots";
  }
  return "configured";
}

IntervalReason interval_reason(const PollHints& hints, int consecutive_failures, bool adapted,
                               milliseconds base, milliseconds delay, SysTime now) {
  if (hints.retry_after && (hints.status == 429 || hints.status == 503)) {
    // Honoured when it, not the interval or the backoff, set the delay (jitter is 10 %).
    if (const auto wait = parse_retry_after(*hints.retry_after, now);
        wait && *wait * 10 >= delay * 9)
      return IntervalReason::retry_after;
  }
  if (hints.failed && consecutive_failures >= 2) return IntervalReason::backoff;
  if (!hints.failed && delay * 10 > base * 11) return IntervalReason::server_hint;
  return adapted ? IntervalReason::adaptive : IntervalReason::configured;
}

}  // namespace newsd::schedule
