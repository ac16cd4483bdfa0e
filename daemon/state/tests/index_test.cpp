#include "state/index.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "state/restore.h"

namespace newsd::state {
namespace {

MarkValue mark(int n, std::int64_t acked = 100) {
  MarkValue v;
  char hex[65];
  std::snprintf(hex, sizeof hex, "%064x", n);
  v.sha = ContentHash::from_text(hex);
  v.acked_at = acked;
  if (n % 2) v.updated_at = n;
  return v;
}

TEST(StateIndex, FindsWhatWasPutAndForgetsWhatWasErased) {
  StateIndex index;
  EXPECT_FALSE(index.find("a", hash_id("1")));
  index.put("a", hash_id("1"), mark(1));
  const auto got = index.find("a", hash_id("1"));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->sha, mark(1).sha);
  EXPECT_EQ(got->updated_at, 1);
  EXPECT_EQ(got->acked_at, 100);
  EXPECT_FALSE(index.find("b", hash_id("1"))) << "the source is part of the key";
  index.put("a", hash_id("1"), mark(2));
  EXPECT_EQ(index.size(), 1u);
  EXPECT_EQ(index.find("a", hash_id("1"))->sha, mark(2).sha);
  EXPECT_FALSE(index.find("a", hash_id("1"))->updated_at);
  EXPECT_TRUE(index.erase("a", hash_id("1")));
  EXPECT_FALSE(index.erase("a", hash_id("1")));
  EXPECT_FALSE(index.find("a", hash_id("1")));
  EXPECT_EQ(index.size(), 0u);
}

TEST(StateIndex, KeepsAContentHashGivenAsTextAndDropsItWhenReplaced) {
  StateIndex index;
  MarkValue odd;
  odd.sha = ContentHash::from_text("h1");
  index.put("a", hash_id("x"), odd);
  EXPECT_EQ(index.find("a", hash_id("x"))->sha.to_text(), "h1");
  index.put("a", hash_id("x"), mark(7));
  EXPECT_EQ(index.find("a", hash_id("x"))->sha, mark(7).sha);
  index.put("a", hash_id("y"), odd);
  EXPECT_TRUE(index.erase("a", hash_id("y")));
  index.put("a", hash_id("y"), mark(8));
  EXPECT_FALSE(index.find("a", hash_id("y"))->sha.text);
}

// Random puts and erases against std::map: growth, backward-shift deletion and the moves of
// the dense array keep every mark findable.
TEST(StateIndex, AgreesWithAMapOverManyRandomPutsAndErases) {
  StateIndex index;
  std::map<std::pair<std::string, std::string>, int> model;
  std::mt19937 rng(20);
  for (int step = 0; step < 60'000; ++step) {
    const std::string source = "s" + std::to_string(rng() % 7);
    const std::string id = std::to_string(rng() % 20'000);
    if (rng() % 3 == 0) {
      EXPECT_EQ(index.erase(source, hash_id(id)), model.erase({source, id}) == 1);
    } else {
      const int n = static_cast<int>(rng() % 1000);
      index.put(source, hash_id(id), mark(n));
      model[{source, id}] = n;
    }
  }
  ASSERT_EQ(index.size(), model.size());
  for (const auto& [key, n] : model) {
    const auto got = index.find(key.first, hash_id(key.second));
    ASSERT_TRUE(got) << key.first << "/" << key.second;
    EXPECT_EQ(got->sha, mark(n).sha);
  }
  for (int i = 20'000; i < 21'000; ++i) EXPECT_FALSE(index.find("s1", hash_id(std::to_string(i))));
}

TEST(StateIndex, OldestBeforeGivesTheOldestMarksFirstUpToTheLimit) {
  StateIndex index;
  for (int i = 0; i < 10; ++i) index.put("a", hash_id(std::to_string(i)), mark(i, 1000 - i));
  const auto old = index.oldest_before(996, 3);  // acked 991..995 qualify; 3 oldest
  ASSERT_EQ(old.size(), 3u);
  EXPECT_EQ(old[0].id, hash_id("9"));
  EXPECT_EQ(old[1].id, hash_id("8"));
  EXPECT_EQ(old[2].id, hash_id("7"));
  EXPECT_EQ(old[0].source, "a");
  EXPECT_EQ(index.oldest_before(996, 100).size(), 5u);
  EXPECT_TRUE(index.oldest_before(991, 100).empty());
}

TEST(StateIndex, ForgetsTheSourcesOfPartitionsLetGo) {
  StateIndex index;
  for (int i = 0; i < 5000; ++i)
    index.put(i % 2 ? "odd" : "even", hash_id(std::to_string(i)), mark(i));
  index.put_poll_state("odd", {"e", std::nullopt, 1});
  index.put_poll_state("even", {});
  EXPECT_EQ(index.forget_sources([](std::string_view s) { return s == "odd"; }), 2500u);
  EXPECT_EQ(index.size(), 2500u);
  EXPECT_FALSE(index.poll_state("odd"));
  EXPECT_TRUE(index.poll_state("even"));
  for (int i = 0; i < 5000; ++i)
    EXPECT_EQ(index.find(i % 2 ? "odd" : "even", hash_id(std::to_string(i))).has_value(),
              i % 2 == 0);
}

// A partition restored off the event loop joins the store's index whole.
TEST(StateIndex, AbsorbsTheMarksAndPollStatesOfAnotherIndex) {
  StateIndex mine, restored;
  mine.put("kept", hash_id("k"), mark(1));
  mine.put("both", hash_id("x"), mark(2));
  for (int i = 0; i < 3000; ++i) restored.put("new", hash_id(std::to_string(i)), mark(i, 7));
  restored.put("both", hash_id("x"), mark(3));
  MarkValue text = mark(4);
  text.sha = ContentHash::from_text("not-hex");
  restored.put("text", hash_id("t"), text);
  restored.put_poll_state("new", {"e", "lm", 2});
  mine.absorb(std::move(restored));
  EXPECT_EQ(mine.size(), 3003u);
  EXPECT_TRUE(mine.find("kept", hash_id("k")));
  EXPECT_EQ(mine.find("both", hash_id("x"))->sha, mark(3).sha) << "the restored mark wins";
  EXPECT_EQ(mine.find("new", hash_id("2999"))->sha, mark(2999).sha);
  EXPECT_EQ(mine.find("new", hash_id("2999"))->acked_at, 7);
  EXPECT_EQ(mine.find("new", hash_id("1"))->updated_at, 1);
  EXPECT_FALSE(mine.find("new", hash_id("2"))->updated_at);
  EXPECT_EQ(mine.find("text", hash_id("t"))->sha, text.sha);
  EXPECT_EQ(mine.poll_state("new"), (dedupe::PollState{"e", "lm", 2}));
  EXPECT_EQ(restored.size(), 0u);
}

TEST(StateIndex, PollStatesAreSetReplacedAndErased) {
  StateIndex index;
  EXPECT_FALSE(index.poll_state("a"));
  index.put_poll_state("a", {"e1", std::nullopt, 0});
  index.put_poll_state("a", {"e2", "lm", 2});
  EXPECT_EQ(index.poll_state("a"), (dedupe::PollState{"e2", "lm", 2}));
  EXPECT_TRUE(index.erase_poll_state("a"));
  EXPECT_FALSE(index.poll_state("a"));
}

// Catch-up paging asks whether a source was polled before (SeenStore::has_marks).
TEST(StateIndex, KnowsASourceByAMarkOrAPollStateEvenAfterItsMarksArePruned) {
  StateIndex index;
  EXPECT_FALSE(index.knows("a"));
  index.put("a", hash_id("1"), mark(1));
  EXPECT_TRUE(index.knows("a"));
  EXPECT_TRUE(index.erase("a", hash_id("1")));
  EXPECT_TRUE(index.knows("a"));
  EXPECT_FALSE(index.knows("b"));
  index.put_poll_state("b", {"e1", std::nullopt, 0});
  EXPECT_TRUE(index.knows("b"));
  EXPECT_FALSE(index.knows("c"));
}

TEST(StateRestoreApply, RecordsSetStateAndTombstonesForgetIt) {
  StateIndex index;
  MarkValue v = mark(3);
  v.id = "p1";
  EXPECT_EQ(apply(index, mark_key("src", hash_id("p1")), encode_mark(v)), Applied::mark);
  EXPECT_EQ(apply(index, poll_key("src"), encode_poll({"e", std::nullopt, 4})),
            Applied::poll_state);
  EXPECT_TRUE(index.find("src", hash_id("p1")));
  EXPECT_EQ(index.poll_state("src")->consecutive_failures, 4);
  EXPECT_EQ(apply(index, mark_key("src", hash_id("p1")), std::nullopt), Applied::tombstone);
  EXPECT_EQ(apply(index, poll_key("src"), std::nullopt), Applied::tombstone);
  EXPECT_FALSE(index.find("src", hash_id("p1")));
  EXPECT_FALSE(index.poll_state("src"));
  EXPECT_EQ(apply(index, "zzz", std::string_view("\x01")), Applied::malformed);
  EXPECT_EQ(apply(index, poll_key("src"), std::string_view("\x07\x00", 2)),
            Applied::unknown_version);
  EXPECT_EQ(apply(index, poll_key("src"), std::string_view()), Applied::malformed);
}

}  // namespace
}  // namespace newsd::state
