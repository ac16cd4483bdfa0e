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

// The record used to be built as a boost::json::object and serialized by Boost: the bytes
// written by hand must not differ (consumers may compare or hash them).
std::string boost_json_of(const Post& p) {
  auto opt = [](const std::optional<std::string>& s) -> boost::json::value {
    if (s) return boost::json::string(*s);
    return nullptr;
  };
  auto time = [](const std::optional<Timestamp>& t) -> boost::json::value {
    if (t) return boost::json::string(format_rfc3339(*t));
    return nullptr;
  };
  boost::json::array tags;
  for (const auto& t : p.tags) tags.emplace_back(t);
  boost::json::object o;
  o["id"] = p.id;
  o["source"] = p.source;
  o["url"] = opt(p.url);
  o["origin_url"] = opt(p.origin_url);
  o["title"] = p.title;
  o["published_at"] = time(p.published_at);
  o["updated_at"] = time(p.updated_at);
  o["category"] = opt(p.category);
  o["tags"] = std::move(tags);
  o["media"] = opt(p.media);
  o["author"] = opt(p.author);
  o["summary"] = opt(p.summary);
  o["body_text"] = p.body_text;
  o["body_html"] = opt(p.body_html);
  o["lang"] = opt(p.lang);
  o["fetched_at"] = format_rfc3339(p.fetched_at);
  o["content_sha256"] = p.content_sha256;
  return boost::json::serialize(o);
}

TEST(Post, SerializesEveryByteExactlyAsBoostJsonDid) {
  std::string all;  // every byte value, control characters and quotes included
  for (int c = 1; c < 256; ++c) all.push_back(static_cast<char>(c));
  Post p;
  p.id = "urn:\"quoted\"\\back";
  p.source = "s";
  p.url = "http://example.test/a?b=1&c=<d>/e";
  p.title = "新华财经 \u2028 tab\there";
  p.published_at = sys_days{2022y / January / 26} + 12h;
  p.category = "xinhuacaijing";
  p.tags = {"新闻", "", "a\nb"};
  p.summary = all;
  p.body_text = "line\r\nline\f\b" + std::string(1, '\0') + "end";
  p.body_html = "<p>x</p>";
  p.fetched_at = sys_days{2024y / May / 1};
  seal(p);
  EXPECT_EQ(to_json(p), boost_json_of(p));
  Post empty;
  EXPECT_EQ(to_json(empty), boost_json_of(empty));
}

}  // namespace
}  // namespace newsd
