// The member's consumer settings (the contract with Kafka's group protocol) and its
// lifecycle without a reachable broker.
#include "cluster/member.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>

namespace newsd::cluster {
namespace {

std::map<std::string, std::string> settings_of(const MemberOptions& o) {
  const auto list = member_settings(o);
  return {list.begin(), list.end()};
}

MemberOptions options() {
  MemberOptions o;
  o.state.brokers = "127.0.0.1:1";  // nothing listens there
  o.state.topic = "newsd.state";
  o.group = "newsd";
  o.session_timeout = std::chrono::seconds(6);
  o.release_timeout = std::chrono::seconds(2);
  return o;
}

class NoListener : public OwnershipListener {
 public:
  void on_assigned(const Partitions&) override { ++calls; }
  void on_revoked(const Partitions&, bool, std::function<void()> done) override {
    ++calls;
    done();
  }
  int calls = 0;
};

TEST(MemberSettings, JoinTheGroupWithTheCooperativeStickyAssignorAndTheSessionTimeout) {
  const auto s = settings_of(options());
  EXPECT_EQ(s.at("group.id"), "newsd");
  EXPECT_EQ(s.at("partition.assignment.strategy"), "cooperative-sticky");
  EXPECT_EQ(s.at("session.timeout.ms"), "6000");
  EXPECT_EQ(s.at("heartbeat.interval.ms"), "2000");
}

TEST(MemberSettings, AreStaticWithAnInstanceNameAndDynamicWithout) {
  EXPECT_EQ(settings_of(options()).count("group.instance.id"), 0u);
  auto o = options();
  o.instance = "host-a";
  EXPECT_EQ(settings_of(o).at("group.instance.id"), "host-a");
}

TEST(MemberSettings, NeverCommitOffsetsNorReadFromTheBeginning) {
  const auto s = settings_of(options());
  EXPECT_EQ(s.at("enable.auto.commit"), "false");
  EXPECT_EQ(s.at("enable.auto.offset.store"), "false");
  EXPECT_EQ(s.at("auto.offset.reset"), "latest");
}

TEST(MemberSettings, LetARevocationWaitLongerThanTheReleaseTimeout) {
  auto o = options();
  o.release_timeout = std::chrono::minutes(4);
  EXPECT_EQ(settings_of(o).at("max.poll.interval.ms"), "480000");
  EXPECT_EQ(settings_of(options()).at("max.poll.interval.ms"), "300000");
}

TEST(Member, RefusesAPropertyLibrdkafkaRejectsByName) {
  auto o = options();
  o.state.properties = {{"no.such.property", "1"}};
  NoListener listener;
  try {
    Member m(o, listener, [](std::function<void()> f) { f(); });
    FAIL() << "a bad property was accepted";
  } catch (const state::StateTopicError& e) {
    EXPECT_NE(std::string(e.what()).find("no.such.property"), std::string::npos) << e.what();
  }
}

TEST(Member, WithoutABrokerOwnsNothingAndIsDestroyedPromptly) {
  NoListener listener;
  const auto start = std::chrono::steady_clock::now();
  {
    Member m(options(), listener, [](std::function<void()> f) { f(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_TRUE(m.owned().empty());
    EXPECT_EQ(m.rebalances(), 0u);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(listener.calls, 0);
}

}  // namespace
}  // namespace newsd::cluster
