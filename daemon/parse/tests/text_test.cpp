#include <gtest/gtest.h>

#include "parse/parser.h"
#include "parse/tests/test_util.h"

namespace newsd::parse {
namespace {

using namespace testing;

TEST(TextParser, TakesFirstNonEmptyLineAsTitleAndTrimsBodyLines) {
  const auto posts = parse_ok(fixture("text_leading_blank_lines.txt"), Format::text,
                              context_for("https://example.com/speeches/2022-01.txt"));
  ASSERT_EQ(posts.size(), 1u);
  const Post& p = posts[0].post;
  EXPECT_EQ(p.title, "Speech title");
  EXPECT_EQ(p.body_text, "first line of body.\nsecond line.");
  EXPECT_EQ(p.id, "2022-01");
  EXPECT_EQ(p.url, "https://example.com/speeches/2022-01.txt");
  EXPECT_FALSE(p.body_html);
  EXPECT_FALSE(p.summary);
}

TEST(TextParser, TakesIdFromTheLocalFileNameAndLeavesUrlNull) {
  Context ctx;
  ctx.source = "cli";
  ctx.file_name = "/tmp/seeds/004_2e418d55757be4c8.txt";
  const auto posts = parse_ok("同志们：\n正文\n", Format::text, ctx);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].post.id, "004_2e418d55757be4c8");
  EXPECT_FALSE(posts[0].post.url);
}

TEST(TextParser, UsesContentDigestAsIdWhenThereIsNoUrl) {
  Context ctx;
  ctx.source = "s";
  const auto posts = parse_ok("Title\nBody\n", Format::text, ctx);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].post.id, posts[0].post.content_sha256);
  EXPECT_FALSE(posts[0].post.url);
}

TEST(TextParser, RejectsEmptyDocument) {
  EXPECT_FALSE(parse(" \n\r\n\t\n", Format::text, context_for("a")).ok());
}

TEST(Parser, RejectsDocumentsOverTheSizeLimit) {
  const std::string big(32u * 1024 * 1024 + 1, 'a');
  const auto result = parse(big, Format::text, context_for("a"));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("32 MiB"), std::string::npos);
}

TEST(Parser, ReportsAJsonApiDocumentWithoutAMappingAsAnError) {
  const auto result = parse(R"({"items": []})", Format::automatic, context_for("a"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "json_api: the source has no mapping (items, fields)");
}

TEST(Parser, SetsSourceFetchedAtAndSealsEveryPost) {
  Context ctx = context_for("a.txt");
  ctx.fetched_at = std::chrono::sys_seconds{std::chrono::seconds{1700000000}};
  const auto posts = parse_ok("T\nB", Format::text, ctx);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].post.source, "test");
  EXPECT_EQ(posts[0].post.fetched_at, ctx.fetched_at);
  EXPECT_EQ(posts[0].post.content_sha256, content_digest("T", "B"));
}

TEST(Parser, NeverCrashesOnArbitraryBytesInAnyFormat) {
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk.push_back(static_cast<char>((i * 7919) % 256));
  const std::string variants[] = {junk, "---\n" + junk, "<?xml version='1.0'?><rss>" + junk,
                                  "<feed>" + junk, std::string("\xFF\xFE") + junk};
  for (const std::string& bytes : variants) {
    for (Format f : {Format::automatic, Format::rss, Format::atom, Format::rdf, Format::jekyll,
                     Format::text, Format::html}) {
      const auto result = parse(bytes, f, context_for("x"));
      if (result.ok()) {
        for (const auto& p : *result) EXPECT_FALSE(p.post.content_sha256.empty());
      }
    }
  }
}

TEST(HtmlParser, TakesTitleFromOpenGraphAndTextFromArticle) {
  const std::string page = R"(<!DOCTYPE html><html lang="zh-CN"><head>
    <title>Site | Page</title>
    <meta property="og:title" content="  The   headline ">
    <meta property="article:published_time" content="2022-01-26T20:27:25+08:00">
    <meta name="description" content="A summary.">
    <link rel="canonical" href="/news/1.html">
    </head><body><nav>Home</nav><article><h1>The headline</h1><p>Para one.</p>
    <script>var x;</script><p>Para two.</p></article><footer>(c)</footer></body></html>)";
  const auto posts = parse_ok(page, Format::automatic, context_for("https://example.com/x?y=1"));
  ASSERT_EQ(posts.size(), 1u);
  const Post& p = posts[0].post;
  EXPECT_EQ(p.title, "The headline");
  EXPECT_EQ(p.url, "https://example.com/news/1.html");
  EXPECT_EQ(p.id, "https://example.com/news/1.html");
  EXPECT_EQ(rfc3339(p.published_at), "2022-01-26T12:27:25Z");
  EXPECT_EQ(p.summary, "A summary.");
  EXPECT_EQ(p.lang, "zh-CN");
  // The headline repeated at the top of the article is not body text.
  EXPECT_EQ(p.body_text, "Para one.\nPara two.");
}

TEST(HtmlParser, ParsesEveryCorpusPageWithATitleAndBody) {
  const auto dir = shared_dir() / "corpus/html";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "corpus absent: " << dir;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    SCOPED_TRACE(entry.path().string());
    const std::string bytes = read_file(entry.path());
    ASSERT_EQ(detect(bytes, "text/html"), Format::html);
    const auto posts = parse_ok(bytes, Format::automatic, context_for("https://example.com/a"));
    ASSERT_EQ(posts.size(), 1u);
    EXPECT_FALSE(posts[0].post.title.empty());
    EXPECT_FALSE(posts[0].post.body_text.empty());
  }
}

}  // namespace
}  // namespace newsd::parse
