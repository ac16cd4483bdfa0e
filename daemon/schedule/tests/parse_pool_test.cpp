#include "schedule/parse_pool.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>

namespace newsd::schedule {
namespace {

const char* kFeed = R"(<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><id>a</id><title>A</title><link href="http://site.test/a"/><updated>2024-01-01T00:00:00Z</updated><content>one</content></entry>
<entry><id>b</id><title>B</title><link href="http://site.test/b"/><updated>2024-01-01T00:00:00Z</updated><content>two</content></entry>
</feed>)";

const char* kArticle = R"(<html><head><title>A, in full</title></head>
<body><article><p>The whole of the first article, long enough to be its body.</p></article></body></html>)";

ParseJob feed_job(bool follow) {
  ParseJob job;
  job.body = kFeed;
  job.ctx.source = "s";
  job.ctx.url = "http://site.test/feed";
  job.ctx.content_type = "application/atom+xml";
  job.overrides.category = "world";
  job.overrides.follow = follow;
  job.topic_template = "news.{category}";
  return job;
}

TEST(ParseJob, SerializesTheFeedsPostsThatNeedNoFurtherRequestWithTheSourcesOverrides) {
  ParseResult r = feed_job(false).run();
  ASSERT_TRUE(r.posts);
  EXPECT_EQ(r.format, "atom");
  ASSERT_EQ(r.posts->size(), 2u);
  ASSERT_EQ(r.records.size(), 2u);
  const publish::Outgoing& a = *r.records[0];
  EXPECT_EQ(a.record.topic, "news.world");
  EXPECT_EQ(a.record.key, "a");
  EXPECT_EQ(a.record.value, to_json((*r.posts)[0].post));
  EXPECT_EQ(a.receipt.entry.content_sha256, (*r.posts)[0].post.content_sha256);
  EXPECT_FALSE(a.receipt.updated);
  EXPECT_TRUE(r.raw.empty());
}

TEST(ParseJob, LeavesEntriesWithALinkToFollowForTheirArticle) {
  ParseResult r = feed_job(true).run();
  ASSERT_TRUE(r.posts);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_FALSE(r.records[0]);
  EXPECT_FALSE(r.records[1]);
}

TEST(ParseJob, CompletesAFollowedArticleWithItsFeedEntryAndSerializesIt) {
  ParseResult feed = feed_job(true).run();
  ParseJob job;
  job.kind = ParseJob::Kind::article;
  job.body = kArticle;
  job.ctx.source = "s";
  job.ctx.url = "http://site.test/a";
  job.ctx.content_type = "text/html";
  job.overrides.category = "world";
  job.topic_template = "news.{category}";
  job.entry = (*feed.posts)[0].post;
  job.url = "http://site.test/a";
  ParseResult r = job.run();
  ASSERT_TRUE(r.posts) << r.posts.error().message;
  ASSERT_EQ(r.records.size(), 1u);
  const Post& post = r.posts->front().post;
  auto article = parse::parse(kArticle, parse::detect(kArticle, "text/html"), job.ctx);
  ASSERT_TRUE(article);
  Post expected = parse::merge_followed(job.entry, article->front().post);
  expected.category = "world";
  EXPECT_EQ(to_json(post), to_json(expected));
  EXPECT_EQ(post.id, "a");
  EXPECT_EQ(r.post_id, "a");
  EXPECT_EQ(r.records[0]->record.key, "a");
  EXPECT_EQ(r.records[0]->record.topic, "news.world");
  EXPECT_EQ(r.records[0]->record.value, to_json(post));
}

TEST(ParseJob, KeepsADocumentThatCannotBeParsedForTheDeadLetterTopic) {
  ParseJob job = feed_job(false);
  job.body = "<feed><entry>";
  job.format = parse::Format::atom;
  ParseResult r = job.run();
  EXPECT_FALSE(r.posts);
  EXPECT_EQ(r.raw, "<feed><entry>");
  EXPECT_EQ(r.url, "http://site.test/feed");
}

TEST(ParsePool, WithoutThreadsParsesInline) {
  boost::asio::io_context io;
  ParsePool pool(io, 0, 1);
  bool done = false;
  pool.submit(feed_job(false), [&](ParseResult r) { done = r.posts.ok(); });
  EXPECT_TRUE(done);
  EXPECT_TRUE(pool.has_room());
}

TEST(ParsePool, OnThreadsHandsTheResultBackOnTheLoopAndHasNoRoomMeanwhile) {
  boost::asio::io_context io;
  ParsePool pool(io, 1, 1);
  int rooms = 0;
  pool.on_room([&] { ++rooms; });
  std::optional<ParseResult> result;
  pool.submit(feed_job(false), [&](ParseResult r) { result = std::move(r); });
  EXPECT_FALSE(pool.has_room());
  auto work = boost::asio::make_work_guard(io);  // the worker posts the result back
  for (int i = 0; i < 1000 && !result; ++i) io.run_one_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->posts);
  EXPECT_TRUE(pool.has_room());
  EXPECT_EQ(rooms, 1);
}

}  // namespace
}  // namespace newsd::schedule
