#include "dedupe/commit_batch.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>

#include "dedupe/tests/memory_store.h"

namespace newsd::dedupe {
namespace {

using namespace std::chrono_literals;

struct FakePoll : BatchMember {
  void batch_lost(bool ended) override { (ended ? lost_after_end : lost) += 1; }
  int lost = 0, lost_after_end = 0;
};

class CommitBatchTest : public ::testing::Test {
 protected:
  void run_for(std::chrono::milliseconds d) {
    clock_.advance(d);
    io_.restart();
    io_.poll();
  }
  bool mark(const std::shared_ptr<FakePoll>& poll, const std::string& id) {
    return batch_.mark_seen(poll, "s", id, {"sha-" + id, std::nullopt}, Timestamp{});
  }
  boost::asio::io_context io_;
  ManualClock clock_{io_};
  MemoryStore store_;
  prometheus::Counter errors_;
  int rolled_back_ = 0;
  CommitBatch batch_{store_, clock_, 20ms, errors_, [this] { ++rolled_back_; }};
};

TEST_F(CommitBatchTest, CommitsTheWritesOfOneDelayTogether) {
  auto poll = std::make_shared<FakePoll>();
  EXPECT_TRUE(mark(poll, "a"));
  run_for(10ms);
  EXPECT_TRUE(mark(poll, "b"));
  EXPECT_TRUE(batch_.save_poll_state("s", {"\"v1\"", std::nullopt, 0}));
  EXPECT_EQ(store_.flushes, 0);
  EXPECT_TRUE(store_.seen.empty());
  run_for(10ms);
  EXPECT_EQ(store_.flushes, 1);
  EXPECT_EQ(store_.seen.size(), 2u);
  EXPECT_EQ(store_.polls["s"].etag, "\"v1\"");
  run_for(1h);
  EXPECT_EQ(store_.flushes, 1);  // nothing written since: no timer, no commit
}

TEST_F(CommitBatchTest, CommitsAtOnceWhenABatchGrowsLarge) {
  auto poll = std::make_shared<FakePoll>();
  for (int i = 0; i < 4096; ++i) mark(poll, std::to_string(i));
  EXPECT_EQ(store_.flushes, 1);
  EXPECT_EQ(store_.seen.size(), 4096u);
}

TEST_F(CommitBatchTest, ABatchThatFailsToCommitFailsThePollsThatWroteOrEndedInIt) {
  auto writer = std::make_shared<FakePoll>(), ended = std::make_shared<FakePoll>();
  auto earlier = std::make_shared<FakePoll>();
  mark(earlier, "x");
  batch_.flush();  // committed: its poll is not affected by the next batch
  mark(writer, "a");
  mark(ended, "b");
  batch_.ended(ended);
  batch_.ended(earlier);  // its marks are in an earlier batch: nothing to join
  store_.fail_flush = true;
  run_for(20ms);
  EXPECT_EQ(writer->lost, 1);
  EXPECT_EQ(writer->lost_after_end, 0);
  EXPECT_EQ(ended->lost_after_end, 1);
  EXPECT_EQ(earlier->lost + earlier->lost_after_end, 0);
  EXPECT_EQ(rolled_back_, 1);
  EXPECT_EQ(errors_.Value(), 1);
}

TEST_F(CommitBatchTest, APollWhoseMarksTheStoreLostIsFailedBeforeItsValidatorsAreWritten) {
  store_.fail_commit = 2;
  auto lucky = std::make_shared<FakePoll>(), unlucky = std::make_shared<FakePoll>();
  EXPECT_TRUE(mark(lucky, "a"));
  EXPECT_FALSE(mark(unlucky, "b"));  // rolls "a" back with it
  EXPECT_EQ(errors_.Value(), 1);
  batch_.settle(*lucky);  // about to end: learns now that its mark is gone
  EXPECT_EQ(lucky->lost, 1);
  EXPECT_EQ(store_.flushes, 1);
  batch_.settle(*unlucky);  // its write failed, it knows; nothing more to flush
  EXPECT_EQ(store_.flushes, 1);
}

}  // namespace
}  // namespace newsd::dedupe
