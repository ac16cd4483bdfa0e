#include "schedule/robots_gate.h"

#include <charconv>

#include "core/log.h"
#include "schedule/policy.h"

namespace newsd::schedule {

namespace {

// More hosts than this and the stale entries are dropped (they are fetched again when a URL
// of theirs turns up): a source following links to many hosts cannot grow the map forever.
constexpr std::size_t kMaxHosts = 10'000;

// "https://a.example:8443" of a URL, lower case; empty when it is not http(s).
std::string origin_of(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return {};
  std::string s = url.substr(0, scheme);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s != "http" && s != "https") return {};
  const std::string host = host_of(url);
  return host.empty() ? std::string{} : s + "://" + host;
}

std::optional<std::chrono::seconds> max_age(const std::optional<std::string>& cache_control) {
  if (!cache_control) return std::nullopt;
  const auto at = cache_control->find("max-age=");
  if (at == std::string::npos) return std::nullopt;
  const char* first = cache_control->data() + at + 8;
  long long n = 0;
  const auto [end, ec] = std::from_chars(first, cache_control->data() + cache_control->size(), n);
  if (ec != std::errc{} || end == first || n < 0) return std::nullopt;
  return std::chrono::seconds(n);
}

}  // namespace

void RobotsGate::check(const std::string& url, Done done) {
  const std::string key = origin_of(url);
  if (key.empty()) {
    done({true, "not an http(s) URL"});
    return;
  }
  if (entries_.size() > kMaxHosts) forget_stale();
  Host& h = entries_[key];
  if (h.entry && !robots::stale(*h.entry, clock_.system_now())) {
    done(decide(h, url));
    return;
  }
  h.waiting.emplace_back(url, std::move(done));
  if (!h.fetching) fetch(key, key + "/robots.txt");
}

void RobotsGate::fetch(const std::string& key, const std::string& robots_url) {
  entries_[key].fetching = true;
  ++fetches_;
  hosts_.get(request_for(options_.http, robots_url),
             [this, key](fetch::Response r) { on_fetched(key, std::move(r)); });
}

void RobotsGate::on_fetched(const std::string& key, fetch::Response r) {
  Host& h = entries_[key];
  h.fetching = false;
  robots::Outcome outcome;
  if (r.error == fetch::ErrorClass::none) outcome.status = int(r.status);
  outcome.max_age = max_age(r.cache_control);
  h.entry = robots::on_fetch(h.entry, outcome, clock_.system_now());
  if (h.entry->new_rules) {
    h.rules = robots::Robots::parse(r.body);
    const std::string agent = robots::product_token(options_.http.user_agent);
    const auto spacing =
        robots::host_spacing(options_.http.host_spacing, h.rules->crawl_delay(agent));
    hosts_.set_host_spacing(host_of(key), spacing);
    if (spacing > options_.http.host_spacing)
      log::get("fetch")->info("{}/robots.txt: Crawl-delay spaces requests {}ms apart", key,
                              spacing.count());
  } else if (h.entry->access != robots::Access::rules) {
    h.rules.reset();
    if (h.entry->access == robots::Access::disallow_all)
      log::get("fetch")->warn(
          "{}/robots.txt is unreachable ({}): nothing found on that host is "
          "fetched for now",
          key,
          r.error == fetch::ErrorClass::none ? "HTTP " + std::to_string(r.status)
                                             : std::string(fetch::to_string(r.error)));
  }
  auto waiting = std::move(h.waiting);
  h.waiting.clear();
  for (auto& [url, done] : waiting) done(decide(h, url));
}

RobotsGate::Verdict RobotsGate::decide(const Host& h, const std::string& url) const {
  switch (h.entry->access) {
    case robots::Access::allow_all:
      return {true, "no robots.txt"};
    case robots::Access::disallow_all:
      return {false, "robots.txt unreachable", true};
    case robots::Access::rules:
      break;
  }
  const robots::Decision d = h.rules->decide(robots::product_token(options_.http.user_agent), url);
  if (d.rule) return {d.allowed, "line " + std::to_string(d.rule->line) + ": " + d.rule->text};
  return {d.allowed, d.reason};
}

void RobotsGate::forget_stale() {
  const auto now = clock_.system_now();
  std::erase_if(entries_, [&](const auto& kv) {
    const Host& h = kv.second;
    return !h.fetching && h.waiting.empty() && (!h.entry || robots::stale(*h.entry, now));
  });
}

}  // namespace newsd::schedule
