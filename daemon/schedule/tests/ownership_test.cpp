// The Engine's share of the sources when several instances run (Engine::share/own/release):
// only owned partitions' sources are polled, and a release lets polls under way end within
// a bound or abandons them without marking anything seen, then flushes. On simulated time.
#include "schedule/tests/shared_engine_fixture.h"

namespace newsd::schedule {
namespace {

class OwnershipTest : public SharedEngineTest {
 protected:
  std::unique_ptr<Engine> shared_engine(std::vector<config::Source> sources) {
    return SharedEngineTest::shared_engine(std::move(sources), *counting_);
  }

  void SetUp() override {
    SharedEngineTest::SetUp();
    counting_ = std::make_unique<CountingStore>(*store_);
  }
  CountingStore& counting() { return *counting_; }

  std::unique_ptr<CountingStore> counting_;
};

TEST_F(OwnershipTest, PollsOnlyTheSourcesOfTheOwnedPartitions) {
  const auto a = name_in(0), b = name_in(1);
  auto e = shared_engine({source(a), source(b)});
  e->start();
  run_for(2h);
  EXPECT_EQ(requests(a) + requests(b), 0) << "polled before owning anything";
  EXPECT_EQ(e->owned_sources(), 0u);
  e->own({0});
  EXPECT_EQ(e->owned_sources(), 1u);
  run_until([&] { return publisher_.pending.size() == 3; });
  while (!publisher_.pending.empty()) publisher_.ack();
  run_for(3h);
  EXPECT_GE(requests(a), 3);  // soon after owning, then hourly
  EXPECT_EQ(requests(b), 0);
}

// The operator's view (daemon/status) shows which sources another instance polls.
TEST_F(OwnershipTest, TheListenerHearsWhichSourcesAreOwnedWhenTheShareChanges) {
  struct Heard : PollListener {
    std::map<std::string, bool> owned;
    int lists = 0;
    void sources(const std::vector<SourceEntry>& all) override {
      ++lists;
      for (const auto& e : all) owned[e.name] = e.owned;
    }
    void polled(const PollReport&) override {}
  } heard;
  const auto a = name_in(0), b = name_in(1);
  auto e = shared_engine({source(a), source(b)});
  e->set_listener(&heard);
  EXPECT_FALSE(heard.owned[a]);
  EXPECT_FALSE(heard.owned[b]);
  e->own({1});
  EXPECT_FALSE(heard.owned[a]);
  EXPECT_TRUE(heard.owned[b]);
  bool done = false;
  e->release({1}, 30s, [&] { done = true; });
  EXPECT_FALSE(heard.owned[b]);
  EXPECT_EQ(heard.lists, 3);
  e->set_listener(nullptr);
}

TEST_F(OwnershipTest, AReleaseWithNoPollUnderWayIsDoneAtOnceAndStopsPolling) {
  const auto a = name_in(2);
  auto e = shared_engine({source(a)});
  e->start();
  e->own({2});
  run_until([&] { return publisher_.pending.size() == 3; });
  while (!publisher_.pending.empty()) publisher_.ack();
  run_for(1min);
  const int before = requests(a);
  const int flushes = counting().flushes;
  bool done = false;
  e->release({2}, 30s, [&] { done = true; });
  EXPECT_TRUE(done);
  EXPECT_GT(counting().flushes, flushes);
  run_for(5h);
  EXPECT_EQ(requests(a), before);
  EXPECT_EQ(e->owned_sources(), 0u);
}

TEST_F(OwnershipTest, AReleaseWaitsForThePollUnderWayAndItsMarks) {
  const auto a = name_in(3);
  auto e = shared_engine({source(a)});
  e->start();
  e->own({3});
  run_until([&] { return publisher_.pending.size() == 3; });
  bool done = false;
  e->release({3}, 30s, [&] { done = true; });
  run_for(1s);
  EXPECT_FALSE(done) << "released while its posts were in flight";
  while (!publisher_.pending.empty()) publisher_.ack();
  run_for(1s);
  EXPECT_TRUE(done) << "not released as soon as its poll ended (the bound is 30 s)";
  EXPECT_TRUE(counting().find(a, "c"));
  EXPECT_EQ(counting().poll_state(a).etag, "\"v1\"");
  EXPECT_EQ(e->polls_in_progress(), 0u);
}

TEST_F(OwnershipTest, APollOutlastingTheBoundIsAbandonedAndMarksNothingSeen) {
  const auto a = name_in(1);
  auto e = shared_engine({source(a)});
  e->start();
  e->own({1});
  run_until([&] { return publisher_.pending.size() == 3; });
  publisher_.ack();  // "a" is acknowledged before the release: its mark stays
  bool done = false;
  e->release({1}, 5s, [&] { done = true; });
  run_for(4s);
  EXPECT_FALSE(done);
  run_for(2s);
  EXPECT_TRUE(done) << "the bound did not end the release";
  EXPECT_TRUE(counting().find(a, "a"));
  const int writes = counting().state_writes;
  publisher_.ack();
  publisher_.ack();
  run_until([&] { return e->polls_in_progress() == 0; });
  EXPECT_FALSE(counting().find(a, "b")) << "an abandoned poll marked a post seen";
  EXPECT_FALSE(counting().find(a, "c"));
  EXPECT_EQ(counting().state_writes, writes) << "an abandoned poll saved its validators";
  EXPECT_EQ(e->failed_polls(), 0u);
}

TEST_F(OwnershipTest, APartitionOwnedAgainIsPolledAgainSoon) {
  const auto a = name_in(0);
  auto e = shared_engine({source(a)});
  e->start();
  e->own({0});
  run_until([&] { return publisher_.pending.size() == 3; });
  while (!publisher_.pending.empty()) publisher_.ack();
  run_for(1min);
  bool done = false;
  e->release({0}, 30s, [&] { done = true; });
  ASSERT_TRUE(done);
  const int before = requests(a);
  e->own({0});
  run_for(10s);
  EXPECT_EQ(requests(a), before + 1);
}

}  // namespace
}  // namespace newsd::schedule
