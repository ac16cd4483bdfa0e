// The state store against a real broker: topic checks, a round trip of marks and poll
// states through a restart, tombstones after prune, per-partition restore, and
// read_committed against aborted transactions.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <string>

#include "core/log.h"
#include "state/kafka_store.h"
#include "state/restore.h"
#include "state/tests/kafka_broker.h"
#include "state/topic_admin.h"

namespace newsd::state {
namespace {

using testing::KafkaBroker;

const char* kSha1 = "1111111111111111111111111111111111111111111111111111111111111111";
const char* kSha2 = "2222222222222222222222222222222222222222222222222222222222222222";

KafkaStateOptions options(int partitions = 12) {
  static std::atomic<int> n{0};
  KafkaStateOptions o;
  o.brokers = KafkaBroker::bootstrap();
  o.topic = "state-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
  o.partitions = partitions;
  o.timeout = std::chrono::seconds(30);
  return o;
}

Timestamp at(std::int64_t s) {
  return Timestamp(std::chrono::seconds(s));
}

// Creates `topic` with the admin API as an operator would, outside newsd.
void create_topic(const KafkaStateOptions& o, int partitions, const char* policy) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", o.brokers.c_str(), err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  ASSERT_NE(rk, nullptr) << err;
  rd_kafka_NewTopic_t* t = rd_kafka_NewTopic_new(o.topic.c_str(), partitions, 1, err, sizeof err);
  rd_kafka_NewTopic_set_config(t, "cleanup.policy", policy);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &t, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30'000);
  ASSERT_NE(ev, nullptr);
  std::size_t cnt = 0;
  const auto** res =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
  ASSERT_EQ(cnt, 1u);
  EXPECT_EQ(rd_kafka_topic_result_error(res[0]), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(t);
  rd_kafka_destroy(rk);
}

std::string error_of(const KafkaStateOptions& o) {
  try {
    ensure_topic(o);
  } catch (const StateTopicError& e) {
    return e.what();
  }
  return "";
}

TEST(StateTopic, IsCreatedCompactedWhenMissingAndAcceptedAfterwards) {
  const auto o = options(3);
  EXPECT_TRUE(ensure_topic(o).created);
  EXPECT_FALSE(ensure_topic(o).created);
}

TEST(StateTopic, ThatIsNotCompactedIsRefusedByName) {
  const auto o = options(12);
  create_topic(o, 12, "delete");
  const std::string e = error_of(o);
  EXPECT_NE(e.find(o.topic), std::string::npos) << e;
  EXPECT_NE(e.find("cleanup.policy=delete"), std::string::npos) << e;
}

TEST(StateTopic, ThatIsCompactedAndDeletedIsRefused) {
  const auto o = options(12);
  create_topic(o, 12, "compact,delete");
  EXPECT_NE(error_of(o).find("cleanup.policy=compact,delete"), std::string::npos) << error_of(o);
}

TEST(StateTopic, WithAnotherPartitionCountIsRefusedByName) {
  auto o = options(3);
  create_topic(o, 3, "compact");
  o.partitions = 12;
  const std::string e = error_of(o);
  EXPECT_NE(e.find(o.topic + " has 3 partitions but state.partitions is 12"), std::string::npos)
      << e;
}

TEST(StateTopic, ThatCannotBeCreatedIsReported) {
  auto o = options(3);
  o.replication_factor = 3;  // one broker
  const std::string e = error_of(o);
  EXPECT_NE(e.find(o.topic + " cannot be created"), std::string::npos) << e;
}

TEST(StateTopic, BrokerRunsTransactions) {
  auto o = options();
  EXPECT_NO_THROW(check_transactions(o, "newsd-state-test"));
}

TEST(KafkaStore, MarksAndPollStatesSurviveARestart) {
  const auto o = options(12);
  {
    auto store = open_kafka(o);
    EXPECT_EQ(store->size(), 0u);
    EXPECT_TRUE(store->commit("finews", "p1", {kSha1, at(500)}, at(1000)));
    EXPECT_TRUE(store->commit("finews", "p2", {kSha2, std::nullopt}, at(1001)));
    EXPECT_TRUE(store->commit("eastmoney-37", "p1", {"not-hex", std::nullopt}, at(1002)));
    EXPECT_TRUE(store->commit("finews", "p1", {kSha2, at(600)}, at(1003)));  // updated
    EXPECT_TRUE(store->save_poll_state("finews", {"\"e1\"", "Mon, 01 Jan 2024 00:00:00 GMT", 0}));
    EXPECT_TRUE(store->save_poll_state("eastmoney-37", {std::nullopt, std::nullopt, 2}));
    EXPECT_TRUE(store->batch_intact());
    EXPECT_TRUE(store->flush());
    EXPECT_EQ(store->written().written, 6u);
  }
  RestoreStats stats;
  std::uint64_t last_progress = 0;
  auto store = open_kafka(
      o, [&](const RestoreProgress& p) { last_progress = p.records; }, &stats);
  EXPECT_EQ(stats.records, 6u);
  EXPECT_EQ(last_progress, 6u);
  EXPECT_EQ(store->size(), 3u);
  const auto p1 = store->find("finews", "p1");
  ASSERT_TRUE(p1);
  EXPECT_EQ(p1->content_sha256, kSha2);
  EXPECT_EQ(p1->updated_at, at(600));
  const auto p2 = store->find("finews", "p2");
  ASSERT_TRUE(p2);
  EXPECT_EQ(p2->content_sha256, kSha2);
  EXPECT_FALSE(p2->updated_at);
  EXPECT_EQ(store->find("eastmoney-37", "p1")->content_sha256, "not-hex");
  EXPECT_FALSE(store->find("eastmoney-37", "p2"));
  EXPECT_EQ(store->poll_state("finews"),
            (dedupe::PollState{"\"e1\"", "Mon, 01 Jan 2024 00:00:00 GMT", 0}));
  EXPECT_EQ(store->poll_state("eastmoney-37").consecutive_failures, 2);
  EXPECT_EQ(store->poll_state("unknown"), dedupe::PollState{});
}

TEST(KafkaStore, EverySourceLivesInItsOwnPartitionAndRestoresFromItAlone) {
  const auto o = options(12);
  // "finews" is partition 4 and "eastmoney-37" 3 (the Java vectors of record_test).
  {
    auto store = open_kafka(o);
    ASSERT_EQ(store->partition_of("finews"), 4);
    ASSERT_EQ(store->partition_of("eastmoney-37"), 3);
    for (int i = 0; i < 50; ++i) {
      EXPECT_TRUE(store->commit("finews", "f" + std::to_string(i), {kSha1, {}}, at(i)));
      EXPECT_TRUE(store->commit("eastmoney-37", "e" + std::to_string(i), {kSha1, {}}, at(i)));
    }
    EXPECT_TRUE(store->flush());
  }
  StateIndex only4;
  const std::int32_t four[] = {4, 4};  // listed twice, read once
  const auto stats = restore(o, four, only4);
  EXPECT_EQ(stats.records, 50u);
  EXPECT_EQ(only4.size(), 50u);
  EXPECT_TRUE(only4.find("finews", hash_id("f7")));
  EXPECT_FALSE(only4.find("eastmoney-37", hash_id("e7")));
}

// What app::ClusterRun does on an assignment: restore apart, then adopt.
RestoreStats assign(KafkaStore& store, std::span<const std::int32_t> partitions) {
  StateIndex restored;
  const RestoreStats stats = restore(store.options(), partitions, restored);
  store.adopt(std::move(restored));
  return stats;
}

TEST(KafkaStore, TakesOnAndLetsGoOfPartitions) {
  const auto o = options(12);
  {
    auto store = open_kafka(o);
    EXPECT_TRUE(store->commit("finews", "f", {kSha1, {}}, at(1)));        // partition 4
    EXPECT_TRUE(store->commit("eastmoney-37", "e", {kSha1, {}}, at(1)));  // partition 3
    EXPECT_TRUE(store->save_poll_state("finews", {"e", std::nullopt, 0}));
    EXPECT_TRUE(store->flush());
  }
  KafkaStore store(o, StateIndex{}, make_idempotent_writer(o));
  const std::int32_t three[] = {3}, four[] = {4};
  EXPECT_EQ(assign(store, four).records, 2u);
  EXPECT_TRUE(store.find("finews", "f"));
  EXPECT_FALSE(store.find("eastmoney-37", "e"));
  EXPECT_EQ(assign(store, three).records, 1u);
  EXPECT_TRUE(store.find("eastmoney-37", "e"));
  EXPECT_EQ(store.revoke(four), 1u);
  EXPECT_FALSE(store.find("finews", "f"));
  EXPECT_EQ(store.poll_state("finews"), dedupe::PollState{});
  EXPECT_TRUE(store.find("eastmoney-37", "e"));
}

TEST(KafkaStore, PruneWritesTombstonesThatOutliveARestart) {
  const auto o = options(3);
  {
    auto store = open_kafka(o);
    for (int i = 0; i < 10; ++i)
      EXPECT_TRUE(store->commit("finews", "p" + std::to_string(i), {kSha1, {}}, at(100 + i)));
    EXPECT_TRUE(store->flush());
    EXPECT_EQ(store->prune(at(105), 3), 3u);  // the oldest three of five
    EXPECT_EQ(store->prune(at(105), 100), 2u);
    EXPECT_EQ(store->prune(at(105), 100), 0u);
    EXPECT_TRUE(store->flush());
    EXPECT_EQ(store->size(), 5u);
    EXPECT_FALSE(store->find("finews", "p0"));
  }
  RestoreStats stats;
  auto store = open_kafka(o, {}, &stats);
  EXPECT_EQ(stats.tombstones, 5u);
  EXPECT_EQ(store->size(), 5u);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(store->find("finews", "p" + std::to_string(i)).has_value(), i >= 5) << i;
}

// The text of a transactional call's error ("" for none), which it frees.
std::string text_of(rd_kafka_error_t* e) {
  if (e == nullptr) return "";
  std::string text = rd_kafka_error_string(e);
  rd_kafka_error_destroy(e);
  return text;
}

// A transactional producer of state records, as exactly-once will use one.
class TxnWriter {
 public:
  explicit TxnWriter(const KafkaStateOptions& o) : o_(o) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", o.brokers.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "transactional.id", ("t-" + o.topic).c_str(), err, sizeof err);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (rk_ == nullptr) throw std::runtime_error(err);
    if (rd_kafka_error_t* e = rd_kafka_init_transactions(rk_, 30'000))
      throw std::runtime_error(rd_kafka_error_string(e));
  }
  ~TxnWriter() { rd_kafka_destroy(rk_); }
  rd_kafka_t* rk() const { return rk_; }

  // A mark of `id` of source "finews" in its partition.
  void write(const std::string& id) {
    const std::string key = mark_key("finews", hash_id(id));
    MarkValue v;
    v.sha = ContentHash::from_text(kSha1);
    v.id = id;
    const std::string value = encode_mark(v);
    ASSERT_EQ(rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(o_.topic.c_str()),
                                RD_KAFKA_V_PARTITION(partition_of("finews", o_.partitions)),
                                RD_KAFKA_V_KEY(key.data(), key.size()),
                                RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

 private:
  KafkaStateOptions o_;
  rd_kafka_t* rk_ = nullptr;
};

// What exactly-once will rely on: state records of an aborted transaction never count.
TEST(KafkaStore, RestoreReadsOnlyCommittedTransactions) {
  const auto o = options(3);
  ensure_topic(o);
  TxnWriter txn(o);
  rd_kafka_t* rk = txn.rk();
  auto write = [&](const std::string& id) { txn.write(id); };
  ASSERT_EQ(text_of(rd_kafka_begin_transaction(rk)), "");
  write("committed");
  ASSERT_EQ(text_of(rd_kafka_commit_transaction(rk, 30'000)), "");
  ASSERT_EQ(text_of(rd_kafka_begin_transaction(rk)), "");
  write("aborted");
  // In the log before the abort: abort_transaction() would otherwise drop it unsent.
  ASSERT_EQ(rd_kafka_flush(rk, 30'000), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(text_of(rd_kafka_abort_transaction(rk, 30'000)), "");

  StateIndex index;
  const auto stats = restore(o, all_partitions(o), index);
  EXPECT_EQ(stats.records, 1u);
  EXPECT_TRUE(index.find("finews", hash_id("committed")));
  EXPECT_FALSE(index.find("finews", hash_id("aborted")));
}

// Messages of `topic` partition 0 a read_committed consumer sees.
std::size_t committed_messages(const KafkaStateOptions& o, const std::string& topic) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", o.brokers.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", "state-test", err, sizeof err);
  rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  std::size_t n = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
    if (!m) continue;
    const bool eof = m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
    if (!m->err) ++n;
    rd_kafka_message_destroy(m);
    if (eof) break;
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return n;
}

// Exactly-once's foundation: a post and its mark commit together; a newer instance with
// the same transactional.id fences the old one, whose open transaction (post and mark)
// is then lost together.
TEST(KafkaStore, TransactionalWritesCommitWithThePostsAndAFencedInstanceRollsBack) {
  const auto o = options(3);
  ensure_topic(o);
  const std::string posts = o.topic + "-posts";
  auto post = [&](rd_kafka_t* rk, const std::string& id) {
    ASSERT_EQ(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(posts.c_str()), RD_KAFKA_V_PARTITION(0),
                                RD_KAFKA_V_KEY(id.data(), id.size()),
                                RD_KAFKA_V_VALUE(const_cast<char*>("{}"), 2),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  };
  TxnWriter old_instance(o);
  {
    KafkaStore store(o, StateIndex{}, make_transactional_writer(old_instance.rk(), o));
    post(old_instance.rk(), "p1");
    EXPECT_TRUE(store.commit("finews", "p1", {kSha1, {}}, at(1)));
    EXPECT_TRUE(store.flush());
    EXPECT_EQ(store.written().written, 1u);

    post(old_instance.rk(), "p2");
    EXPECT_TRUE(store.commit("finews", "p2", {kSha1, {}}, at(2)));
    ASSERT_EQ(rd_kafka_flush(old_instance.rk(), 30'000), RD_KAFKA_RESP_ERR_NO_ERROR);
    TxnWriter new_instance(o);  // the same transactional.id: fences the old one
    EXPECT_FALSE(store.flush());
    EXPECT_NE(store.fatal_error(), "");
    EXPECT_TRUE(store.find("finews", "p1"));
    EXPECT_FALSE(store.find("finews", "p2")) << "rolled back with its transaction";
  }
  StateIndex index;
  EXPECT_EQ(restore(o, all_partitions(o), index).records, 1u);
  EXPECT_TRUE(index.find("finews", hash_id("p1")));
  EXPECT_FALSE(index.find("finews", hash_id("p2")));
  EXPECT_EQ(committed_messages(o, posts), 1u);
}

TEST(KafkaStore, RestoreWaitsForATransactionStillOpenAtItsEnd) {
  const auto o = options(1);
  ensure_topic(o);
  TxnWriter txn(o);
  rd_kafka_t* rk = txn.rk();
  auto write = [&](const std::string& id) { txn.write(id); };
  ASSERT_EQ(text_of(rd_kafka_begin_transaction(rk)), "");
  write("early");
  ASSERT_EQ(text_of(rd_kafka_commit_transaction(rk, 30'000)), "");
  ASSERT_EQ(text_of(rd_kafka_begin_transaction(rk)), "");
  write("late");
  ASSERT_EQ(rd_kafka_flush(rk, 30'000), RD_KAFKA_RESP_ERR_NO_ERROR);  // in the log, open

  // The restore reads "early", then stands at the open transaction until it commits.
  std::promise<void> read_early;
  std::atomic<bool> told{false};
  StateIndex index;
  auto restored = std::async(std::launch::async, [&] {
    return restore(
        o, all_partitions(o), index,
        [&](const RestoreProgress& p) {
          if (p.records >= 1 && !told.exchange(true)) read_early.set_value();
        },
        std::chrono::milliseconds(20));
  });
  ASSERT_EQ(read_early.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(restored.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  ASSERT_EQ(text_of(rd_kafka_commit_transaction(rk, 30'000)), "");
  EXPECT_EQ(restored.get().records, 2u);
  EXPECT_TRUE(index.find("finews", hash_id("late")));
}

}  // namespace
}  // namespace newsd::state

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (std::getenv("NEWSD_TEST_DEBUG")) newsd::log::set_level("debug");
  ::testing::AddGlobalTestEnvironment(new newsd::state::testing::KafkaBroker);
  return RUN_ALL_TESTS();
}
