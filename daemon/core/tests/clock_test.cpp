#include "core/clock.h"

#include <gtest/gtest.h>

#include <string>

namespace newsd {
namespace {

using namespace std::chrono_literals;

TEST(ManualClock, StandsStillUntilAdvanced) {
  boost::asio::io_context io;
  ManualClock clock(io);
  const auto steady = clock.steady_now();
  const auto sys = clock.system_now();
  io.poll();
  EXPECT_EQ(clock.steady_now(), steady);
  clock.advance(90s);
  EXPECT_EQ(clock.steady_now() - steady, 90s);
  EXPECT_EQ(clock.system_now() - sys, 90s);
}

TEST(ManualClock, FiresDueTimersInDueOrderOnTheLoopNeverInline) {
  boost::asio::io_context io;
  ManualClock clock(io);
  std::string fired;
  auto a = clock.make_timer(), b = clock.make_timer(), c = clock.make_timer();
  clock.wait_for(*a, 30ms, [&](bool cancelled) { fired += cancelled ? "A!" : "a"; });
  clock.wait_for(*b, 10ms, [&](bool cancelled) { fired += cancelled ? "B!" : "b"; });
  clock.wait_for(*c, 10ms, [&](bool cancelled) { fired += cancelled ? "C!" : "c"; });
  clock.advance(20ms);
  EXPECT_EQ(fired, "");  // posted, not run
  io.poll();
  EXPECT_EQ(fired, "bc");
  EXPECT_TRUE(clock.advance_to_next());
  io.restart();
  io.poll();
  EXPECT_EQ(fired, "bca");
  EXPECT_EQ(clock.steady_now() - clock.next_due(), 0s);
  EXPECT_FALSE(clock.advance_to_next());
}

TEST(ManualClock, ACancelledOrDestroyedTimerRunsItsHandlerAsCancelled) {
  boost::asio::io_context io;
  ManualClock clock(io);
  std::string fired;
  auto a = clock.make_timer(), b = clock.make_timer();
  clock.wait_for(*a, 1s, [&](bool cancelled) { fired += cancelled ? "A!" : "a"; });
  clock.wait_for(*b, 1s, [&](bool cancelled) { fired += cancelled ? "B!" : "b"; });
  a->cancel();
  b.reset();
  io.poll();
  EXPECT_EQ(fired, "A!B!");
  EXPECT_EQ(clock.pending(), 0u);
}

TEST(ManualClock, ANewWaitReplacesThePendingOne) {
  boost::asio::io_context io;
  ManualClock clock(io);
  std::string fired;
  auto a = clock.make_timer();
  clock.wait_for(*a, 1s, [&](bool cancelled) { fired += cancelled ? "1!" : "1"; });
  clock.wait_for(*a, 2s, [&](bool cancelled) { fired += cancelled ? "2!" : "2"; });
  clock.advance(2s);
  io.poll();
  EXPECT_EQ(fired, "1!2");
}

TEST(AsioClock, FiresItsTimersOnTheLoop) {
  boost::asio::io_context io;
  AsioClock clock(io);
  bool fired = false;
  auto t = clock.make_timer();
  clock.wait_for(*t, 0ms, [&](bool cancelled) { fired = !cancelled; });
  EXPECT_FALSE(fired);
  io.run();
  EXPECT_TRUE(fired);
}

}  // namespace
}  // namespace newsd
