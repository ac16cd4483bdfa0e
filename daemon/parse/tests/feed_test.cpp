#include <gtest/gtest.h>

#include "parse/feed_info.h"
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

// Parses an XML feed through parse_feed() so the document info is observable.
std::vector<Parsed> parse_feed_ok(const std::string& bytes, const Context& ctx,
                                  DocumentInfo* info) {
  auto result = parse_feed(bytes, Format::rss, ctx, info);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  if (!result.ok()) return {};
  return std::move(result).value();
}

TEST(RssParser, ReadsRss090WithTheNetscapeNamespace) {
  const std::string bytes = fixture("rss_090_netscape_rdf.xml");
  EXPECT_EQ(detect(bytes, ""), Format::rdf);
  const auto posts = parse_ok(bytes, Format::automatic, context_for("http://www.mozilla.org/"));
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].post.title, "New Status Updates");
  EXPECT_EQ(posts[0].post.url, "http://www.mozilla.org/status/");
  EXPECT_EQ(posts[0].post.id, "http://www.mozilla.org/status/");
  EXPECT_EQ(posts[1].post.title, "Bugzilla Reorganized");
}

TEST(RssParser, ReadsRss091WithANetscapeDoctype) {
  const auto posts = parse_ok(fixture("rss_091_netscape_doctype.xml"), Format::automatic,
                              context_for("http://writetheweb.com/rss"));
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].post.title, "Giving the world a pluggable Gnutella");
  EXPECT_EQ(posts[0].post.url, "http://writetheweb.com/read.php?item=24");
  EXPECT_EQ(posts[0].post.lang, "en-us");
  EXPECT_FALSE(posts[0].post.published_at);
}

TEST(RssParser, IgnoresEnclosuresAndDerivesAMissingTitle) {
  const auto posts = parse_ok(fixture("rss_092_enclosure_ignored.xml"), Format::rss,
                              context_for("http://example.com/feed"));
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].post.title, "Episode one, with an enclosure and no title or link.");
  EXPECT_FALSE(posts[0].post.url);
  EXPECT_FALSE(posts[0].link);
  EXPECT_EQ(posts[0].post.body_text.find("mp3"), std::string::npos);
  EXPECT_EQ(posts[1].post.url, "http://example.com/ep2.html");
  EXPECT_EQ(posts[1].post.body_text, "");
}

TEST(RssParser, UsesGuidAsLinkOnlyWhenItIsAPermalink) {
  const auto posts = parse_ok(fixture("rss_094_guid_permalink_without_link.xml"), Format::rss,
                              context_for("https://example.com/feed"));
  ASSERT_EQ(posts.size(), 4u);
  EXPECT_EQ(posts[0].post.url, "https://example.com/posts/1");
  EXPECT_EQ(posts[1].post.url, "https://example.com/posts/2");
  EXPECT_EQ(posts[2].post.id, "https://example.com/posts/3");
  EXPECT_FALSE(posts[2].post.url);
  EXPECT_EQ(posts[3].post.id, "https://example.com/posts/4");
  EXPECT_EQ(posts[3].post.url, "https://example.com/article/4");
}

TEST(RssParser, ReadsDublinCoreAndContentWhenTheirPrefixesAreUndeclared) {
  const auto posts = parse_ok(fixture("rss_undeclared_dc_prefix.xml"), Format::rss,
                              context_for("https://example.org/feed"));
  ASSERT_EQ(posts.size(), 1u);
  const Post& p = posts[0].post;
  EXPECT_EQ(rfc3339(p.published_at), "2022-01-26T12:27:25Z");
  EXPECT_EQ(p.author, "Li Si");
  EXPECT_EQ(p.body_text, "Full body.");
  EXPECT_EQ(p.body_html, "<p>Full <em>body</em>.</p>");
}

TEST(RssParser, ReadsDatesInEveryFormFeedsUse) {
  const auto posts = parse_ok(fixture("rss_dates_in_many_forms.xml"), Format::rss,
                              context_for("https://example.com/feed", "Asia/Shanghai"));
  ASSERT_EQ(posts.size(), 8u);
  EXPECT_EQ(rfc3339(posts[0].post.published_at), "2022-01-26T12:27:00Z");
  EXPECT_EQ(rfc3339(posts[1].post.published_at), "2022-01-26T12:27:25Z");
  EXPECT_EQ(rfc3339(posts[2].post.published_at), "2022-01-26T12:27:25Z");
  EXPECT_EQ(rfc3339(posts[3].post.published_at), "2022-01-26T12:27:00Z");
  EXPECT_EQ(rfc3339(posts[4].post.published_at), "2022-01-26T12:27:25Z");
  EXPECT_EQ(rfc3339(posts[5].post.published_at), "null");
  EXPECT_EQ(rfc3339(posts[6].post.published_at), "2022-01-25T16:00:00Z");
  EXPECT_EQ(rfc3339(posts[6].post.updated_at), "2022-01-27T00:00:00Z");
  EXPECT_EQ(rfc3339(posts[7].post.published_at), "2022-01-28T00:00:00Z");
  EXPECT_EQ(rfc3339(posts[7].post.updated_at), "2022-01-28T00:00:00Z");
}

TEST(FeedInfo, TtlInMinutesWinsOverSyndicationHints) {
  DocumentInfo info;
  const auto posts =
      parse_feed_ok(fixture("rss_ttl_minutes.xml"), context_for("https://example.com/"), &info);
  ASSERT_EQ(posts.size(), 1u);
  ASSERT_TRUE(info.ttl);
  EXPECT_EQ(info.ttl->count(), 15 * 60);
}

TEST(FeedInfo, TtlFromSyndicationPeriodDividedByFrequency) {
  DocumentInfo info;
  const auto posts = parse_feed_ok(fixture("rdf_sy_update_period.xml"),
                                   context_for("https://example.net/"), &info);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].post.author, "Ann");
  EXPECT_EQ(rfc3339(posts[0].post.published_at), "2024-02-03T04:05:00Z");
  ASSERT_TRUE(info.ttl);
  EXPECT_EQ(info.ttl->count(), 3600 / 2);
}

TEST(FeedInfo, NoTtlWhenTheFeedNamesNoneOrAnInvalidOne) {
  DocumentInfo info;
  parse_feed_ok(fixture("rss_guid_not_permalink.xml"), context_for("https://e/"), &info);
  EXPECT_FALSE(info.ttl);
  for (const char* bad : {"<ttl>0</ttl>", "<ttl>-5</ttl>", "<ttl>soon</ttl>",
                          "<sy:updatePeriod>fortnightly</sy:updatePeriod>",
                          "<sy:updateFrequency>0</sy:updateFrequency>"}) {
    SCOPED_TRACE(bad);
    DocumentInfo bad_info;
    const std::string doc =
        std::string("<rss xmlns:sy='http://purl.org/rss/1.0/modules/syndication/'><channel>") +
        bad + "<item><title>t</title></item></channel></rss>";
    parse_feed_ok(doc, context_for("https://e/"), &bad_info);
    EXPECT_FALSE(bad_info.ttl);
  }
  DocumentInfo weekly;
  parse_feed_ok("<rss><channel><sy:updatePeriod>weekly</sy:updatePeriod></channel></rss>",
                context_for("https://e/"), &weekly);
  ASSERT_TRUE(weekly.ttl);
  EXPECT_EQ(weekly.ttl->count(), 7 * 86400);
}

// RFC 5005: where the older entries of a feed are, for catch-up paging.
TEST(FeedInfo, AnAtomPagedFeedsNextLinkResolvedAgainstXmlBase) {
  DocumentInfo info;
  const auto posts = parse_feed_ok(fixture("atom_paged_feed_next.xml"),
                                   context_for("https://example.org/news/feed.atom?page=2"), &info);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(info.next_page, "https://example.org/news/feed.atom?page=3");
}

TEST(FeedInfo, AnRssChannelsPrevArchiveLinkAndNotAnItemsLink) {
  DocumentInfo info;
  const auto posts = parse_feed_ok(fixture("rss_archived_prev_archive.xml"),
                                   context_for("https://example.com/feed.rss"), &info);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(info.next_page, "https://example.com/archive/2024-04.rss");
}

TEST(FeedInfo, NextWinsOverPrevArchiveAndAFeedWithoutEitherHasNone) {
  DocumentInfo both;
  parse_feed_ok(
      "<feed xmlns='http://www.w3.org/2005/Atom'><link rel='prev-archive' href='a'/>"
      "<link rel='NEXT' href='b'/></feed>",
      context_for("https://e/f"), &both);
  EXPECT_EQ(both.next_page, "https://e/b");
  DocumentInfo none;
  parse_feed_ok(fixture("rss_guid_not_permalink.xml"), context_for("https://e/"), &none);
  EXPECT_FALSE(none.next_page);
  DocumentInfo empty_href;
  parse_feed_ok(
      "<rss xmlns:atom='http://www.w3.org/2005/Atom'><channel>"
      "<atom:link rel='next' href=''/></channel></rss>",
      context_for("https://e/"), &empty_href);
  EXPECT_FALSE(empty_href.next_page);
}

TEST(AtomParser, ReadsAtom03IssuedModifiedAndContentModes) {
  const std::string bytes = fixture("atom_03_issued_modified.xml");
  EXPECT_EQ(detect(bytes, ""), Format::atom);
  const auto posts = parse_ok(bytes, Format::automatic, context_for("http://example.org/atom"));
  ASSERT_EQ(posts.size(), 3u);
  const Post& a = posts[0].post;
  EXPECT_EQ(a.id, "tag:example.org,2003:3.2397");
  EXPECT_EQ(a.url, "http://example.org/2003/12/13/atom03");
  EXPECT_EQ(rfc3339(a.published_at), "2003-12-13T12:29:29Z");
  EXPECT_EQ(rfc3339(a.updated_at), "2003-12-13T18:30:02Z");
  EXPECT_EQ(a.author, "John Doe");
  EXPECT_EQ(a.lang, "en");
  EXPECT_EQ(a.body_text, "Escaped HTML.");
  EXPECT_EQ(a.body_html, "<p>Escaped <b>HTML</b>.</p>");
  const Post& b = posts[1].post;
  EXPECT_EQ(rfc3339(b.published_at), "2003-12-14T10:00:00Z");
  EXPECT_EQ(b.body_text, "Inline XHTML.");
  const Post& c = posts[2].post;
  EXPECT_EQ(c.body_text, "");  // base64 content is not text
  EXPECT_FALSE(c.body_html);
}

TEST(AtomParser, ReadsTextHtmlXhtmlAndOutOfLineContent) {
  const auto posts = parse_ok(fixture("atom_content_types.xml"), Format::atom,
                              context_for("https://example.com/atom"));
  ASSERT_EQ(posts.size(), 4u);
  const Post& text = posts[0].post;
  EXPECT_EQ(text.title, "Less <b>than</b> & more");  // type=text: markup is literal
  EXPECT_EQ(rfc3339(text.published_at), "2023-12-31T22:00:00Z");
  EXPECT_EQ(rfc3339(text.updated_at), "2024-01-01T00:00:00Z");
  EXPECT_EQ(text.body_text, "Line one <not a tag>\nLine two");
  EXPECT_FALSE(text.body_html);
  const Post& html = posts[1].post;
  EXPECT_EQ(html.title, "Escaped title & more");
  EXPECT_EQ(html.url, "https://example.com/html");  // alternate, not self or enclosure
  EXPECT_EQ(rfc3339(html.published_at), "2024-01-02T00:00:00Z");  // falls back to updated
  EXPECT_EQ(html.body_text, "HTML body\nsecond");
  EXPECT_EQ(html.body_html, "<p>HTML <b>body</b></p><p>second</p>");
  const Post& xhtml = posts[2].post;
  EXPECT_EQ(xhtml.title, "XHTML title");
  EXPECT_EQ(xhtml.body_text, "X one\nX two");
  const Post& ool = posts[3].post;
  EXPECT_EQ(ool.body_text, "Summary stands in.");
  EXPECT_FALSE(ool.body_html);
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

// Parsed in place, pugixml puts a missing root one byte before the end; the message names the
// end of the document, as it did when pugixml parsed its own copy.
TEST(XmlFeeds, ReportADocumentWithoutRootAtItsEnd) {
  const std::string doc = "<?xml version='1.0'?><!-- nothing here -->\n";
  const auto result = parse(doc, Format::rss, context_for("a"));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("XML error at byte " + std::to_string(doc.size()) +
                                        ": No document element found"),
            std::string::npos)
      << result.error().message;
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
