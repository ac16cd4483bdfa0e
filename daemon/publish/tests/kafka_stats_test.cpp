#include "publish/kafka_stats.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "metrics/metrics.h"

namespace newsd::publish {
namespace {

// Captured from librdkafka 2.0.2 producing to a one-node KRaft broker, with a second
// bootstrap address (127.0.0.1:1) that it never connected to and 500 messages lingering.
std::string fixture() {
  std::ifstream in(NEWSD_SOURCE_DIR "/daemon/publish/tests/data/librdkafka_stats.json");
  EXPECT_TRUE(in) << "fixture missing";
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::optional<double> gauge(prometheus::Family<prometheus::Gauge>& f,
                            const prometheus::Labels& labels) {
  if (!f.Has(labels)) return std::nullopt;
  return f.Add(labels).Value();
}

TEST(KafkaStats, ReportsAConnectedBrokerAsUpWithItsRttInSeconds) {
  metrics::Metrics m;
  export_statistics(fixture(), m);
  EXPECT_EQ(gauge(m.kafka_broker_state, {{"broker", "127.0.0.1:54579/1"}}), 1.0);
  const auto rtt = gauge(m.kafka_broker_rtt, {{"broker", "127.0.0.1:54579/1"}});
  ASSERT_TRUE(rtt);
  EXPECT_DOUBLE_EQ(*rtt, 1558e-6);
}

TEST(KafkaStats, KeepsBootstrapPseudoBrokersLabelledByNameAndDown) {
  metrics::Metrics m;
  export_statistics(fixture(), m);
  EXPECT_EQ(gauge(m.kafka_broker_state, {{"broker", "127.0.0.1:1/bootstrap"}}), 0.0);
  EXPECT_EQ(gauge(m.kafka_broker_rtt, {{"broker", "127.0.0.1:1/bootstrap"}}), 0.0);
}

TEST(KafkaStats, ExportsTheProducerQueueInMessagesAndBytes) {
  metrics::Metrics m;
  export_statistics(fixture(), m);
  EXPECT_EQ(gauge(m.kafka_producer_queue, {{"unit", "messages"}}), 500.0);
  EXPECT_EQ(gauge(m.kafka_producer_queue, {{"unit", "bytes"}}), 1000.0);
}

TEST(KafkaStats, ExportsEachErrorKindPerBroker) {
  metrics::Metrics m;
  export_statistics(fixture(), m);
  for (const char* kind : {"txerrs", "rxerrs", "req_timeouts"})
    EXPECT_EQ(gauge(m.kafka_broker_errors, {{"broker", "127.0.0.1:54579/1"}, {"kind", kind}}), 0.0)
        << kind;

  export_statistics(R"({"msg_cnt": 0, "msg_size": 0, "brokers": {"b:9092/2": {
      "name": "b:9092/2", "nodeid": 2, "state": "DOWN", "txerrs": 3, "rxerrs": 4,
      "req_timeouts": 5, "rtt": {"avg": 250000}}}})",
                    m);
  EXPECT_EQ(gauge(m.kafka_broker_state, {{"broker", "b:9092/2"}}), 0.0);
  EXPECT_EQ(gauge(m.kafka_broker_rtt, {{"broker", "b:9092/2"}}), 0.25);
  EXPECT_EQ(gauge(m.kafka_broker_errors, {{"broker", "b:9092/2"}, {"kind", "txerrs"}}), 3.0);
  EXPECT_EQ(gauge(m.kafka_broker_errors, {{"broker", "b:9092/2"}, {"kind", "rxerrs"}}), 4.0);
  EXPECT_EQ(gauge(m.kafka_broker_errors, {{"broker", "b:9092/2"}, {"kind", "req_timeouts"}}), 5.0);
}

TEST(KafkaStats, DropsTheSeriesOfBrokersThatLeftTheStatistics) {
  metrics::Metrics m;
  export_statistics(fixture(), m);
  // The bootstrap entry became node 1: only that one is reported from now on.
  export_statistics(R"({"brokers": {"127.0.0.1:54579/1": {"name": "127.0.0.1:54579/1",
      "state": "UP", "txerrs": 0, "rxerrs": 0, "req_timeouts": 0, "rtt": {"avg": 0}}}})",
                    m);
  EXPECT_EQ(gauge(m.kafka_broker_state, {{"broker", "127.0.0.1:54579/1"}}), 1.0);
  EXPECT_FALSE(m.kafka_broker_state.Has({{"broker", "127.0.0.1:1/bootstrap"}}));
  EXPECT_FALSE(m.kafka_broker_rtt.Has({{"broker", "127.0.0.1:1/bootstrap"}}));
  EXPECT_FALSE(
      m.kafka_broker_errors.Has({{"broker", "127.0.0.1:1/bootstrap"}, {"kind", "txerrs"}}));
  const std::string text = m.serialize();
  EXPECT_EQ(text.find("127.0.0.1:1/bootstrap"), std::string::npos);
}

TEST(KafkaStats, RejectsADocumentThatIsNotStatisticsAndKeepsTheGauges) {
  metrics::Metrics m;
  export_statistics(fixture(), m);
  EXPECT_THROW(export_statistics("{\"brokers\": ", m), std::invalid_argument);
  EXPECT_THROW(export_statistics("[1, 2]", m), std::invalid_argument);
  EXPECT_EQ(gauge(m.kafka_broker_state, {{"broker", "127.0.0.1:54579/1"}}), 1.0);
  EXPECT_EQ(gauge(m.kafka_producer_queue, {{"unit", "messages"}}), 500.0);
}

}  // namespace
}  // namespace newsd::publish
