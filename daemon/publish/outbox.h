// The outbox: posts on their way to the producer, and back-pressure.
//
// Each poll sends through its own Lane, which keeps the order of its posts. When the producer
// is full (its queue, or `max_in_flight` messages awaiting acknowledgement), the lane holds
// its remaining posts, is counted as paused, and retries by itself every `retry` until there
// is room: nothing is dropped. has_room() turns false once the posts held so reach a quarter
// of `max_in_flight`, which the host queue reads to start no new request until they drain, so
// what waits for Kafka stays bounded however many sources have news.
//
// Thread-safety: the event loop's thread only (delivery reports arrive on it). Owns the
// lanes' held posts and retry timers, the held/paused counts and the kafka, backlog and
// paused gauges; a lane's owner (the poll) owns what its callbacks do.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/clock.h"
#include "core/post.h"
#include "dedupe/seen_store.h"
#include "metrics/metrics.h"
#include "publish/publisher.h"

namespace spdlog {
class logger;
}

namespace newsd::publish {

// What a post's acknowledgement needs once its record is handed over.
struct Receipt {
  dedupe::SeenEntry entry;             // marks the post seen
  std::optional<Timestamp> published;  // for the freshness histogram
  bool updated = false;                // a new version of a post already seen
};

struct Outgoing {
  Record record;
  Receipt receipt;
};

// Messages produced and not delivered, per topic (series resolved once per topic).
class TopicCounters {
 public:
  explicit TopicCounters(metrics::Metrics& m) : metrics_(m) {}
  void count(const std::string& topic, bool delivered);

 private:
  struct Series {
    prometheus::Counter* produced;
    prometheus::Counter* delivery_errors;
  };
  metrics::Metrics& metrics_;
  std::unordered_map<std::string, Series> topics_;
};

// One poll's way to the producer. The poll derives from it and learns of its posts' fate.
class Lane {
 public:
  virtual ~Lane() = default;
  virtual const std::string& name() const = 0;  // the source, for logs
  // Kafka's report on one of the lane's posts, after the outbox counted it.
  virtual void delivered(const std::string& id, const Receipt& receipt, const Delivery& d) = 0;
  // A retry after back-pressure ran (the lane may be idle now).
  virtual void retried() = 0;
  // The producer took one of the lane's posts (its report will follow). With a transactional
  // producer, the post is in the open transaction until the next commit.
  virtual void handed(const std::string& /*id*/, const Receipt& /*receipt*/) {}

  // Nothing held, no report awaited, no retry armed.
  bool idle() const { return backlog_.empty() && awaiting_ == 0 && !retry_armed_; }
  // The producer refused one of its posts for good (too large, fatal error).
  bool refused() const { return refused_; }

 private:
  friend class Outbox;
  // A list: an empty std::deque allocates ~600 bytes, and thousands of polls may be open.
  std::list<Outgoing> backlog_;
  std::unique_ptr<Timer> retry_;  // made at the first pause only: most lanes never need it
  std::size_t awaiting_ = 0;      // handed to the producer, report not in
  bool retry_armed_ = false;
  bool paused_ = false;
  bool refused_ = false;
};

class Outbox {
 public:
  struct Limits {
    std::size_t max_in_flight = 10000;
    std::chrono::milliseconds retry{100};
  };
  Outbox(Publisher& publisher, Clock& clock, metrics::Metrics& metrics, Limits limits);

  // Hands `out` to the producer, after what the lane holds already.
  void send(const std::shared_ptr<Lane>& lane, Outgoing out);
  bool has_room() const { return held_ < std::max<std::size_t>(limits_.max_in_flight / 4, 1); }
  // Called after a lane drained: requests held back for room may start.
  void on_room(std::function<void()> f) { on_room_ = std::move(f); }
  void set_limits(Limits limits) { limits_ = limits; }
  std::size_t held() const { return held_; }
  std::size_t paused() const { return paused_; }
  TopicCounters& topics() { return topics_; }

 private:
  void drain(const std::shared_ptr<Lane>& lane);
  void set_paused(Lane& lane, bool paused);
  DeliveryHandler report_to(const std::shared_ptr<Lane>& lane, const Outgoing& out);

  Publisher& publisher_;
  Clock& clock_;
  metrics::Metrics& metrics_;
  Limits limits_;
  TopicCounters topics_;
  std::function<void()> on_room_;
  std::size_t held_ = 0;    // posts in lanes' backlogs: not yet taken by the producer
  std::size_t paused_ = 0;  // lanes holding posts for want of room
  prometheus::Gauge* queue_kafka_;
  prometheus::Gauge* queue_backlog_;
  prometheus::Gauge* sources_paused_;
  prometheus::Histogram* ack_latency_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace newsd::publish
