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
