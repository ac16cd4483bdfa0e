// Requests wait here, per host, until they may start: at most `max_per_host` of one host
// with the HTTP client at once (the rest wait here, so a queued request's timeout does not
// run), starts to one host at least `host_spacing` apart, and none while the pipeline
// downstream has no room (`has_room`: the parse pool is full, or many posts wait for Kafka).
//
// Thread-safety: the event loop's thread only. Owns the waiting requests and the per-host
// slots and spacing; the caller owns what the handlers capture.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/clock.h"
#include "fetch/http_client.h"
#include "schedule/policy.h"

namespace prometheus {
class Gauge;
}

namespace newsd::schedule {

// A GET of `url` with the configuration's timeouts, body limit, user agent and proxy.
fetch::Request request_for(const config::Http& http, const std::string& url);

class HostQueue {
 public:
  struct Limits {
    std::size_t max_per_host = 4;
    std::chrono::milliseconds host_spacing{0};
  };
  // `depth` shows the requests with the client or waiting here. `has_room` is asked before
  // each start; when it says no, the host waits for resume().
  HostQueue(fetch::HttpClient& http, Clock& clock, Limits limits, prometheus::Gauge& depth,
            std::function<bool()> has_room);

  // Queues a GET; `done` runs on the loop when it ends.
  void get(fetch::Request req, fetch::Handler done);
  // There may be room again: starts what has_room() held back, oldest host first.
  void resume();
  // The spacing given at construction stays (a reload only turns it off or on again).
  void set_limits(Limits limits) { limits_ = limits; }
  // Raises one host's spacing above host_spacing (its robots.txt Crawl-delay); a spacing not
  // above it drops the host's own. `host` as host_of() gives it.
  void set_host_spacing(const std::string& host, std::chrono::milliseconds spacing) {
    gate_.set_spacing(host, spacing);
  }
  std::size_t waiting() const { return waiting_; }

 private:
  struct Host {
    std::size_t active = 0;  // with the HTTP client
    bool held = false;       // in held_hosts_: waits for room downstream
    std::deque<std::pair<fetch::Request, fetch::Handler>> waiting;
  };
  void dispatch(const std::string& host);
  void show_depth();

  fetch::HttpClient& http_;
  Clock& clock_;
  Limits limits_;
  prometheus::Gauge& depth_;
  std::function<bool()> has_room_;
  std::unordered_map<std::string, Host> hosts_;
  std::deque<std::string> held_hosts_;  // hosts held back by has_room(), oldest first
  std::size_t waiting_ = 0;             // requests waiting for a slot
  std::size_t released_ = 0;            // every 1024th, the gate forgets idle hosts
  HostGate gate_;
};

}  // namespace newsd::schedule
