#include "robots/policy.h"

#include <gtest/gtest.h>

namespace newsd::robots {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const Clock::time_point t0 = Clock::time_point(hours(24 * 365 * 50));

TEST(RobotsPolicy, A2xxBringsRulesForAtMost24Hours) {
  const Entry e = on_fetch(std::nullopt, {200, std::nullopt}, t0);
  EXPECT_EQ(e.access, Access::rules);
  EXPECT_TRUE(e.new_rules);
  EXPECT_EQ(e.expires, t0 + hours(24));
  EXPECT_EQ(on_fetch(std::nullopt, {200, seconds(600)}, t0).expires, t0 + seconds(600));
  EXPECT_EQ(on_fetch(std::nullopt, {200, hours(48)}, t0).expires, t0 + hours(24));
}

TEST(RobotsPolicy, A4xxAllowsEverything) {
  for (int status : {400, 401, 403, 404, 410}) {
    const Entry e = on_fetch(std::nullopt, {status, std::nullopt}, t0);
    EXPECT_EQ(e.access, Access::allow_all) << status;
    EXPECT_EQ(e.expires, t0 + hours(24));
  }
}

TEST(RobotsPolicy, RedirectsThatRunOutCountAsUnavailable) {
  EXPECT_EQ(on_fetch(std::nullopt, {301, std::nullopt}, t0).access, Access::allow_all);
}

TEST(RobotsPolicy, A5xx429OrNoResponseDisallowsEverythingAndRetriesSoon) {
  for (std::optional<int> status : {std::optional<int>(500), std::optional<int>(503),
                                    std::optional<int>(429), std::optional<int>()}) {
    const Entry e = on_fetch(std::nullopt, {status, std::nullopt}, t0);
    EXPECT_EQ(e.access, Access::disallow_all);
    EXPECT_EQ(e.expires, t0 + minutes(15));
    EXPECT_EQ(e.unreachable_since, t0);
  }
}

TEST(RobotsPolicy, AnUnreachableFileKeepsTheLastGoodCopy) {
  const Entry good = on_fetch(std::nullopt, {200, std::nullopt}, t0);
  const Entry e = on_fetch(good, {503, std::nullopt}, t0 + hours(30));
  EXPECT_EQ(e.access, Access::rules);
  EXPECT_FALSE(e.new_rules);
  EXPECT_EQ(e.expires, t0 + hours(30) + minutes(15));
}

TEST(RobotsPolicy, After30DaysUnreachableTheFileCountsAsUnavailable) {
  std::optional<Entry> e = on_fetch(std::nullopt, {200, std::nullopt}, t0);
  e = on_fetch(e, {std::nullopt, std::nullopt}, t0 + hours(1));
  e = on_fetch(e, {std::nullopt, std::nullopt}, t0 + hours(24 * 20));
  EXPECT_EQ(e->access, Access::rules);
  EXPECT_EQ(e->unreachable_since, t0 + hours(1));
  e = on_fetch(e, {std::nullopt, std::nullopt}, t0 + hours(1) + hours(24 * 30));
  EXPECT_EQ(e->access, Access::allow_all);
}

TEST(RobotsPolicy, AResponseEndsUnreachability) {
  std::optional<Entry> e = on_fetch(std::nullopt, {500, std::nullopt}, t0);
  e = on_fetch(e, {404, std::nullopt}, t0 + hours(1));
  EXPECT_FALSE(e->unreachable_since);
  EXPECT_FALSE(stale(*e, t0 + hours(2)));
  EXPECT_TRUE(stale(*e, t0 + hours(25)));
}

TEST(RobotsPolicy, CrawlDelayRaisesTheHostSpacingUpToACap) {
  using std::chrono::milliseconds;
  EXPECT_EQ(host_spacing(milliseconds(500), std::nullopt), milliseconds(500));
  EXPECT_EQ(host_spacing(milliseconds(500), seconds(2)), seconds(2));
  EXPECT_EQ(host_spacing(milliseconds(5000), seconds(2)), seconds(5));
  EXPECT_EQ(host_spacing(milliseconds(500), hours(24)), seconds(60));
}

}  // namespace
}  // namespace newsd::robots
