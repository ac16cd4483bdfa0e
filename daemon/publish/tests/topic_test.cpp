#include <gtest/gtest.h>

#include "publish/publisher.h"

namespace newsd::publish {
namespace {

Post sample() {
  Post p;
  p.id = "NW1";
  p.source = "finews";
  p.category = "xinhuacaijing";
  p.content_sha256 = std::string(64, 'a');
  return p;
}

TEST(Topic, RendersSourceCategoryAndLang) {
  Post p = sample();
  p.lang = "zh-CN";
  EXPECT_EQ(render_topic("news.{category}", p), "news.xinhuacaijing");
  EXPECT_EQ(render_topic("{source}.{lang}", p), "finews.zh-CN");
}

TEST(Topic, UsesPlaceholdersForMissingFields) {
  Post p = sample();
  p.category.reset();
  EXPECT_EQ(render_topic("news.{category}.{lang}", p), "news.uncategorized.und");
}

TEST(Topic, ReducesNamesToKafkaLegalCharacters) {
  Post p = sample();
  p.category = "财经 news/today";
  EXPECT_EQ(
      render_topic("news.{category}", p)
          .find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"),
      std::string::npos);
  p.category = std::string(400, 'x');
  EXPECT_EQ(render_topic("{category}", p).size(), 249u);
}

TEST(CloudEvents, HeadersFollowTheKafkaBinaryBinding) {
  const Record r = make_record("news", sample());
  const auto h = cloudevent_headers(r);
  ASSERT_EQ(h.size(), 6u);
  EXPECT_EQ(h[0], (Header{"ce_specversion", "1.0"}));
  EXPECT_EQ(h[1].second, "NW1#aaaaaaaaaaaaaaaa");
  EXPECT_EQ(h[3].second, "newsd.post.v1");
  EXPECT_EQ(h[5], (Header{"content-type", "application/json"}));
}

TEST(Record, CarriesTheKeyTheJsonAndTheHeadersOfThePost) {
  const Post p = sample();
  const Record r = make_record("news.{category}", p);
  EXPECT_EQ(r.topic, render_topic("news.{category}", p));
  EXPECT_EQ(r.key, p.id);
  EXPECT_EQ(r.value, to_json(p));
  // The headers the publisher sends for the record carry the post's event id, source and
  // fetch time.
  const auto h = cloudevent_headers(r);
  EXPECT_EQ(h[1], (Header{"ce_id", "NW1#aaaaaaaaaaaaaaaa"}));
  EXPECT_EQ(h[2], (Header{"ce_source", "/newsd/sources/finews"}));
  EXPECT_EQ(h[4], (Header{"ce_time", format_rfc3339(p.fetched_at)}));
}

}  // namespace
}  // namespace newsd::publish
