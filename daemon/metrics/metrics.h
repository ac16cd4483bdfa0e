// Every metric newsd exports, declared in one place with its help text. Stages get the
// families by reference and add their own label values.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

namespace newsd::metrics {

struct Metrics {
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Prometheus text exposition of everything registered, process_* included. Families are
  // collected and written one at a time into the result, so a scrape holds the text plus
  // one family's samples, not a copy of every series at once.
  std::string serialize() const;

  std::shared_ptr<prometheus::Registry> registry;

  // fetch
  prometheus::Family<prometheus::Counter>& fetches;           // {source, outcome}
  prometheus::Family<prometheus::Histogram>& fetch_duration;  // {source}
  prometheus::Family<prometheus::Counter>& fetch_bytes;       // {source}
  // parse + dedupe
  prometheus::Family<prometheus::Counter>& posts;         // {source, result}
  prometheus::Family<prometheus::Counter>& parse_errors;  // {source, format}
  // publish
  prometheus::Family<prometheus::Counter>& produced;          // {topic}
  prometheus::Family<prometheus::Counter>& delivery_errors;   // {topic}
  prometheus::Family<prometheus::Counter>& enqueue_failures;  // {reason}
  prometheus::Family<prometheus::Histogram>& ack_latency;     // enqueue -> ack
  prometheus::Family<prometheus::Histogram>& freshness;       // published -> ack
  prometheus::Family<prometheus::Gauge>& queue_depth;         // {queue}
  prometheus::Family<prometheus::Gauge>& sources_paused;      // back-pressure
  // librdkafka statistics (statistics.interval.ms)
  prometheus::Family<prometheus::Gauge>& kafka_broker_state;    // {broker}: 1 = UP
  prometheus::Family<prometheus::Gauge>& kafka_broker_rtt;      // {broker}, seconds
  prometheus::Family<prometheus::Gauge>& kafka_producer_queue;  // {unit}: messages|bytes
  prometheus::Family<prometheus::Gauge>& kafka_broker_errors;   // {broker, kind}
  // sources and state
  prometheus::Family<prometheus::Gauge>& last_success;          // {source}
  prometheus::Family<prometheus::Gauge>& consecutive_failures;  // {source}
  prometheus::Family<prometheus::Gauge>& last_new_post;         // {source}
  prometheus::Family<prometheus::Gauge>& next_poll;             // {source}
  prometheus::Family<prometheus::Gauge>& sources;               // configured sources
  prometheus::Family<prometheus::Gauge>& sources_failing;       // consecutive failures > 0
  prometheus::Family<prometheus::Counter>& config_reloads;      // {result}
  prometheus::Family<prometheus::Counter>& state_errors;        // {operation}
  prometheus::Family<prometheus::Gauge>& seen_entries;
  prometheus::Family<prometheus::Gauge>& kafka_reachable;
  prometheus::Family<prometheus::Gauge>& build_info;  // {version}

 private:
  std::vector<const prometheus::Collectable*> families_;  // every family above, in order
  mutable std::size_t last_size_ = 0;                     // of the last exposition
};

// Standard buckets for fetch and delivery durations, in seconds.
const prometheus::Histogram::BucketBoundaries& latency_buckets();
// Buckets for freshness (published -> acked), seconds up to a day.
const prometheus::Histogram::BucketBoundaries& freshness_buckets();

}  // namespace newsd::metrics
