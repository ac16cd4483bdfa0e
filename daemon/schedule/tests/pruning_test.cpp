#include "schedule/pruning.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <string>

#include "dedupe/seen_store.h"

namespace newsd::schedule {
namespace {

using namespace std::chrono;

class SeenPrunerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("newsd-pruner-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    store_ = dedupe::open_sqlite(dir_);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // `n` entries acknowledged `age` ago, under source `source`.
  void add(const std::string& source, int n, hours age) {
    const Timestamp at = floor<seconds>(system_clock::now() - age);
    for (int i = 0; i < n; ++i)
      ASSERT_TRUE(store_->commit(source, std::to_string(i), {"h", std::nullopt}, at));
  }
  // Runs what is ready on the loop, without waiting for the hourly timer.
  void run_ready() {
    io_.restart();
    io_.poll();
  }

  std::filesystem::path dir_;
  std::unique_ptr<dedupe::SeenStore> store_;
  boost::asio::io_context io_;
  prometheus::Counter pruned_;
};

TEST_F(SeenPrunerTest, ForgetsWhatIsOlderThanTheRetentionAChunkPerTurnOfTheLoop) {
  add("old", 25, hours(48));
  add("new", 5, hours(1));
  SeenPruner pruner(io_, *store_, pruned_, {.retention = hours(24), .chunk = 10});
  pruner.start();
  // One chunk at once; the rest waits for the loop, so other work gets its turn between.
  EXPECT_EQ(pruned_.Value(), 10);
  EXPECT_TRUE(pruner.pruning());
  run_ready();
  EXPECT_EQ(pruned_.Value(), 25);
  EXPECT_FALSE(pruner.pruning());
  EXPECT_EQ(store_->size(), 5u);
  EXPECT_FALSE(store_->find("old", "0"));
  EXPECT_TRUE(store_->find("new", "0"));
}

TEST_F(SeenPrunerTest, AShorterRetentionOnReloadPrunesAtOnce) {
  add("week", 3, hours(24 * 7));
  SeenPruner pruner(io_, *store_, pruned_, {.retention = hours(24 * 30)});
  pruner.start();
  EXPECT_EQ(pruned_.Value(), 0);
  pruner.set_retention(hours(24 * 60));  // longer: nothing to do before the next round
  EXPECT_EQ(pruned_.Value(), 0);
  pruner.set_retention(hours(24));
  EXPECT_EQ(pruned_.Value(), 3);
  EXPECT_EQ(store_->size(), 0u);
}

TEST_F(SeenPrunerTest, RoundsRecur) {
  add("old", 2, hours(48));
  SeenPruner pruner(io_, *store_, pruned_,
                    {.retention = hours(24), .every = milliseconds(1), .chunk = 10});
  pruner.start();
  EXPECT_EQ(pruned_.Value(), 2);
  add("later", 3, hours(48));  // e.g. entries that aged past the retention since
  io_.restart();
  io_.run_one();  // the timer's round
  EXPECT_EQ(pruned_.Value(), 5);
}

TEST_F(SeenPrunerTest, StoppedItTouchesTheStoreNoMore) {
  add("old", 30, hours(48));
  {
    SeenPruner pruner(io_, *store_, pruned_, {.retention = hours(24), .chunk = 10});
    pruner.start();
    pruner.stop();
    EXPECT_FALSE(pruner.pruning());
  }
  run_ready();  // the chunk posted before stop() finds the pruner gone
  EXPECT_EQ(pruned_.Value(), 10);
  EXPECT_EQ(store_->size(), 20u);
}

}  // namespace
}  // namespace newsd::schedule
