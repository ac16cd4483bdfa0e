#include "app/state_open.h"

#include <gtest/gtest.h>

namespace newsd::app {
namespace {

TEST(DefaultTransactionalId, IsStableForOneHostAndStateDir) {
  EXPECT_EQ(default_transactional_id("ingest-1", "/var/lib/newsd"),
            default_transactional_id("ingest-1", "/var/lib/newsd"));
  // FNV-1a 32 of "/var/lib/newsd", so that other tools (and later builds) compute the same.
  EXPECT_EQ(default_transactional_id("ingest-1", "/var/lib/newsd"), "newsd-ingest-1-af32db4d");
}

TEST(DefaultTransactionalId, DiffersForTwoStateDirsOnOneHost) {
  EXPECT_NE(default_transactional_id("ingest-1", "/var/lib/newsd-a"),
            default_transactional_id("ingest-1", "/var/lib/newsd-b"));
}

TEST(DefaultTransactionalId, DiffersForOneStateDirOnTwoHosts) {
  EXPECT_NE(default_transactional_id("ingest-1", "/var/lib/newsd"),
            default_transactional_id("ingest-2", "/var/lib/newsd"));
}

TEST(DefaultTransactionalId, ReplacesOddCharactersOfTheHostName) {
  EXPECT_EQ(default_transactional_id("a b/c", "").substr(0, 12), "newsd-a_b_c-");
  EXPECT_EQ(default_transactional_id("", "").substr(0, 16), "newsd-localhost-");
}

TEST(TransactionalId, IsTheConfiguredOneWhenSet) {
  config::Config c;
  c.kafka.transactional_id = "ingest-eu-1";
  EXPECT_EQ(transactional_id(c), "ingest-eu-1");
}

TEST(StateOptions, TakeTheStateSectionAndKafkaSecurityButNotTheTransactionalId) {
  config::Config c;
  c.kafka.brokers = "b:9092";
  c.kafka.properties = {{"security.protocol", "SSL"}, {"transactional.id", "x"}};
  c.state.topic = "s";
  c.state.partitions = 3;
  const auto o = state_options(c);
  EXPECT_EQ(o.brokers, "b:9092");
  EXPECT_EQ(o.topic, "s");
  EXPECT_EQ(o.partitions, 3);
  EXPECT_FALSE(o.replication_factor);
  ASSERT_EQ(o.properties.size(), 1u);
  EXPECT_EQ(o.properties[0].first, "security.protocol");
  c.state.replication_factor = 2;
  EXPECT_EQ(state_options(c).replication_factor, 2);
}

// A SIGKILLed instance's open transaction holds its partitions back until it times out.
TEST(TransactionTimeout, FollowsTheSessionTimeoutOfAnExactlyOnceCluster) {
  config::Config c;
  c.kafka.delivery = "exactly_once";
  EXPECT_FALSE(transaction_timeout(c)) << "one instance: librdkafka's default";
  c.cluster = config::Cluster{"g", "a", std::chrono::seconds(6)};
  EXPECT_EQ(transaction_timeout(c), std::chrono::seconds(6));
  EXPECT_EQ(state_options(c).transaction_timeout, std::chrono::seconds(2))
      << "a transaction gives up on its messages well before the coordinator would";
  c.kafka.properties["message.timeout.ms"] = "30000";
  EXPECT_EQ(transaction_timeout(c), std::chrono::seconds(30)) << "librdkafka refuses less";
  c.kafka.properties["transaction.timeout.ms"] = "20000";
  EXPECT_FALSE(transaction_timeout(c)) << "the operator's own";
  c.kafka.properties.clear();
  c.kafka.delivery = "at_least_once";
  EXPECT_FALSE(transaction_timeout(c));
  EXPECT_EQ(state_options(c).transaction_timeout, std::chrono::seconds(5));
}

}  // namespace
}  // namespace newsd::app
