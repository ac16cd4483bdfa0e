// robots.txt in the engine (RFC 9309; docs/sources.md, "robots.txt"): whether a URL newsd
// found on its own may be fetched. One entry per scheme and authority, fetched through the
// HostQueue like any request (newsd's user agent, the host's spacing), kept as
// robots/policy.h says (at most 24 h; 4xx allows all; 5xx or no answer disallows and is asked
// again after 15 minutes). While a host's file is being fetched, the checks for that host
// wait for it: one fetch per host at a time. A 2xx file's Crawl-delay for newsd raises the
// host's spacing in the HostQueue.
//
// Thread-safety: the event loop's thread only. Owns the per-host entries and the callbacks
// waiting for them; the HostQueue, Clock and Options belong to the Engine and outlive it.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "robots/policy.h"
#include "robots/robots.h"
#include "schedule/host_queue.h"
#include "schedule/options.h"

namespace newsd::schedule {

class RobotsGate {
 public:
  struct Verdict {
    bool allowed = true;
    std::string why;       // the deciding rule ("line 3: Disallow: /x") or why none decided
    bool passing = false;  // refused only until robots.txt can be read (it is unreachable)
  };
  using Done = std::function<void(Verdict)>;

  RobotsGate(HostQueue& hosts, Clock& clock, const Options& options)
      : hosts_(hosts), clock_(clock), options_(options) {}

  // Decides for `url` (absolute http(s)); `done` runs on the loop, at once when the host's
  // file is known and fresh, else once it has been fetched. A URL that is not http(s) is
  // allowed: there is no robots.txt to ask.
  void check(const std::string& url, Done done);

  std::size_t hosts() const { return entries_.size(); }
  std::size_t fetches() const { return fetches_; }  // robots.txt requests made (tests)

 private:
  struct Host {
    std::optional<robots::Entry> entry;
    std::optional<robots::Robots> rules;  // the last good copy
    bool fetching = false;
    std::vector<std::pair<std::string, Done>> waiting;  // url, done
  };
  void fetch(const std::string& key, const std::string& robots_url);
  void on_fetched(const std::string& key, fetch::Response r);
  Verdict decide(const Host& h, const std::string& url) const;
  void forget_stale();

  HostQueue& hosts_;
  Clock& clock_;
  const Options& options_;
  std::unordered_map<std::string, Host> entries_;  // by scheme://authority, lower case
  std::size_t fetches_ = 0;
};

}  // namespace newsd::schedule
