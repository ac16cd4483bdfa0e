#include "publish/outbox.h"

#include <gtest/gtest.h>

#include "publish/tests/fake_publisher.h"

namespace newsd::publish {
namespace {

using namespace std::chrono_literals;

struct FakeLane : Lane {
  const std::string& name() const override { return name_; }
  void delivered(const std::string& id, const Receipt& r, const Delivery& d) override {
    reports.push_back(id + (d.ok ? "" : "!") + (r.updated ? "+" : ""));
  }
  void retried() override { ++retries; }
  void handed(const std::string& id, const Receipt&) override { taken.push_back(id); }
  std::string name_ = "s";
  std::vector<std::string> reports;
  std::vector<std::string> taken;
  int retries = 0;
};

Outgoing post(const std::string& id, bool updated = false) {
  Outgoing out;
  out.record.topic = "news.t";
  out.record.key = id;
  out.receipt.updated = updated;
  return out;
}

class OutboxTest : public ::testing::Test {
 protected:
  void run_for(std::chrono::milliseconds d) {
    clock_.advance(d);
    io_.restart();
    io_.poll();
  }
  boost::asio::io_context io_;
  ManualClock clock_{io_};
  FakePublisher publisher_;
  metrics::Metrics metrics_;
  Outbox outbox_{publisher_, clock_, metrics_, {.max_in_flight = 8, .retry = 100ms}};
  std::shared_ptr<FakeLane> lane_ = std::make_shared<FakeLane>();
};

TEST_F(OutboxTest, HandsPostsOverAndReportsEachDeliveryToItsLane) {
  outbox_.send(lane_, post("a"));
  outbox_.send(lane_, post("b", true));
  EXPECT_FALSE(lane_->idle());
  publisher_.ack();
  publisher_.ack(false);
  EXPECT_EQ(lane_->reports, (std::vector<std::string>{"a", "b!+"}));
  EXPECT_TRUE(lane_->idle());
}

TEST_F(OutboxTest, HoldsPostsInOrderWhileTheProducerIsFullAndRetriesByItself) {
  publisher_.capacity = 1;
  for (const char* id : {"a", "b", "c"}) outbox_.send(lane_, post(id));
  EXPECT_EQ(outbox_.paused(), 1u);
  EXPECT_EQ(outbox_.held(), 2u);
  std::vector<std::string> order{publisher_.ack()};
  run_for(99ms);
  EXPECT_TRUE(publisher_.pending.empty());  // not before the retry is due
  run_for(1ms);
  EXPECT_EQ(lane_->retries, 1);
  order.push_back(publisher_.ack());
  run_for(100ms);
  order.push_back(publisher_.ack());
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(outbox_.paused(), 0u);
  EXPECT_EQ(outbox_.held(), 0u);
  EXPECT_TRUE(lane_->idle());
}

// Exactly-once marks a post seen in the transaction the producer put it in: at hand-over.
TEST_F(OutboxTest, TellsTheLaneOfEachPostTheProducerTookWhenItTookIt) {
  publisher_.capacity = 1;
  outbox_.send(lane_, post("a"));
  outbox_.send(lane_, post("b"));
  EXPECT_EQ(lane_->taken, (std::vector<std::string>{"a"}));  // "b" is held, not taken
  publisher_.ack();
  run_for(100ms);
  EXPECT_EQ(lane_->taken, (std::vector<std::string>{"a", "b"}));
}

TEST_F(OutboxTest, HasNoRoomOnceAQuarterOfMaxInFlightIsHeld) {
  publisher_.capacity = 0;
  int rooms = 0;
  outbox_.on_room([&] { ++rooms; });
  outbox_.send(lane_, post("a"));
  EXPECT_TRUE(outbox_.has_room());
  outbox_.send(lane_, post("b"));
  EXPECT_FALSE(outbox_.has_room());  // 2 of max_in_flight 8
  publisher_.capacity = 10;
  run_for(100ms);
  EXPECT_TRUE(outbox_.has_room());
  EXPECT_EQ(rooms, 1);
}

TEST_F(OutboxTest, APostTheProducerRefusesForGoodIsDroppedAndMarksTheLane) {
  publisher_.refuse = true;
  outbox_.send(lane_, post("a"));
  EXPECT_TRUE(lane_->refused());
  EXPECT_TRUE(lane_->idle());
  EXPECT_EQ(outbox_.held(), 0u);
}

}  // namespace
}  // namespace newsd::publish
