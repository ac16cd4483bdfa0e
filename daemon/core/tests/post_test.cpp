#include "core/post.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace newsd {
namespace {

using namespace std::chrono;

TEST(Post, FormatsTimesAsRfc3339Utc) {
  const sys_seconds t = sys_days{2022y / January / 26} + 12h + 27min + 25s;
  EXPECT_EQ(format_rfc3339(t), "2022-01-26T12:27:25Z");
}

TEST(Post, DigestChangesWhenBodyChanges) {
  EXPECT_NE(content_digest("t", "body"), content_digest("t", "body!"));
  EXPECT_NE(content_digest("ab", "c"), content_digest("a", "bc"));
  EXPECT_EQ(content_digest("t", "b").size(), 64u);
}

TEST(Post, SerializesNullsAndAllFields) {
  Post p;
  p.id = "x";
  p.source = "s";
  p.title = "T";
  p.body_text = "B";
  p.fetched_at = sys_days{2024y / May / 1};
  seal(p);
  const auto v = boost::json::parse(to_json(p)).as_object();
  EXPECT_EQ(v.size(), 17u);
  EXPECT_TRUE(v.at("url").is_null());
  EXPECT_TRUE(v.at("published_at").is_null());
  EXPECT_EQ(v.at("fetched_at").as_string(), "2024-05-01T00:00:00Z");
  EXPECT_EQ(v.at("content_sha256").as_string(), content_digest("T", "B"));
  EXPECT_TRUE(v.at("tags").as_array().empty());
}

}  // namespace
}  // namespace newsd
