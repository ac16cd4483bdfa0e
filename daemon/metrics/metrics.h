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

#include "metrics/source_series.h"

namespace newsd::metrics {

struct Metrics {
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // The whole Prometheus text exposition, process_* included (tests and small registries;
  // the /metrics endpoint writes it in pieces with Exposition).
  std::string serialize() const;

  std::shared_ptr<prometheus::Registry> registry;

  // Every {source}-labelled series: fetches {source, outcome}, fetch_duration, fetch_bytes,
  // posts {source, result}, parse_errors {source, format} and the source_* gauges.
  SourceRegistry per_source;

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
  prometheus::Family<prometheus::Gauge>& sources;           // configured sources
  prometheus::Family<prometheus::Gauge>& sources_failing;   // consecutive failures > 0
  prometheus::Family<prometheus::Counter>& config_reloads;  // {result}
  prometheus::Family<prometheus::Counter>& state_errors;    // {operation}
  prometheus::Family<prometheus::Counter>& dead_letters;    // {result}
  prometheus::Family<prometheus::Gauge>& seen_entries;
  prometheus::Family<prometheus::Counter>& seen_pruned;  // older than the retention
  prometheus::Family<prometheus::Gauge>& kafka_reachable;
  prometheus::Family<prometheus::Gauge>& build_info;  // {version, commit}
  // The Kafka state store (docs/state-topic.md).
  prometheus::Family<prometheus::Counter>& kafka_transactions;     // {outcome}
  prometheus::Family<prometheus::Gauge>& state_restore_seconds;    // the last restore
  prometheus::Family<prometheus::Gauge>& state_restore_records;    // read by it so far
  prometheus::Family<prometheus::Counter>& state_records_written;  // acknowledged/committed
  prometheus::Family<prometheus::Counter>& state_records_failed;   // lost or aborted
  // URLs robots.txt kept newsd from fetching {source} (source="_all" without per-source labels)
  prometheus::Family<prometheus::Counter>& robots_disallowed;
  // Several instances (`cluster:`); series exist only then (cluster::Handover adds them).
  prometheus::Family<prometheus::Gauge>& cluster_owned_partitions;
  prometheus::Family<prometheus::Gauge>& cluster_owned_sources;
  prometheus::Family<prometheus::Counter>& cluster_rebalances;          // {change}
  prometheus::Family<prometheus::Histogram>& cluster_handover_seconds;  // {change}

 private:
  friend class Exposition;
  // Every family in exposition order: a prometheus-cpp family, or one of per_source's.
  struct Part {
    const prometheus::Collectable* family = nullptr;
    SourceRegistry::Family source_family{};
  };
  std::vector<Part> parts_;
};

// The exposition written piece by piece: a scrape of 10,000 sources with per-source labels
// is 13 MB of text, which would otherwise sit in memory whole and hold the event loop (that
// serves /metrics) for a third of a second.
class Exposition {
 public:
  explicit Exposition(const Metrics& metrics) : metrics_(metrics) {}
  // Appends the next piece, at least `size` bytes unless the exposition ends first. Returns
  // false once everything has been written.
  bool next(std::string& out, std::size_t size = 256 * 1024);

 private:
  const Metrics& metrics_;
  std::size_t part_ = 0;  // 0: process_*, then parts_[part_ - 1]
  std::string from_;      // the last source written of a per-source family
};

// Standard buckets for fetch and delivery durations, in seconds.
const prometheus::Histogram::BucketBoundaries& latency_buckets();
// Buckets for freshness (published -> acked), seconds up to a day.
const prometheus::Histogram::BucketBoundaries& freshness_buckets();
// Buckets for a cluster hand-over (restore or release of partitions), seconds.
const prometheus::Histogram::BucketBoundaries& handover_buckets();

}  // namespace newsd::metrics
