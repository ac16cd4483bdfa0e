#include "schedule/host_queue.h"

#include <prometheus/gauge.h>

#include <memory>

namespace newsd::schedule {

fetch::Request request_for(const config::Http& http, const std::string& url) {
  fetch::Request req;
  req.url = url;
  req.connect_timeout = http.connect_timeout;
  req.total_timeout = http.timeout;
  req.max_body_bytes = http.max_body;
  req.user_agent = http.user_agent;
  req.proxy = http.proxy;
  return req;
}

HostQueue::HostQueue(fetch::HttpClient& http, Clock& clock, Limits limits, prometheus::Gauge& depth,
                     std::function<bool()> has_room)
    : http_(http),
      clock_(clock),
      limits_(limits),
      depth_(depth),
      has_room_(std::move(has_room)),
      gate_(limits.host_spacing) {}

void HostQueue::get(fetch::Request req, fetch::Handler done) {
  std::string host = host_of(req.url);
  hosts_[host].waiting.emplace_back(std::move(req), std::move(done));
  ++waiting_;
  dispatch(host);
}

void HostQueue::show_depth() {
  depth_.Set(double(http_.in_flight() + waiting_));
}

// Starts waiting requests of `host` while it has a free slot (and, with spacing, once its
// next slot in time has come). The HTTP client never runs a handler inline, so the map is not
// changed under our feet here.
void HostQueue::dispatch(const std::string& host) {
  auto it = hosts_.find(host);
  if (it == hosts_.end()) return;
  Host& h = it->second;
  while (h.active < limits_.max_per_host && !h.waiting.empty()) {
    if (!has_room_()) {
      // Fetching more would only hold more bodies and posts in memory.
      if (!h.held) {
        h.held = true;
        held_hosts_.push_back(host);
      }
      break;
    }
    auto [req, done] = std::move(h.waiting.front());
    h.waiting.pop_front();
    --waiting_;
    ++h.active;
    fetch::Handler finished = [this, host, done = std::move(done)](fetch::Response r) mutable {
      if (auto f = hosts_.find(host); f != hosts_.end()) --f->second.active;
      done(std::move(r));
      dispatch(host);
    };
    const auto now = clock_.steady_now();
    const bool spaced = limits_.host_spacing.count() > 0 || gate_.has_own_spacing(host);
    const auto start = spaced ? gate_.reserve(host, now) : now;
    if (start <= now) {
      http_.get(std::move(req), std::move(finished));
    } else {
      // Another request to this host started less than host_spacing ago: wait for our slot.
      std::shared_ptr<Timer> timer = clock_.make_timer();
      timer->wait_until(
          start, [this, timer, req = std::move(req), finished = std::move(finished)](bool) mutable {
            http_.get(std::move(req), std::move(finished));
          });
    }
  }
  show_depth();
  if (h.active == 0 && h.waiting.empty()) {
    hosts_.erase(it);
    if (++released_ % 1024 == 0) gate_.forget_idle(clock_.steady_now());
  }
}

void HostQueue::resume() {
  while (has_room_() && !held_hosts_.empty()) {
    const std::string host = std::move(held_hosts_.front());
    held_hosts_.pop_front();
    if (auto it = hosts_.find(host); it != hosts_.end()) {
      it->second.held = false;
      dispatch(host);
    }
  }
}

}  // namespace newsd::schedule
