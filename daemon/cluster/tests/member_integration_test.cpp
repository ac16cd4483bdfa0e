// Members of one group against a real broker (the 3-node cluster when
// tests/integration/test_kafka_cluster.py runs this): the state topic's partitions are
// split between the members, move when one leaves, and a cooperative rebalance revokes
// only the partitions that change owner. A transaction fenced through the group (KIP-447)
// cannot commit once another process took the member's place.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "cluster/member.h"
#include "state/tests/kafka_broker.h"
#include "state/topic_admin.h"

namespace newsd::cluster {
namespace {

using namespace std::chrono_literals;

// What one member was told, as the event loop would see it (posts run inline, on the
// member's thread).
class Recorder : public OwnershipListener {
 public:
  void on_assigned(const Partitions& ps) override {
    std::lock_guard lock(mu_);
    owned_.insert(ps.begin(), ps.end());
  }
  void on_revoked(const Partitions& ps, bool, std::function<void()> done) override {
    {
      std::lock_guard lock(mu_);
      for (const auto p : ps) owned_.erase(p);
      revoked_.insert(revoked_.end(), ps.begin(), ps.end());
    }
    done();
  }
  std::set<std::int32_t> owned() const {
    std::lock_guard lock(mu_);
    return owned_;
  }
  Partitions revoked() const {
    std::lock_guard lock(mu_);
    return revoked_;
  }

 private:
  mutable std::mutex mu_;
  std::set<std::int32_t> owned_;
  Partitions revoked_;
};

MemberOptions options(const std::string& topic, const std::string& group) {
  MemberOptions o;
  o.state.brokers = state::testing::KafkaBroker::bootstrap();
  o.state.topic = topic;
  o.state.partitions = 6;
  o.group = group;
  o.session_timeout = 6s;
  o.release_timeout = 10s;
  return o;
}

Post inline_post() {
  return [](std::function<void()> f) { f(); };
}

bool eventually(const std::function<bool()>& condition, std::chrono::seconds limit = 90s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return condition();
}

std::set<std::int32_t> all(int n) {
  std::set<std::int32_t> s;
  for (int p = 0; p < n; ++p) s.insert(p);
  return s;
}

std::set<std::int32_t> joined(const std::set<std::int32_t>& a, const std::set<std::int32_t>& b) {
  std::set<std::int32_t> s = a;
  s.insert(b.begin(), b.end());
  return s;
}

TEST(Members, SplitThePartitionsAndTheSecondJoiningRevokesOnlyWhatMoves) {
  const std::string topic = "cluster-test-" + std::to_string(::getpid()) + "-split";
  auto o = options(topic, topic + "-group");
  ASSERT_NO_THROW(state::ensure_topic(o.state));

  Recorder a_seen, b_seen;
  Member a(o, a_seen, inline_post());
  ASSERT_TRUE(eventually([&] { return a_seen.owned() == all(6); })) << "a never owned all";
  EXPECT_EQ(a.owned().size(), 6u);

  {
    Member b(o, b_seen, inline_post());
    ASSERT_TRUE(eventually([&] {
      const auto sa = a_seen.owned(), sb = b_seen.owned();
      return sa.size() == 3 && sb.size() == 3 && joined(sa, sb) == all(6);
    })) << "the partitions were not split 3/3";
    // Cooperative: a gave up exactly the three b took, and kept the others throughout.
    auto revoked = a_seen.revoked();
    std::sort(revoked.begin(), revoked.end());
    const auto sb = b_seen.owned();
    EXPECT_EQ(revoked, Partitions(sb.begin(), sb.end()));
    EXPECT_TRUE(b_seen.revoked().empty());

    bool left = false;
    b.leave([&] { left = true; });
  }  // b's destructor waits for its close: its partitions were revoked through the listener
  EXPECT_TRUE(b_seen.owned().empty());
  EXPECT_EQ(b_seen.revoked().size(), 3u);
  // A dynamic member's leaving moves its partitions at once, not after a session timeout.
  ASSERT_TRUE(eventually([&] { return a_seen.owned() == all(6); }, 20s))
      << "a did not take b's partitions back";
  EXPECT_EQ(a_seen.revoked().size(), 3u);  // nothing more taken from a
  EXPECT_GE(a.rebalances(), 3u);
}

TEST(Members, AStaticMemberThatDiesIsReplacedAfterItsSessionTimeout) {
  const std::string topic = "cluster-test-" + std::to_string(::getpid()) + "-static";
  auto o = options(topic, topic + "-group");
  ASSERT_NO_THROW(state::ensure_topic(o.state));

  Recorder a_seen, b_seen;
  auto oa = o, ob = o;
  oa.instance = "a";
  ob.instance = "b";
  Member a(oa, a_seen, inline_post());
  auto b = std::make_unique<Member>(ob, b_seen, inline_post());
  ASSERT_TRUE(eventually([&] { return a_seen.owned().size() == 3 && b_seen.owned().size() == 3; }))
      << "the partitions were not split 3/3";
  const auto gone = std::chrono::steady_clock::now();
  b.reset();  // closed without leaving: a static member stays in the group
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(a_seen.owned().size(), 3u) << "a static member's partitions moved at once";
  ASSERT_TRUE(eventually([&] { return a_seen.owned() == all(6); }, 60s))
      << "b's partitions never came to a";
  const auto took = std::chrono::steady_clock::now() - gone;
  EXPECT_GE(took, 5s);  // the session timeout (6 s), less the heartbeat's granularity
  std::printf("static member replaced after %.1f s (session.timeout.ms 6000)\n",
              std::chrono::duration<double>(took).count());
}

// A transactional producer of its own, init_transactions() done.
rd_kafka_t* transactional_producer(const MemberOptions& o, const std::string& id) {
  rd_kafka_conf_t* conf =
      state::make_conf(o.state, "newsd-fence-test", {{"transactional.id", id}, {"acks", "all"}});
  rd_kafka_t* rk = state::make_client(RD_KAFKA_PRODUCER, conf, "a test producer");
  if (rd_kafka_error_t* e = rd_kafka_init_transactions(rk, 60'000)) {
    ADD_FAILURE() << rd_kafka_error_string(e);
    rd_kafka_error_destroy(e);
  }
  return rk;
}

// Begins a transaction with one record in `topic`, fences it through `member` and commits;
// the error of the first step that failed ("" when committed).
std::string commit_through(rd_kafka_t* producer, Member& member, const std::string& topic) {
  std::string failed;
  auto check = [&](rd_kafka_error_t* e, const char* step) {
    if (e == nullptr || !failed.empty()) {
      if (e) rd_kafka_error_destroy(e);
      return;
    }
    failed = std::string(step) + ": " + rd_kafka_error_string(e);
    rd_kafka_error_destroy(e);
  };
  check(rd_kafka_begin_transaction(producer), "begin");
  const std::string key = "k", value = "v";  // a key: the state topic is compacted
  if (rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0),
                        RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
                        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) != 0 &&
      failed.empty())
    failed = "produce";
  check(member.send_offsets(producer, 30'000), "send_offsets");
  if (failed.empty()) check(rd_kafka_commit_transaction(producer, 30'000), "commit");
  if (!failed.empty()) rd_kafka_error_destroy(rd_kafka_abort_transaction(producer, 30'000));
  return failed;
}

TEST(Members, AMemberReplacedByAnotherWithItsInstanceIdCanNoLongerCommit) {
  const std::string topic = "cluster-test-" + std::to_string(::getpid()) + "-fence";
  auto o = options(topic, topic + "-group");
  o.instance = "x";
  ASSERT_NO_THROW(state::ensure_topic(o.state));
  Recorder old_seen, new_seen;
  std::atomic<bool> told_fatal{false};
  auto oo = o;
  oo.on_fatal = [&](const std::string&) { told_fatal = true; };
  Member zombie(oo, old_seen, inline_post());
  ASSERT_TRUE(eventually([&] { return zombie.owned().size() == 6; }));
  rd_kafka_t* zombie_producer = transactional_producer(o, topic + "-zombie");
  EXPECT_EQ(commit_through(zombie_producer, zombie, topic), "") << "the owner could not commit";

  // A second process with the same cluster.instance: the group fences the first.
  Member successor(o, new_seen, inline_post());
  ASSERT_TRUE(eventually([&] { return successor.owned().size() == 6; }));
  rd_kafka_t* successor_producer = transactional_producer(o, topic + "-successor");
  EXPECT_EQ(commit_through(successor_producer, successor, topic), "");
  EXPECT_FALSE(zombie.owned().empty()) << "the zombie still believes it owns its partitions";
  const std::string refused = commit_through(zombie_producer, zombie, topic);
  EXPECT_TRUE(refused.starts_with("send_offsets")) << "the zombie committed: " << refused;
  std::printf("zombie refused: %s\n", refused.c_str());
  EXPECT_TRUE(eventually([&] { return told_fatal.load(); }, 30s))
      << "the fenced member never said it failed for good";
  rd_kafka_destroy(zombie_producer);
  rd_kafka_destroy(successor_producer);
}

}  // namespace
}  // namespace newsd::cluster

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new newsd::state::testing::KafkaBroker);
  return RUN_ALL_TESTS();
}
