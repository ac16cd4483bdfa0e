#include "dedupe/deduper.h"

#include <gtest/gtest.h>

#include "dedupe/tests/memory_store.h"

namespace newsd::dedupe {
namespace {

const Timestamp kMonday = Timestamp{} + std::chrono::days(19723);
const Timestamp kTuesday = kMonday + std::chrono::days(1);

TEST(Judge, APostNeverStoredIsFresh) {
  const std::string sha = "1";
  EXPECT_EQ(judge(std::nullopt, {&sha, kMonday, true}), Verdict::fresh);
  EXPECT_EQ(judge(std::nullopt, {nullptr, kMonday, true}), Verdict::fresh);
  EXPECT_EQ(judge(std::nullopt, {nullptr, kMonday, false}), Verdict::fresh);
}

TEST(Judge, ACompletePostIsSeenByItsContentNotByItsDates) {
  const SeenEntry stored{"1", kMonday};
  const std::string same = "1", other = "2";
  EXPECT_EQ(judge(stored, {&same, kTuesday, true}), Verdict::seen);
  EXPECT_EQ(judge(stored, {&other, kMonday, true}), Verdict::changed);
}

TEST(Judge, AnEntryWithALinkToFollowIsFetchedAgainOnlyWhenItsUpdatedTimeMoves) {
  const SeenEntry stored{"1", kMonday};
  EXPECT_EQ(judge(stored, {nullptr, kMonday, true}), Verdict::seen);
  EXPECT_EQ(judge(stored, {nullptr, kTuesday, true}), Verdict::changed);
}

TEST(Judge, AnEntryWithADetailRequestIsNeverRequestedAgainOnceSeen) {
  const SeenEntry stored{"1", kMonday};
  EXPECT_EQ(judge(stored, {nullptr, kTuesday, false}), Verdict::seen);
}

TEST(Deduper, JudgesAFeedWithOneLookUpAndEachIdAgainstItsOwnEntry) {
  MemoryStore store;
  store.seen[{"s", "a"}] = {"A", std::nullopt};
  store.seen[{"s", "b"}] = {"B", std::nullopt};
  store.seen[{"t", "c"}] = {"C", std::nullopt};  // another source's
  Deduper deduper(store);
  const std::string a = "A", b = "changed", c = "C";
  const auto verdicts =
      deduper.judge("s", {"a", "b", "c"},
                    {{&a, std::nullopt, true}, {&b, std::nullopt, true}, {&c, std::nullopt, true}});
  EXPECT_EQ(verdicts, (std::vector<Verdict>{Verdict::seen, Verdict::changed, Verdict::fresh}));
  EXPECT_EQ(deduper.judge("t", "c", {&c, std::nullopt, true}), Verdict::seen);
}

}  // namespace
}  // namespace newsd::dedupe
