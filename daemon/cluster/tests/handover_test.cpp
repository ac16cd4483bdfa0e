// The instance's side of a rebalance: restore before polling, release before forgetting
// and letting go. Against the Engine on simulated time (the scheduler's test fixture).
#include "cluster/handover.h"

#include "schedule/tests/shared_engine_fixture.h"

namespace newsd::schedule {
namespace {

class HandoverTest : public SharedEngineTest {
 protected:
  std::unique_ptr<Engine> shared_engine(std::vector<config::Source> sources) {
    return SharedEngineTest::shared_engine(std::move(sources), *store_);
  }
};

TEST_F(HandoverTest, RestoresAnAssignedPartitionBeforeItsSourcesArePolled) {
  const auto a = name_in(1);
  auto e = shared_engine({source(a)});
  e->start();
  std::vector<cluster::Partitions> restored;
  int requests_at_restore = -1;
  cluster::Handover::Restored finish;
  cluster::Handover h(*e,
                      {[&](const cluster::Partitions& ps, cluster::Handover::Restored done) {
                         restored.push_back(ps);
                         finish = std::move(done);
                       },
                       {}},
                      clock_, 30s);
  EXPECT_FALSE(h.ready());
  h.on_assigned({1});
  EXPECT_FALSE(h.ready()) << "ready before the partition's state is restored";
  EXPECT_EQ(h.owned_partitions(), 0u);
  run_for(5s);
  requests_at_restore = requests(a);
  finish(true);
  EXPECT_TRUE(h.ready());
  EXPECT_EQ(h.owned_partitions(), 1u);
  ASSERT_EQ(restored.size(), 1u);
  EXPECT_EQ(restored[0], cluster::Partitions{1});
  EXPECT_EQ(requests_at_restore, 0);
  run_until([&] { return requests(a) == 1; });
}

TEST_F(HandoverTest, ForgetsARevokedPartitionAndLetsGoOnlyOnceItsPollEnded) {
  const auto a = name_in(2);
  auto e = shared_engine({source(a)});
  e->start();
  std::vector<cluster::Partitions> forgotten;
  cluster::Handover h(*e, {{}, [&](const cluster::Partitions& ps) { forgotten.push_back(ps); }},
                      clock_, 30s);
  h.on_assigned({2});
  run_until([&] { return publisher_.pending.size() == 3; });
  bool done = false;
  h.on_revoked({2}, false, [&] { done = true; });
  EXPECT_EQ(h.owned_partitions(), 0u);
  run_for(2s);
  EXPECT_FALSE(done);
  EXPECT_TRUE(forgotten.empty()) << "forgotten while its poll was under way";
  while (!publisher_.pending.empty()) publisher_.ack();
  run_for(1s);
  ASSERT_TRUE(done);
  ASSERT_EQ(forgotten.size(), 1u);
  EXPECT_TRUE(store_->find(a, "c")) << "the marks of the poll were not kept";
  ASSERT_TRUE(h.last_release());
  EXPECT_GE(*h.last_release(), 2s);
  EXPECT_LT(*h.last_release(), 4s);
  EXPECT_EQ(h.rebalances(), 2u);
}

TEST_F(HandoverTest, LostPartitionsAreLetGoAtOnceWithoutMarkingAnythingSeen) {
  const auto a = name_in(0);
  auto e = shared_engine({source(a)});
  e->start();
  cluster::Handover h(*e, {}, clock_, 30s);
  h.on_assigned({0});
  run_until([&] { return publisher_.pending.size() == 3; });
  bool done = false;
  h.on_revoked({0}, true, [&] { done = true; });
  run_for(10ms);
  EXPECT_TRUE(done);
  while (!publisher_.pending.empty()) publisher_.ack();
  run_until([&] { return e->polls_in_progress() == 0; });
  EXPECT_FALSE(store_->find(a, "a"));
}

// One line of the exposition, e.g. `newsd_cluster_rebalances_total{change="lost"} 1`.
bool exposes(const metrics::Metrics& m, const std::string& line) {
  return m.serialize().find("\n" + line + "\n") != std::string::npos;
}

TEST_F(HandoverTest, CountsAndTimesEachChangeAndKeepsTheOwnedGauges) {
  const auto a = name_in(1);
  const auto b = name_in(3);
  auto e = shared_engine({source(a), source(b)});
  e->start();
  cluster::Handover h(*e,
                      {[&](const cluster::Partitions&, cluster::Handover::Restored done) {
                         clock_.advance(400ms);
                         done(true);
                       },
                       {}},
                      clock_, 30s, &metrics_);
  EXPECT_TRUE(exposes(metrics_, "newsd_cluster_owned_partitions 0"));
  EXPECT_TRUE(exposes(metrics_, "newsd_cluster_owned_sources 0"));
  EXPECT_TRUE(exposes(metrics_, "newsd_cluster_rebalances_total{change=\"lost\"} 0"));

  h.on_assigned({1, 3});
  EXPECT_TRUE(exposes(metrics_, "newsd_cluster_owned_partitions 2"));
  EXPECT_TRUE(exposes(metrics_, "newsd_cluster_owned_sources 2"));
  EXPECT_TRUE(exposes(metrics_, "newsd_cluster_rebalances_total{change=\"assigned\"} 1"));
  EXPECT_TRUE(exposes(metrics_, "newsd_cluster_handover_seconds_sum{change=\"assigned\"} 0.4"));
  EXPECT_TRUE(exposes(metrics_,
                      "newsd_cluster_handover_seconds_bucket{change=\"assigned\",le=\"0.25\"} 0"));
  EXPECT_TRUE(
      exposes(metrics_, "newsd_cluster_handover_seconds_bucket{change=\"assigned\",le=\"0.5\"} 1"));

  bool done = false;
  h.on_revoked({3}, true, [&] { done = true; });
  run_for(10ms);
  ASSERT_TRUE(done);
  EXPECT_TRUE(exposes(metrics_, "newsd_cluster_owned_partitions 1"));
  EXPECT_TRUE(exposes(metrics_, "newsd_cluster_owned_sources 1"));
  EXPECT_TRUE(exposes(metrics_, "newsd_cluster_rebalances_total{change=\"lost\"} 1"));
  EXPECT_TRUE(exposes(metrics_, "newsd_cluster_rebalances_total{change=\"revoked\"} 0"));
  EXPECT_TRUE(exposes(metrics_, "newsd_cluster_handover_seconds_count{change=\"lost\"} 1"));
}

TEST_F(HandoverTest, AReloadThatAddsSourcesToAnOwnedPartitionUpdatesTheOwnedSources) {
  const auto a = name_in(1);
  std::string b;
  for (int i = 0; b.empty(); ++i) {
    const std::string n = "s" + std::to_string(i);
    if (n != a && state::partition_of(n, kPartitions) == 1) b = n;
  }
  auto e = shared_engine({source(a)});
  e->start();
  cluster::Handover h(*e, {}, clock_, 30s, &metrics_);
  h.on_assigned({1});
  EXPECT_TRUE(exposes(metrics_, "newsd_cluster_owned_sources 1"));
  Options o;
  o.once = false;
  o.http.host_spacing = 0ms;
  e->reconfigure({source(a), source(b)}, o);
  h.sources_changed();
  EXPECT_TRUE(exposes(metrics_, "newsd_cluster_owned_sources 2"));
}

TEST_F(HandoverTest, AnInstanceGivenNoPartitionIsReadyWithNothingToPoll) {
  auto e = shared_engine({source(name_in(1))});
  e->start();
  cluster::Handover h(*e, {}, clock_, 30s);
  h.on_assigned({});
  EXPECT_TRUE(h.ready());
  EXPECT_EQ(h.owned_partitions(), 0u);
  run_for(5s);
  EXPECT_EQ(requests(name_in(1)), 0);
}

// A restore runs off the loop; the group may take the partition back meanwhile.
TEST_F(HandoverTest, APartitionRevokedWhileItsRestoreRunsIsNeverPolledAndItsStateIsForgotten) {
  const auto a = name_in(1), b = name_in(2);
  auto e = shared_engine({source(a), source(b)});
  e->start();
  std::vector<cluster::Handover::Restored> finishes;
  std::vector<cluster::Partitions> forgotten;
  cluster::Handover h(*e,
                      {[&](const cluster::Partitions&, cluster::Handover::Restored done) {
                         finishes.push_back(std::move(done));
                       },
                       [&](const cluster::Partitions& ps) { forgotten.push_back(ps); }},
                      clock_, 30s);
  h.on_assigned({1, 2});
  bool done = false;
  h.on_revoked({1}, false, [&] { done = true; });
  run_for(10ms);
  EXPECT_TRUE(done) << "nothing of partition 1 was polled: nothing to wait for";
  ASSERT_EQ(finishes.size(), 1u);
  finishes[0](true);
  EXPECT_TRUE(h.ready());
  EXPECT_EQ(h.owned_partitions(), 1u);
  ASSERT_EQ(forgotten.size(), 1u);
  EXPECT_EQ(forgotten[0], cluster::Partitions{1}) << "the restored state of the revoked one";
  run_until([&] { return requests(b) >= 1; });
  run_for(5s);
  EXPECT_EQ(requests(a), 0);
}

TEST_F(HandoverTest, AFailedRestoreIsTriedAgainAndItsSourcesWaitForIt) {
  const auto a = name_in(3);
  auto e = shared_engine({source(a)});
  e->start();
  int attempts = 0;
  cluster::Handover h(*e,
                      {[&](const cluster::Partitions& ps, cluster::Handover::Restored done) {
                         EXPECT_EQ(ps, cluster::Partitions{3});
                         done(++attempts >= 3);
                       },
                       {}},
                      clock_, 30s, nullptr, 2s);
  h.on_assigned({3});
  EXPECT_FALSE(h.ready());
  run_for(3s);
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(requests(a), 0) << "polled before its state was restored";
  run_until([&] { return requests(a) == 1; });
  EXPECT_EQ(attempts, 3);
  EXPECT_TRUE(h.ready());
}

TEST_F(HandoverTest, WithoutMetricsNoClusterSeriesExist) {
  auto e = shared_engine({source(name_in(1))});
  cluster::Handover h(*e, {}, clock_, 30s);
  h.on_assigned({1});
  EXPECT_EQ(metrics_.serialize().find("newsd_cluster_owned_partitions "), std::string::npos);
}

}  // namespace
}  // namespace newsd::schedule
