// KafkaStore's batch contract without a broker: a writer to an address nobody answers loses
// every record, which is what a batch lost to an outage looks like.
#include "state/kafka_store.h"

#include <gtest/gtest.h>

#include <thread>

#include "state/topic_admin.h"

namespace newsd::state {
namespace {

const char* kSha = "1111111111111111111111111111111111111111111111111111111111111111";

KafkaStateOptions unreachable() {
  KafkaStateOptions o;
  o.brokers = "127.0.0.1:1";  // nothing listens on port 1
  o.topic = "newsd.state";
  o.partitions = 12;
  o.timeout = std::chrono::seconds(5);
  o.properties = {{"message.timeout.ms", "300"}, {"log_level", "0"}};
  return o;
}

Timestamp at(std::int64_t s) {
  return Timestamp(std::chrono::seconds(s));
}

TEST(KafkaStore, ReadsItsOwnWritesAtOnce) {
  KafkaStore store(unreachable(), StateIndex{}, make_idempotent_writer(unreachable()));
  EXPECT_TRUE(store.commit("a", "1", {kSha, at(5)}, at(10)));
  EXPECT_TRUE(store.save_poll_state("a", {"e", std::nullopt, 1}));
  ASSERT_TRUE(store.find("a", "1"));
  EXPECT_EQ(store.find("a", "1")->content_sha256, kSha);
  EXPECT_EQ(store.find("a", "1")->updated_at, at(5));
  EXPECT_EQ(store.poll_state("a").etag, "e");
  EXPECT_EQ(store.size(), 1u);
  store.flush();
}

TEST(KafkaStore, ABatchThatIsNotAcknowledgedIsRolledBack) {
  StateIndex before;
  MarkValue old;
  old.sha = ContentHash::from_text("old");
  old.acked_at = 1;
  before.put("a", hash_id("kept"), old);
  before.put("a", hash_id("pruned"), old);
  before.put_poll_state("a", {"e0", std::nullopt, 0});
  KafkaStore store(unreachable(), std::move(before), make_idempotent_writer(unreachable()));
  EXPECT_TRUE(store.commit("a", "kept", {kSha, {}}, at(10)));
  EXPECT_TRUE(store.commit("a", "new", {kSha, {}}, at(10)));
  EXPECT_EQ(store.prune(at(5), 10), 1u);
  EXPECT_TRUE(store.save_poll_state("a", {"e1", std::nullopt, 0}));
  EXPECT_TRUE(store.save_poll_state("b", {"e1", std::nullopt, 0}));
  EXPECT_FALSE(store.flush());
  EXPECT_EQ(store.find("a", "kept")->content_sha256, "old");
  EXPECT_TRUE(store.find("a", "pruned"));
  EXPECT_FALSE(store.find("a", "new"));
  EXPECT_EQ(store.poll_state("a").etag, "e0");
  EXPECT_EQ(store.poll_state("b"), dedupe::PollState{});
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.written().failed, 5u);
}

TEST(KafkaStore, BatchIsNoLongerIntactOnceARecordIsLost) {
  KafkaStore store(unreachable(), StateIndex{}, make_idempotent_writer(unreachable()));
  EXPECT_TRUE(store.batch_intact());
  EXPECT_TRUE(store.commit("a", "1", {kSha, {}}, at(10)));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (store.batch_intact() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(store.batch_intact());
  EXPECT_FALSE(store.flush());
  EXPECT_TRUE(store.batch_intact()) << "a new batch starts after flush()";
}

TEST(StateTopic, UnreachableBrokersAreAStartUpErrorNamingThem) {
  auto o = unreachable();
  o.timeout = std::chrono::milliseconds(500);
  try {
    ensure_topic(o);
    FAIL() << "no error";
  } catch (const StateTopicError& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(check_transactions(o, "newsd-test"), StateTopicError);
}

TEST(StateTopic, APropertyLibrdkafkaRejectsIsNamed) {
  auto o = unreachable();
  o.properties = {{"no.such.property", "1"}};
  try {
    make_idempotent_writer(o);
    FAIL() << "no error";
  } catch (const StateTopicError& e) {
    EXPECT_NE(std::string(e.what()).find("no.such.property"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace newsd::state
