#include "parse/slug.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace newsd::parse {
namespace {

TEST(Slug, TurnsOutletNamesIntoTheSeedCategories) {
  EXPECT_EQ(slugify("新华财经"), "xinhuacaijing");
  EXPECT_EQ(slugify("山西晚报"), "shanxiwanbao");
  EXPECT_EQ(slugify("四川日报"), "sichuanribao");
  EXPECT_EQ(slugify("大众日报"), "dazhongribao");
}

TEST(Slug, KeepsExistingSlugsAndCleansOtherText) {
  EXPECT_EQ(slugify("xinhuacaijing"), "xinhuacaijing");
  EXPECT_EQ(slugify("tech-news"), "tech-news");
  EXPECT_EQ(slugify("World News"), "worldnews");
  EXPECT_EQ(slugify("Économie & Société"), "economiesociete");
  EXPECT_EQ(slugify("--a--b--"), "a-b");
  EXPECT_EQ(slugify("!!!"), "");
  EXPECT_TRUE(is_slug("a-1"));
  EXPECT_FALSE(is_slug("A"));
  EXPECT_FALSE(is_slug(""));
}

// ASCII skips ICU (whose Han-Latin; Latin-ASCII rules leave ASCII alone); these held with
// ICU before that shortcut existed.
TEST(Slug, SlugsAsciiTextLikeTheTransliterator) {
  EXPECT_EQ(slugify("Hello, World! 2024"), "helloworld2024");
  EXPECT_EQ(slugify("Sci/Tech\tand\nMore"), "scitechandmore");
  EXPECT_EQ(slugify("A - B"), "a-b");
  EXPECT_EQ(slugify("  -Lead-- "), "lead");
  EXPECT_EQ(slugify("C++ & C#"), "cc");
  std::string all;
  for (char c = 0x20; c < 0x7F; ++c) all.push_back(c);
  EXPECT_EQ(slugify(all), "0123456789abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz");
}

TEST(Slug, IsSafeToCallFromManyThreads) {
  std::vector<std::thread> threads;
  std::vector<std::string> results(8);
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&results, i] {
      for (int k = 0; k < 20; ++k) results[i] = slugify("新华财经");
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& r : results) EXPECT_EQ(r, "xinhuacaijing");
}

}  // namespace
}  // namespace newsd::parse
