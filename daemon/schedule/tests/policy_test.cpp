#include "schedule/policy.h"

#include <gtest/gtest.h>

namespace newsd::schedule {
namespace {

using namespace std::chrono;

const SysTime kNow = sys_days{2024y / January / 1} + 12h;

Bounds bounds(milliseconds interval) {
  return Bounds{interval};
}

TEST(NextDelay, UsesTheIntervalWhenTheResponseSaysNothing) {
  EXPECT_EQ(next_delay({}, bounds(60s), 0, kNow, 1.0), 60s);
}

TEST(NextDelay, AppliesJitter) {
  EXPECT_EQ(next_delay({}, bounds(100s), 0, kNow, 0.9), 90s);
  EXPECT_EQ(next_delay({}, bounds(100s), 0, kNow, 1.1), 110s);
}

TEST(NextDelay, RespectsTheLongestOfMaxAgeExpiresAndTtl) {
  PollHints h;
  h.status = 200;
  h.cache_control = "public, max-age=300";
  EXPECT_EQ(next_delay(h, bounds(60s), 0, kNow, 1.0), 300s);
  h.cache_control = "max-age=10";
  EXPECT_EQ(next_delay(h, bounds(60s), 0, kNow, 1.0), 60s);  // never shorter than configured
  h.cache_control.reset();
  h.expires = "Mon, 01 Jan 2024 12:15:00 GMT";
  EXPECT_EQ(next_delay(h, bounds(60s), 0, kNow, 1.0), 15min);
  h.ttl = 30min;
  EXPECT_EQ(next_delay(h, bounds(60s), 0, kNow, 1.0), 30min);
}

TEST(NextDelay, CapsHintsAtTheMaximumInterval) {
  PollHints h;
  h.cache_control = "max-age=31536000";
  EXPECT_EQ(next_delay(h, bounds(60s), 0, kNow, 1.0), 6h);
}

TEST(NextDelay, IgnoresMaxAgeWithNoCache) {
  PollHints h;
  h.cache_control = "no-cache, max-age=600";
  EXPECT_EQ(next_delay(h, bounds(60s), 0, kNow, 1.0), 60s);
}

TEST(NextDelay, BacksOffExponentiallyOnFailureWithACap) {
  PollHints h;
  h.failed = true;
  EXPECT_EQ(next_delay(h, bounds(60s), 1, kNow, 1.0), 60s);
  EXPECT_EQ(next_delay(h, bounds(60s), 2, kNow, 1.0), 120s);
  EXPECT_EQ(next_delay(h, bounds(60s), 4, kNow, 1.0), 480s);
  EXPECT_EQ(next_delay(h, bounds(60s), 10, kNow, 1.0), 1h);
  EXPECT_EQ(next_delay(h, bounds(60s), 1000, kNow, 1.0), 1h);
  // A source polled less often than the cap backs off no further than its interval.
  EXPECT_EQ(next_delay(h, bounds(2h), 5, kNow, 1.0), 2h);
}

TEST(NextDelay, HonoursRetryAfterSecondsOn429And503) {
  PollHints h;
  h.failed = true;
  h.status = 429;
  h.retry_after = "900";
  EXPECT_EQ(next_delay(h, bounds(60s), 1, kNow, 1.0), 900s);
  h.status = 503;
  h.retry_after = "Mon, 01 Jan 2024 14:00:00 GMT";
  EXPECT_EQ(next_delay(h, bounds(60s), 1, kNow, 1.0), 2h);
  h.status = 500;  // Retry-After only means something on 429/503
  EXPECT_EQ(next_delay(h, bounds(60s), 1, kNow, 1.0), 60s);
}

TEST(NextDelay, IsNeverBelowOneSecond) {
  EXPECT_EQ(next_delay({}, bounds(10ms), 0, kNow, 1.0), 1s);
}

TEST(HttpDate, ReadsTheThreeFormsOfRfc7231) {
  const auto expect = sys_days{1994y / November / 6} + 8h + 49min + 37s;
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), expect);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), expect);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), expect);
  EXPECT_FALSE(parse_http_date("yesterday"));
  EXPECT_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT trailing"));
}

TEST(RetryAfter, RejectsGarbageAndClampsPastDates) {
  EXPECT_FALSE(parse_retry_after("soon", kNow));
  EXPECT_FALSE(parse_retry_after("-5", kNow));
  EXPECT_EQ(parse_retry_after("Mon, 01 Jan 2024 11:00:00 GMT", kNow), 0ms);
}

TEST(HostGate, SpacesRequestsToOneHost) {
  HostGate gate(500ms);
  const SteadyTime t0{};
  EXPECT_EQ(gate.reserve("a", t0), t0);
  EXPECT_EQ(gate.reserve("a", t0), t0 + 500ms);
  EXPECT_EQ(gate.reserve("a", t0 + 100ms), t0 + 1000ms);
  EXPECT_EQ(gate.reserve("b", t0), t0);  // other hosts are not held up
  EXPECT_EQ(gate.reserve("a", t0 + 10s), t0 + 10s);
}

std::vector<SysTime> every(milliseconds gap, int count) {
  std::vector<SysTime> out;
  for (int i = 0; i < count; ++i) out.push_back(kNow - gap * i);
  return out;
}

TEST(AdaptiveInterval, FollowsTheMeanGapBetweenRecentPosts) {
  // 20 posts, one every 10 minutes: the last 200 minutes hold 20 posts.
  EXPECT_EQ(adaptive_interval(every(10min, 20), kNow, 1min, 1h), 10min);
}

TEST(AdaptiveInterval, StaysWithinTheBounds) {
  EXPECT_EQ(adaptive_interval(every(10s, 20), kNow, 1min, 1h), 1min);
  // A feed covering more than a week, with 4 posts in it: one every 42 hours.
  auto sparse = every(48h, 10);
  EXPECT_EQ(adaptive_interval(sparse, kNow, 1min, 1h), 1h);
}

TEST(AdaptiveInterval, AQuietWeekSuggestsTheUpperBound) {
  EXPECT_EQ(adaptive_interval({kNow - 24h * 30, kNow - 24h * 40}, kNow, 1min, 2h), 2h);
}

TEST(AdaptiveInterval, NoRhythmWithoutDatesOrWithTooFewPosts) {
  EXPECT_EQ(adaptive_interval({}, kNow, 1min, 1h), std::nullopt);
  EXPECT_EQ(adaptive_interval({kNow - 5min, kNow - 10min}, kNow, 1min, 1h), std::nullopt);
}

TEST(AdaptiveInterval, IgnoresPostsDatedFarAhead) {
  // A wrong time zone puts posts hours ahead; they say nothing about the rhythm.
  auto posts = every(10min, 20);
  for (int i = 0; i < 50; ++i) posts.push_back(kNow + 8h);
  EXPECT_EQ(adaptive_interval(posts, kNow, 1min, 1h), 10min);
}

TEST(HostGate, ForgetsIdleHosts) {
  HostGate gate(1s);
  gate.reserve("a", SteadyTime{});
  gate.reserve("b", SteadyTime{} + 10s);
  gate.forget_idle(SteadyTime{} + 5s);
  EXPECT_EQ(gate.hosts(), 1u);
}

TEST(HostGate, AHostsOwnSpacingRaisesThatHostsSpacingOnly) {
  HostGate gate(500ms);
  gate.set_spacing("slow", 3s);      // its robots.txt asks for a Crawl-delay
  gate.set_spacing("quick", 100ms);  // below the common spacing: the common one holds
  const SteadyTime t0{};
  EXPECT_EQ(gate.reserve("slow", t0), t0);
  EXPECT_EQ(gate.reserve("slow", t0), t0 + 3s);
  EXPECT_EQ(gate.reserve("quick", t0), t0);
  EXPECT_EQ(gate.reserve("quick", t0), t0 + 500ms);
  EXPECT_TRUE(gate.has_own_spacing("slow"));
  EXPECT_FALSE(gate.has_own_spacing("quick"));
}

TEST(HostOf, ExtractsTheLowerCasedHost) {
  EXPECT_EQ(host_of("https://User@Example.COM:8443/feed?x=1"), "example.com:8443");
  EXPECT_EQ(host_of("http://127.0.0.1:80"), "127.0.0.1:80");
  EXPECT_EQ(host_of("not a url"), "");
}

}  // namespace
}  // namespace newsd::schedule
