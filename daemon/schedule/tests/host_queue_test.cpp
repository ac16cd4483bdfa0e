#include "schedule/host_queue.h"

#include <gtest/gtest.h>
#include <prometheus/gauge.h>

#include <boost/asio/post.hpp>
#include <vector>

namespace newsd::schedule {
namespace {

using namespace std::chrono_literals;

// Keeps the requests it was given; the test ends them.
class HeldHttp : public fetch::HttpClient {
 public:
  explicit HeldHttp(boost::asio::io_context& io) : io_(io) {}
  void get(fetch::Request req, fetch::Handler done) override {
    started.push_back(req.url);
    handlers.push_back(std::move(done));
  }
  std::size_t in_flight() const override { return handlers.size(); }
  void shutdown() override {}
  // Ends the oldest request under way (on the loop, as the real client does).
  void end() {
    auto done = std::move(handlers.front());
    handlers.erase(handlers.begin());
    boost::asio::post(io_, [done = std::move(done)] { done(fetch::Response{}); });
  }
  std::vector<std::string> started;
  std::vector<fetch::Handler> handlers;

 private:
  boost::asio::io_context& io_;
};

fetch::Request request(std::string url) {
  fetch::Request r;
  r.url = std::move(url);
  return r;
}

class HostQueueTest : public ::testing::Test {
 protected:
  HostQueue queue(HostQueue::Limits limits) {
    return HostQueue(http_, clock_, limits, depth_, [this] { return room_; });
  }
  void run() {
    io_.restart();
    io_.poll();
  }
  boost::asio::io_context io_;
  ManualClock clock_{io_};
  HeldHttp http_{io_};
  prometheus::Gauge depth_;
  bool room_ = true;
  int ended_ = 0;
  fetch::Handler count() {
    return [this](fetch::Response) { ++ended_; };
  }
};

TEST_F(HostQueueTest, HandsAHostAtMostMaxPerHostRequestsAndStartsTheNextAsOneEnds) {
  auto q = queue({.max_per_host = 2, .host_spacing = 0ms});
  for (int i = 0; i < 3; ++i) q.get(request("http://a.test/" + std::to_string(i)), count());
  q.get(request("http://b.test/"), count());
  EXPECT_EQ(http_.started,
            (std::vector<std::string>{"http://a.test/0", "http://a.test/1", "http://b.test/"}));
  EXPECT_EQ(q.waiting(), 1u);
  EXPECT_EQ(depth_.Value(), 4);  // with the client or waiting
  http_.end();
  run();
  EXPECT_EQ(ended_, 1);
  EXPECT_EQ(http_.started.back(), "http://a.test/2");
  EXPECT_EQ(q.waiting(), 0u);
}

TEST_F(HostQueueTest, SpacesTheStartsOfRequestsToOneHost) {
  auto q = queue({.max_per_host = 4, .host_spacing = 500ms});
  q.get(request("http://a.test/1"), count());
  q.get(request("http://a.test/2"), count());
  q.get(request("http://b.test/1"), count());
  EXPECT_EQ(http_.started, (std::vector<std::string>{"http://a.test/1", "http://b.test/1"}));
  clock_.advance(499ms);
  run();
  EXPECT_EQ(http_.started.size(), 2u);
  clock_.advance(1ms);
  run();
  EXPECT_EQ(http_.started.back(), "http://a.test/2");
}

TEST_F(HostQueueTest, StartsNothingWithoutRoomDownstreamAndResumesTheOldestHostFirst) {
  auto q = queue({.max_per_host = 4, .host_spacing = 0ms});
  room_ = false;
  q.get(request("http://b.test/1"), count());
  q.get(request("http://a.test/1"), count());
  q.get(request("http://b.test/2"), count());
  EXPECT_TRUE(http_.started.empty());
  EXPECT_EQ(q.waiting(), 3u);
  room_ = true;
  q.resume();
  EXPECT_EQ(http_.started,
            (std::vector<std::string>{"http://b.test/1", "http://b.test/2", "http://a.test/1"}));
}

}  // namespace
}  // namespace newsd::schedule
