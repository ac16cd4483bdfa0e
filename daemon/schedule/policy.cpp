#include "schedule/policy.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <ctime>

namespace newsd::schedule {

using namespace std::chrono;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<long long> parse_int(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<SysTime> parse_http_date(std::string_view value) {
  // strptime in the C locale handles the three forms RFC 7231 requires recipients to accept.
  static constexpr std::array kForms = {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                                        "%a %b %e %H:%M:%S %Y"};
  const std::string text(value);
  for (const char* form : kForms) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), form, &tm);
    if (end == nullptr) continue;
    while (*end == ' ') ++end;
    if (*end != '\0') continue;
    const time_t t = timegm(&tm);
    if (t == -1) continue;
    return system_clock::from_time_t(t);
  }
  return std::nullopt;
}

std::optional<milliseconds> parse_retry_after(std::string_view value, SysTime now) {
  if (auto secs = parse_int(value)) {
    if (*secs < 0) return std::nullopt;
    return seconds(std::min<long long>(*secs, 365LL * 86400));
  }
  if (auto when = parse_http_date(value)) {
    if (*when <= now) return milliseconds(0);
    return duration_cast<milliseconds>(*when - now);
  }
  return std::nullopt;
}

std::optional<milliseconds> parse_max_age(std::string_view cache_control) {
  const std::string cc = lower(cache_control);
  std::optional<milliseconds> result;
  std::size_t pos = 0;
  while (pos < cc.size()) {
    std::size_t end = cc.find(',', pos);
    if (end == std::string::npos) end = cc.size();
    std::string_view d(cc.data() + pos, end - pos);
    while (!d.empty() && d.front() == ' ') d.remove_prefix(1);
    if (d == "no-cache" || d == "no-store") return std::nullopt;
    for (std::string_view key : {"max-age=", "s-maxage="}) {
      if (d.starts_with(key)) {
        std::string_view v = d.substr(key.size());
        if (!v.empty() && v.front() == '"' && v.back() == '"' && v.size() >= 2)
          v = v.substr(1, v.size() - 2);
        if (auto n = parse_int(v); n && *n >= 0) result = seconds(*n);
      }
    }
    pos = end + 1;
  }
  return result;
}

milliseconds next_delay(const PollHints& h, const Bounds& b, int failures, SysTime now,
                        double jitter) {
  milliseconds delay = b.interval;
  std::optional<milliseconds> retry_after;
  if (h.retry_after && (h.status == 429 || h.status == 503))
    retry_after = parse_retry_after(*h.retry_after, now);

  if (h.failed && failures > 0) {
    const int shift = std::min(failures - 1, 16);
    const milliseconds cap = std::max(b.interval, b.max_backoff);
    const double grown = double(b.interval.count()) * double(1LL << shift);
    delay = grown >= double(cap.count()) ? cap : milliseconds(static_cast<long long>(grown));
  } else if (!h.failed) {
    std::optional<milliseconds> fresh;
    if (h.cache_control) fresh = parse_max_age(*h.cache_control);
    if (!fresh && h.expires) {
      if (auto when = parse_http_date(*h.expires); when && *when > now)
        fresh = duration_cast<milliseconds>(*when - now);
    }
    if (fresh) delay = std::max(delay, *fresh);
    if (h.ttl) delay = std::max<milliseconds>(delay, duration_cast<milliseconds>(*h.ttl));
    delay = std::min(delay, std::max(b.interval, b.max_interval));
  }
  delay =
      milliseconds(static_cast<long long>(double(delay.count()) * std::clamp(jitter, 0.5, 1.5)));
  // Retry-After is the server's explicit word: honoured even beyond the caps (to a day).
  if (retry_after) delay = std::max(delay, std::min<milliseconds>(*retry_after, hours(24)));
  return std::max<milliseconds>(delay, seconds(1));
}

std::optional<milliseconds> adaptive_interval(const std::vector<SysTime>& published, SysTime now,
                                              milliseconds min, milliseconds max) {
  constexpr auto kWindow = hours(24 * 7);
  // Posts dated a little ahead are clock skew; far ahead, a wrong time zone: not evidence.
  constexpr auto kSkew = hours(1);
  std::size_t recent = 0;
  std::optional<SysTime> oldest;
  for (const SysTime t : published) {
    if (t > now + kSkew) continue;
    if (!oldest || t < *oldest) oldest = t;
    if (t >= now - kWindow) ++recent;
  }
  if (!oldest) return std::nullopt;
  const bool covers_window = *oldest < now - kWindow;
  milliseconds gap;
  if (covers_window) {
    if (recent == 0) return max;
    gap = duration_cast<milliseconds>(kWindow) / static_cast<long long>(recent);
  } else {
    if (recent < 3) return std::nullopt;
    gap = duration_cast<milliseconds>(now - *oldest) / static_cast<long long>(recent - 1);
  }
  return std::clamp(gap, min, max);
}

SteadyTime HostGate::reserve(const std::string& host, SteadyTime now) {
  auto [it, inserted] = next_free_.try_emplace(host, now);
  const SteadyTime start = inserted ? now : std::max(now, it->second);
  it->second = start + spacing_of(host);
  return start;
}

void HostGate::forget_idle(SteadyTime now) {
  std::erase_if(next_free_, [&](const auto& kv) { return kv.second + spacing_of(kv.first) < now; });
}

void HostGate::set_spacing(const std::string& host, milliseconds spacing) {
  if (spacing > spacing_)
    own_spacing_[host] = spacing;
  else
    own_spacing_.erase(host);
}

milliseconds HostGate::spacing_of(const std::string& host) const {
  const auto it = own_spacing_.find(host);
  return it == own_spacing_.end() ? spacing_ : it->second;
}

std::string host_of(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  return lower(rest);
}

}  // namespace newsd::schedule
