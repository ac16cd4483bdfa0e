#include "publish/outbox.h"

#include <algorithm>

#include "core/log.h"

namespace newsd::publish {

void TopicCounters::count(const std::string& topic, bool delivered) {
  auto it = topics_.find(topic);
  if (it == topics_.end()) {
    Series s{&metrics_.produced.Add({{"topic", topic}}),
             &metrics_.delivery_errors.Add({{"topic", topic}})};
    it = topics_.emplace(topic, s).first;
  }
  (delivered ? it->second.produced : it->second.delivery_errors)->Increment();
}

Outbox::Outbox(Publisher& publisher, Clock& clock, metrics::Metrics& metrics, Limits limits)
    : publisher_(publisher),
      clock_(clock),
      metrics_(metrics),
      limits_(limits),
      topics_(metrics),
      queue_kafka_(&metrics.queue_depth.Add({{"queue", "kafka"}})),
      queue_backlog_(&metrics.queue_depth.Add({{"queue", "backlog"}})),
      sources_paused_(&metrics.sources_paused.Add({})),
      ack_latency_(&metrics.ack_latency.Add({}, metrics::latency_buckets())),
      log_(log::get("publish")) {}

void Outbox::set_paused(Lane& lane, bool paused) {
  if (lane.paused_ == paused) return;
  lane.paused_ = paused;
  paused ? ++paused_ : --paused_;
  sources_paused_->Set(double(paused_));
  if (paused)
    log_->warn("{}: Kafka cannot take more messages; polling paused", lane.name());
  else
    log_->info("{}: polling resumed", lane.name());
}

void Outbox::send(const std::shared_ptr<Lane>& lane, Outgoing out) {
  // Keep order: posts already waiting for room go first.
  const bool waiting = !lane->backlog_.empty();
  lane->backlog_.push_back(std::move(out));
  ++held_;
  if (!waiting) drain(lane);
}

DeliveryHandler Outbox::report_to(const std::shared_ptr<Lane>& lane, const Outgoing& out) {
  return [this, lane, topic = out.record.topic, id = out.record.key,
          receipt = out.receipt](const Delivery& d) {
    log::Scope scope(lane->name(), id);
    --lane->awaiting_;
    queue_kafka_->Set(double(publisher_.in_flight()));
    topics_.count(topic, d.ok);
    if (d.ok)
      ack_latency_->Observe(std::chrono::duration<double>(d.latency).count());
    else
      log_->error("{}: post {} was not delivered to {}: {}", lane->name(), id, topic, d.error);
    lane->delivered(id, receipt, d);
  };
}

void Outbox::drain(const std::shared_ptr<Lane>& lane) {
  auto& backlog = lane->backlog_;
  while (!backlog.empty()) {
    const Outgoing& out = backlog.front();
    Enqueue result = Enqueue::queue_full;
    if (publisher_.in_flight() < limits_.max_in_flight)
      result = publisher_.publish(out.record, report_to(lane, out));
    switch (result) {
      case Enqueue::queued:
        ++lane->awaiting_;
        lane->handed(out.record.key, out.receipt);
        backlog.pop_front();
        --held_;
        queue_kafka_->Set(double(publisher_.in_flight()));
        continue;
      case Enqueue::failed:
        metrics_.enqueue_failures.Add({{"reason", "failed"}}).Increment();
        lane->refused_ = true;
        backlog.pop_front();
        --held_;
        continue;
      case Enqueue::queue_full:
        // Back-pressure: hold the posts and this lane's poll until there is room.
        metrics_.enqueue_failures.Add({{"reason", "queue_full"}}).Increment();
        set_paused(*lane, true);
        if (!lane->retry_armed_) {
          lane->retry_armed_ = true;
          if (!lane->retry_) lane->retry_ = clock_.make_timer();
          clock_.wait_for(*lane->retry_, limits_.retry, [this, lane](bool) {
            lane->retry_armed_ = false;
            drain(lane);
            lane->retried();
          });
        }
        queue_backlog_->Set(double(held_));
        return;
    }
  }
  queue_backlog_->Set(double(held_));
  set_paused(*lane, false);
  if (on_room_) on_room_();  // fewer posts held: requests held back may start
}

}  // namespace newsd::publish
