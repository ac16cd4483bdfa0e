#include <gtest/gtest.h>

#include "parse/parser.h"
#include "parse/tests/test_util.h"

namespace newsd::parse {
namespace {

using namespace testing;

TEST(AtomParser, ResolvesRelativeLinksAgainstXmlBase) {
  const std::string bytes = fixture("atom_relative_links_xml_base.xml");
  EXPECT_EQ(detect(bytes, ""), Format::atom);
  const auto posts = parse_ok(bytes, Format::automatic, context_for("https://example.org/feed"));
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].post.url, "https://example.org/blog/posts/first.html");
  EXPECT_EQ(posts[0].link, "https://example.org/blog/posts/first.html");
  EXPECT_EQ(posts[1].post.url, "https://example.org/abs/second");
}

TEST(AtomParser, ReadsEntryFieldsAndHtmlContent) {
  const auto posts = parse_ok(fixture("atom_relative_links_xml_base.xml"), Format::atom,
                              context_for("https://example.org/feed"));
  ASSERT_EQ(posts.size(), 2u);
  const Post& p = posts[0].post;
  EXPECT_EQ(p.id, "tag:example.org,2024:1");
  EXPECT_EQ(p.title, "Café news");
  EXPECT_EQ(rfc3339(p.published_at), "2024-05-01T10:00:00Z");
  EXPECT_EQ(rfc3339(p.updated_at), "2024-05-02T10:00:00Z");
  EXPECT_EQ(p.author, "Feed Author");
  EXPECT_EQ(p.summary, "Short summary.");
  EXPECT_EQ(p.body_text, "Para one.\nPara & two.");
  EXPECT_EQ(p.body_html, "<p>Para one.</p><p>Para &amp; two.</p><script>evil()</script>");
  EXPECT_EQ(p.category, "worldnews");
  EXPECT_EQ(p.tags, std::vector<std::string>{"World News"});
  EXPECT_EQ(p.lang, "en");
}

TEST(AtomParser, FallsBackToUpdatedAndReadsXhtmlContent) {
  const auto posts = parse_ok(fixture("atom_relative_links_xml_base.xml"), Format::atom,
                              context_for("https://example.org/feed"));
  ASSERT_EQ(posts.size(), 2u);
  const Post& p = posts[1].post;
  EXPECT_EQ(rfc3339(p.published_at), "2024-05-03T00:00:00Z");
  EXPECT_EQ(p.author, "Entry Author");
  EXPECT_EQ(p.body_text, "X one\nX two");
  EXPECT_FALSE(p.summary);
}

TEST(RssParser, KeepsGuidAsIdWhenItIsNotAPermalink) {
  const std::string bytes = fixture("rss_guid_not_permalink.xml");
  EXPECT_EQ(detect(bytes, "application/rss+xml"), Format::rss);
  EXPECT_EQ(detect(bytes, ""), Format::rss);
  const auto posts = parse_ok(bytes, Format::automatic, context_for("https://example.com/rss"));
  ASSERT_EQ(posts.size(), 2u);
  const Post& p = posts[0].post;
  EXPECT_EQ(p.id, "item-0001");
  EXPECT_EQ(p.url, "https://example.com/a/1.html");
  EXPECT_EQ(p.title, "First item");
  EXPECT_EQ(rfc3339(p.published_at), "2022-01-26T12:27:25Z");
  EXPECT_EQ(p.author, "记者 张三");
  EXPECT_EQ(p.summary, "Summary one.");
  EXPECT_EQ(p.body_text, "Body one.\nBody two.");
  EXPECT_EQ(p.body_html, "<p>Body one.</p><p>Body two.</p>");
  EXPECT_EQ(p.category, "xinhuacaijing");
  EXPECT_EQ(p.lang, "zh-cn");
}

TEST(RssParser, UsesPermalinkGuidAsUrlAndSummaryAsBody) {
  const auto posts = parse_ok(fixture("rss_guid_not_permalink.xml"), Format::rss,
                              context_for("https://example.com/rss"));
  ASSERT_EQ(posts.size(), 2u);
  const Post& p = posts[1].post;
  EXPECT_EQ(p.id, "https://example.com/a/2.html");
  EXPECT_EQ(p.url, "https://example.com/a/2.html");
  EXPECT_EQ(posts[1].link, "https://example.com/a/2.html");
  EXPECT_EQ(rfc3339(p.published_at), "2022-01-27T08:00:00Z");
  EXPECT_EQ(p.summary, "Only a summary here.");
  EXPECT_EQ(p.body_text, "Only a summary here.");
  EXPECT_FALSE(p.body_html);
  EXPECT_EQ(p.title, "Only a summary here.");  // derived: the title element is empty
}

TEST(RssParser, ConvertsGbkDocumentToUtf8) {
  const auto posts = parse_ok(fixture("rss_gbk_encoded.xml"), Format::automatic,
                              context_for("http://example.cn/"));
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].post.title, "山西晚报：中国人寿推动高质量发展");
  EXPECT_EQ(posts[0].post.summary, "正文摘要。");
  EXPECT_EQ(rfc3339(posts[0].post.published_at), "2021-12-23T07:25:33Z");
}

TEST(RssParser, ReadsUtf8WhenTheDeclaredCharsetCannotDecodeTheBytes) {
  const auto posts = parse_ok(fixture("rss_utf8_mislabelled_gb2312.xml"), Format::automatic,
                              context_for("https://example.com/"));
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].post.title, "新闻：测试");
}

TEST(RdfParser, ReadsItemsThatAreSiblingsOfTheChannel) {
  const std::string bytes = fixture("rdf_items_beside_channel.xml");
  EXPECT_EQ(detect(bytes, ""), Format::rdf);
  const auto posts = parse_ok(bytes, Format::automatic, context_for("https://example.net/rdf"));
  ASSERT_EQ(posts.size(), 1u);
  const Post& p = posts[0].post;
  EXPECT_EQ(p.id, "https://example.net/1");
  EXPECT_EQ(p.title, "RDF item");
  EXPECT_EQ(rfc3339(p.published_at), "2003-12-13T23:30:02Z");
  EXPECT_EQ(p.category, "science");
  EXPECT_EQ(p.body_text, "RDF description.");
}

TEST(XmlFeeds, RefuseBillionLaughs) {
  const auto result =
      parse(fixture("xml_billion_laughs.xml"), Format::automatic, context_for("https://e/"));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("entities"), std::string::npos);
}

TEST(XmlFeeds, RefuseExternalEntities) {
  const auto result = parse(fixture("xml_external_entity.xml"), Format::rss, context_for("a"));
  ASSERT_FALSE(result.ok());
}

TEST(XmlFeeds, ReportMalformedXmlWithItsOffset) {
  const auto result = parse("<rss><channel><item></channel></rss>", Format::rss, context_for("a"));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("XML error at byte"), std::string::npos);
}

TEST(XmlFeeds, RejectAnUnknownRootElement) {
  const auto result = parse("<?xml version='1.0'?><opml/>", Format::automatic, context_for("a"));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("<opml>"), std::string::npos);
}

TEST(XmlFeeds, CapEntriesPerDocument) {
  std::string doc = "<rss><channel>";
  for (int i = 0; i < 10'005; ++i)
    doc += "<item><title>t</title><guid>" + std::to_string(i) + "</guid></item>";
  doc += "</channel></rss>";
  const auto posts = parse_ok(doc, Format::rss, context_for("a"));
  EXPECT_EQ(posts.size(), 10'000u);
}

TEST(XmlFeeds, ParseEveryCorpusFeedWithTitledEntries) {
  const auto dir = shared_dir() / "corpus/feeds";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "corpus absent: " << dir;
  int feeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".xml") continue;
    SCOPED_TRACE(entry.path().filename().string());
    const std::string bytes = read_file(entry.path());
    const Format f = detect(bytes, "");
    EXPECT_TRUE(f == Format::rss || f == Format::atom || f == Format::rdf) << to_string(f);
    const auto posts = parse_ok(bytes, Format::automatic, context_for("https://example.com/feed"));
    EXPECT_GT(posts.size(), 0u);
    for (const auto& p : posts) {
      EXPECT_FALSE(p.post.title.empty());
      EXPECT_FALSE(p.post.id.empty());
      EXPECT_EQ(p.post.title.find("\xEF\xBF\xBD"), std::string::npos) << p.post.title;
    }
    ++feeds;
  }
  EXPECT_GT(feeds, 0);
}

}  // namespace
}  // namespace newsd::parse
