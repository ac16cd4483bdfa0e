#include "core/post.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdio>
#include <ctime>
#include <random>
#include <vector>

namespace newsd {
namespace {

using namespace std::chrono;

TEST(Post, FormatsTimesAsRfc3339Utc) {
  const sys_seconds t = sys_days{2022y / January / 26} + 12h + 27min + 25s;
  EXPECT_EQ(format_rfc3339(t), "2022-01-26T12:27:25Z");
}

// The digits are written by hand; gmtime_r and strftime are the reference, over the years that
// fit the fixed form and past both ends of it.
TEST(Post, FormatsEveryTimeAsGmtimeDoes) {
  std::mt19937_64 rng(7);
  const std::int64_t lo = -62167219200;  // 0000-01-01T00:00:00Z
  const std::int64_t hi = 253402300799;  // 9999-12-31T23:59:59Z
  std::vector<std::int64_t> secs = {lo, hi, 0, -1, 86399, 86400, 951782400, 4107542399};
  for (int i = 0; i < 20000; ++i)
    secs.push_back(std::uniform_int_distribution<std::int64_t>(lo, hi)(rng));
  for (const std::int64_t s : secs) {
    const std::time_t tt = s;
    std::tm tm{};
    ASSERT_NE(gmtime_r(&tt, &tm), nullptr);
    char want[64];
    std::strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (tm.tm_year + 1900 < 1000) {  // strftime does not pad %Y
      std::snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    }
    EXPECT_EQ(format_rfc3339(Timestamp(seconds(s))), want) << s;
  }
  // Outside 0..9999 the form widens rather than wraps.
  EXPECT_EQ(format_rfc3339(Timestamp(seconds(hi + 1))), "10000-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(Timestamp(seconds(lo - 1))), "-001-12-31T23:59:59Z");
}

TEST(Post, SerializesTimesAsFormatted) {
  Post p;
  p.id = "x";
  p.source = "s";
  p.fetched_at = sys_days{1999y / December / 31} + 23h + 59min + 59s;
  p.published_at = sys_days{2000y / February / 29} + 1h + 2min + 3s;
  p.updated_at = Timestamp(seconds(253402300800));  // year 10000
  seal(p);
  const auto v = boost::json::parse(to_json(p)).as_object();
  EXPECT_EQ(v.at("fetched_at").as_string(), "1999-12-31T23:59:59Z");
  EXPECT_EQ(v.at("published_at").as_string(), "2000-02-29T01:02:03Z");
  EXPECT_EQ(v.at("updated_at").as_string(), "10000-01-01T00:00:00Z");
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
