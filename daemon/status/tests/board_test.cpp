#include "status/board.h"

#include <gtest/gtest.h>

#include "schedule/policy.h"

namespace newsd::status {
namespace {

using namespace std::chrono;
using schedule::IntervalReason;

const SysTime kT0 = sys_days(year(2026) / 12 / 6) + hours(5);

struct ABoard : ::testing::Test {
  Board board;
  void SetUp() override {
    board.sources({{"alpha", seconds(60)}, {"beta", seconds(60)}, {"gamma", seconds(60)}});
  }
  void poll(const std::string& name, bool failed, int failures,
            IntervalReason reason = IntervalReason::configured, std::size_t delivered = 0,
            SysTime at = kT0, std::string error = "HTTP 500") {
    schedule::PollOutcome o;
    o.started = at - milliseconds(250);
    o.status = failed ? 500 : 200;
    if (failed) {
      o.error_class = "http";
      o.error = std::move(error);
    }
    o.delivered = delivered;
    if (delivered) o.last_delivered = at;
    schedule::PollReport r{name, o, at};
    r.failed = failed;
    r.consecutive_failures = failures;
    r.next_in = seconds(60);
    r.reason = reason;
    r.etag = !failed;
    board.polled(r);
  }
};

TEST_F(ABoard, SourcesNeverPolledAreOkWithNoLastPoll) {
  const SourceRecord* r = board.find("alpha");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->state(), State::ok);
  EXPECT_EQ(r->last_poll(), nullptr);
}

TEST_F(ABoard, AFailedPollMakesTheSourceFailingAndKeepsItsError) {
  poll("beta", true, 1);
  const SourceRecord* r = board.find("beta");
  EXPECT_EQ(r->state(), State::failing);
  EXPECT_EQ(r->consecutive_failures, 1);
  EXPECT_EQ(r->last_error, "HTTP 500");
  ASSERT_NE(r->last_poll(), nullptr);
  EXPECT_EQ(r->last_poll()->status, 500);
  EXPECT_EQ(r->last_poll()->duration(), milliseconds(250));
}

TEST_F(ABoard, BackoffOrRetryAfterMakesTheSourceBackingOff) {
  poll("alpha", true, 2, IntervalReason::backoff);
  poll("beta", true, 1, IntervalReason::retry_after);
  EXPECT_EQ(board.find("alpha")->state(), State::backing_off);
  EXPECT_EQ(board.find("beta")->state(), State::backing_off);
}

TEST_F(ABoard, ARecoveredSourceIsOkButStillShowsItsLastError) {
  poll("beta", true, 1);
  poll("beta", false, 0);
  const SourceRecord* r = board.find("beta");
  EXPECT_EQ(r->state(), State::ok);
  EXPECT_EQ(r->last_error, "HTTP 500");
  EXPECT_TRUE(r->etag);
}

TEST_F(ABoard, PausedWinsOverFailing) {
  poll("beta", true, 3, IntervalReason::backoff);
  ASSERT_TRUE(board.set_paused("beta", true));
  EXPECT_EQ(board.find("beta")->state(), State::paused);
  ASSERT_TRUE(board.set_paused("beta", false));
  EXPECT_EQ(board.find("beta")->state(), State::backing_off);
  EXPECT_FALSE(board.set_paused("nope", true));
}

// Several instances: a source another instance polls says so, whatever this one last saw.
TEST_F(ABoard, ASourceAnotherInstancePollsIsNotOwnedAndKeepsItsHistory) {
  poll("beta", true, 3, IntervalReason::backoff);
  board.sources({{"alpha", seconds(60), true}, {"beta", seconds(60), false}});
  EXPECT_EQ(board.find("beta")->state(), State::not_owned);
  EXPECT_EQ(board.find("beta")->recent().size(), 1u);
  EXPECT_EQ(board.find("alpha")->state(), State::ok);
  const Page page = board.query({});
  EXPECT_EQ(page.counts[static_cast<std::size_t>(State::not_owned)], 1u);
  EXPECT_EQ(page.counts[static_cast<std::size_t>(State::failing)], 0u);
  board.sources({{"alpha", seconds(60), true}, {"beta", seconds(60), true}});
  EXPECT_EQ(board.find("beta")->state(), State::backing_off) << "owned again";
}

TEST_F(ABoard, TheRingKeepsTheLastTwentyPollsNewestFirst) {
  for (int i = 0; i < 25; ++i)
    poll("alpha", false, 0, IntervalReason::configured, 0, kT0 + minutes(i));
  const auto recent = board.find("alpha")->recent();
  ASSERT_EQ(recent.size(), kRecentPolls);
  EXPECT_EQ(recent.front()->started, kT0 + minutes(24) - milliseconds(250));
  EXPECT_EQ(recent.back()->started, kT0 + minutes(5) - milliseconds(250));
}

TEST_F(ABoard, PostsOfTheLastHourAreCountedApartFromTheTotal) {
  poll("alpha", false, 0, IntervalReason::configured, 3, kT0);
  poll("alpha", false, 0, IntervalReason::configured, 2, kT0 + minutes(50));
  const SourceRecord* r = board.find("alpha");
  EXPECT_EQ(r->delivered_total, 5u);
  EXPECT_EQ(r->delivered_last_hour(kT0 + minutes(55)), 5u);
  EXPECT_EQ(r->delivered_last_hour(kT0 + minutes(75)), 2u);
  EXPECT_EQ(r->delivered_last_hour(kT0 + hours(3)), 0u);
  EXPECT_EQ(r->last_new_post, kT0 + minutes(50));
}

TEST_F(ABoard, ErrorsAreKeptAsValidUtf8AndCut) {
  poll("alpha", true, 1, IntervalReason::configured, 0, kT0,
       "bad \xff byte " + std::string(2000, 'x'));
  const std::string& e = board.find("alpha")->last_error;
  EXPECT_NE(e.find("bad \xEF\xBF\xBD byte"), std::string::npos);
  EXPECT_LE(e.size(), kMaxErrorBytes + 8);
}

TEST_F(ABoard, PollsThatFailTheSameWayShareTheirMessage) {
  poll("beta", true, 1);
  poll("beta", true, 2, IntervalReason::backoff, 0, kT0 + minutes(1));
  poll("beta", true, 3, IntervalReason::backoff, 0, kT0 + minutes(2), "HTTP 503");
  const auto recent = board.find("beta")->recent();
  ASSERT_EQ(recent.size(), 3u);
  EXPECT_EQ(recent[0]->error(), "HTTP 503");
  EXPECT_EQ(recent[1]->error(), "HTTP 500");
  EXPECT_EQ(recent[1]->error_text, recent[2]->error_text);
  EXPECT_NE(recent[0]->error_text, recent[1]->error_text);
  EXPECT_EQ(sizeof(PollRecord), 48u);
}

TEST_F(ABoard, QueryListsFailingFirstThenByName) {
  poll("gamma", true, 1);
  poll("alpha", true, 2, IntervalReason::backoff);
  const Page page = board.query({});
  ASSERT_EQ(page.rows.size(), 3u);
  EXPECT_EQ(page.rows[0]->name, "gamma");
  EXPECT_EQ(page.rows[1]->name, "alpha");
  EXPECT_EQ(page.rows[2]->name, "beta");
  EXPECT_EQ(page.counts[size_t(State::failing)], 1u);
  EXPECT_EQ(page.counts[size_t(State::backing_off)], 1u);
  EXPECT_EQ(page.counts[size_t(State::ok)], 1u);
}

TEST_F(ABoard, QueryFiltersByStateAndName) {
  poll("gamma", true, 1);
  Query q;
  q.states = {State::ok};
  Page page = board.query(q);
  ASSERT_EQ(page.matched, 2u);
  EXPECT_EQ(page.rows[0]->name, "alpha");
  q.name = "et";
  page = board.query(q);
  ASSERT_EQ(page.matched, 1u);
  EXPECT_EQ(page.rows[0]->name, "beta");
  EXPECT_EQ(page.total, 3u);
}

TEST_F(ABoard, QueryPagesAcrossStates) {
  poll("gamma", true, 1);
  Query q;
  q.limit = 2;
  Page page = board.query(q);
  ASSERT_EQ(page.rows.size(), 2u);
  EXPECT_EQ(page.rows[0]->name, "gamma");
  EXPECT_EQ(page.rows[1]->name, "alpha");
  q.offset = 2;
  page = board.query(q);
  ASSERT_EQ(page.rows.size(), 1u);
  EXPECT_EQ(page.rows[0]->name, "beta");
  q.offset = 5;
  EXPECT_TRUE(board.query(q).rows.empty());
}

TEST_F(ABoard, AReloadKeepsRecordsOfKeptSourcesAndDropsRemovedOnes) {
  poll("beta", true, 1);
  board.sources({{"beta", seconds(120)}, {"delta", seconds(30)}});
  EXPECT_EQ(board.find("alpha"), nullptr);
  EXPECT_EQ(board.find("beta")->consecutive_failures, 1);
  EXPECT_EQ(board.find("beta")->configured_interval, seconds(120));
  EXPECT_EQ(board.find("delta")->state(), State::ok);
}

TEST(IntervalReason, SaysWhyTheNextPollIsWhenItIs) {
  const SysTime now = kT0;
  schedule::PollHints ok;
  EXPECT_EQ(schedule::interval_reason(ok, 0, false, seconds(60), seconds(63), now),
            IntervalReason::configured);
  EXPECT_EQ(schedule::interval_reason(ok, 0, true, seconds(60), seconds(57), now),
            IntervalReason::adaptive);
  EXPECT_EQ(schedule::interval_reason(ok, 0, false, seconds(60), seconds(600), now),
            IntervalReason::server_hint);
  schedule::PollHints failed;
  failed.failed = true;
  EXPECT_EQ(schedule::interval_reason(failed, 1, false, seconds(60), seconds(60), now),
            IntervalReason::configured);
  EXPECT_EQ(schedule::interval_reason(failed, 3, false, seconds(60), seconds(240), now),
            IntervalReason::backoff);
  failed.status = 429;
  failed.retry_after = "3600";
  EXPECT_EQ(schedule::interval_reason(failed, 1, false, seconds(60), seconds(3600), now),
            IntervalReason::retry_after);
}

}  // namespace
}  // namespace newsd::status
