// librdkafka statistics (statistics.interval.ms) as Prometheus gauges.
//
// librdkafka hands its statistics JSON to the stats callback on its own thread; this turns
// one such document into the newsd_kafka_broker_* and newsd_kafka_producer_queue gauges.
// Thread-safety: prometheus-cpp families lock internally, so this may run on librdkafka's
// thread while /metrics is served from the loop; it must not run concurrently with itself
// (librdkafka calls the stats callback from one thread at a time).
#pragma once

#include <string_view>

namespace newsd::metrics {
struct Metrics;
}

namespace newsd::publish {

// Sets, per broker named by its `name` ("host:port/nodeid", or "host:port/bootstrap" for a
// configured broker whose node id is not known yet):
//   newsd_kafka_broker_up{broker}          1 when `state` is "UP", else 0
//   newsd_kafka_broker_rtt_seconds{broker} `rtt.avg` (microseconds) in seconds
//   newsd_kafka_broker_errors{broker,kind} kind = txerrs | rxerrs | req_timeouts
// and newsd_kafka_producer_queue{unit="messages"|"bytes"} from the top-level `msg_cnt` and
// `msg_size`. Series of brokers that are no longer in the document are removed, so a
// bootstrap entry replaced by its real node id does not linger.
//
// Throws std::invalid_argument when `json` is not a librdkafka statistics object; the
// gauges are then left as they were.
void export_statistics(std::string_view json, metrics::Metrics& metrics);

}  // namespace newsd::publish
