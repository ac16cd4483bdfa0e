#include "parse/sitemap.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <map>

#include "parse/gunzip.h"
#include "parse/parser.h"
#include "test_util.h"

namespace newsd::parse {
namespace {

using testing::context_for;
using testing::fixture;
using testing::read_file;
using testing::shared_dir;

std::vector<Parsed> parse_sitemap_ok(const std::string& bytes, DocumentInfo* info = nullptr,
                                     Format format = Format::sitemap) {
  auto posts = parse(bytes, format, context_for("https://example.com/sitemap.xml"), info);
  EXPECT_TRUE(posts) << (posts ? "" : posts.error().message);
  return posts ? *posts : std::vector<Parsed>{};
}

std::string gzip(const std::string& data) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string urlset(std::size_t urls) {
  std::string s = "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">";
  for (std::size_t i = 0; i < urls; ++i)
    s += "<url><loc>https://example.com/" + std::to_string(i) + "</loc></url>";
  return s + "</urlset>";
}

TEST(Sitemap, TheNewsBlockGivesTitleDateLanguageKeywordsAndOutlet) {
  const auto posts = parse_sitemap_ok(fixture("sitemap_news_block_fills_the_record.xml"));
  ASSERT_EQ(posts.size(), 2u);
  const Post& p = posts[0].post;
  EXPECT_EQ(p.id, "https://news.example.cn/2024/04/18/economy.html");
  EXPECT_EQ(p.url, p.id);
  EXPECT_EQ(posts[0].link, p.id);  // what `follow` fetches for the body
  EXPECT_EQ(p.title, "示例城市发布 一季度经济运行情况");
  EXPECT_EQ(format_rfc3339(*p.published_at), "2024-04-18T01:30:00Z");
  EXPECT_EQ(format_rfc3339(*p.updated_at), "2024-04-18T02:00:00Z");
  EXPECT_EQ(p.lang, "zh-cn");
  EXPECT_EQ(p.media, "新华财经");
  EXPECT_EQ(p.tags, (std::vector<std::string>{"经济", "统计"}));
  EXPECT_EQ(p.body_text, "");
  EXPECT_EQ(p.content_sha256.size(), 64u);
}

TEST(Sitemap, AnEmptyNewsTitleFallsBackToTheUrlAndAnEmptyNameToNoOutlet) {
  const auto posts = parse_sitemap_ok(fixture("sitemap_news_block_fills_the_record.xml"));
  ASSERT_EQ(posts.size(), 2u);
  const Post& p = posts[1].post;
  EXPECT_EQ(p.title, "https://news.example.cn/2024/04/18/no-date.html");
  EXPECT_FALSE(p.media);
  EXPECT_FALSE(p.published_at);
  EXPECT_EQ(p.lang, "en");
}

TEST(Sitemap, WithoutNewsLastmodIsBothTimesAndUrlsWithoutLocAreSkipped) {
  const auto posts = parse_sitemap_ok(fixture("sitemap_lastmod_without_news.xml"));
  ASSERT_EQ(posts.size(), 3u);
  EXPECT_EQ(posts[0].post.url, "https://example.com/a?x=1&y=2");
  EXPECT_EQ(format_rfc3339(*posts[0].post.published_at), "2024-01-02T00:00:00Z");
  EXPECT_EQ(posts[0].post.updated_at, posts[0].post.published_at);
  EXPECT_EQ(posts[1].post.url, "https://example.com/relative/page.html");
  EXPECT_EQ(posts[2].post.title, "https://example.com/no-lastmod");
  EXPECT_FALSE(posts[2].post.published_at);
}

TEST(Sitemap, AnIndexGivesNoPostsButItsChildrenWithLastmod) {
  DocumentInfo info;
  const auto posts =
      parse_sitemap_ok(fixture("sitemap_index_of_children.xml"), &info, Format::automatic);
  EXPECT_TRUE(posts.empty());
  ASSERT_EQ(info.sitemaps.size(), 2u);
  EXPECT_EQ(info.sitemaps[0].url, "https://example.com/sitemap-news.xml.gz");
  EXPECT_EQ(format_rfc3339(*info.sitemaps[0].lastmod), "2024-04-18T10:00:00Z");
  EXPECT_FALSE(info.sitemaps[1].lastmod);
}

TEST(Sitemap, AChildIsFetchedAgainOnlyWhenItsLastmodChangedOrIsUnknown) {
  using std::chrono::seconds;
  const SitemapRef before{"https://e.com/a.xml", Timestamp(seconds(1000))};
  const SitemapRef same{"https://e.com/a.xml", Timestamp(seconds(1000))};
  const SitemapRef later{"https://e.com/a.xml", Timestamp(seconds(2000))};
  const SitemapRef unknown{"https://e.com/a.xml", std::nullopt};
  EXPECT_TRUE(child_changed(same, nullptr));
  EXPECT_FALSE(child_changed(same, &before));
  EXPECT_TRUE(child_changed(later, &before));
  EXPECT_TRUE(child_changed(unknown, &before));
  EXPECT_TRUE(child_changed(same, &unknown));
}

TEST(Sitemap, GzipIsRecognisedByItsMagicNumber) {
  const std::string gz = fixture("sitemap_gzip_compressed.xml.gz");
  EXPECT_EQ(detect(gz, "application/octet-stream"), Format::sitemap);
  const auto plain = parse_sitemap_ok(fixture("sitemap_lastmod_without_news.xml"));
  const auto unzipped = parse_sitemap_ok(gz, nullptr, Format::automatic);
  ASSERT_EQ(unzipped.size(), plain.size());
  for (std::size_t i = 0; i < plain.size(); ++i)
    EXPECT_EQ(unzipped[i].post.content_sha256, plain[i].post.content_sha256);
}

TEST(Sitemap, UrlsetAndSitemapindexRootsAreDetected) {
  EXPECT_EQ(detect(fixture("sitemap_lastmod_without_news.xml"), ""), Format::sitemap);
  EXPECT_EQ(detect(fixture("sitemap_index_of_children.xml"), "application/xml"), Format::sitemap);
  EXPECT_EQ(detect(fixture("sitemap_prefixed_namespace.xml"), "text/xml"), Format::sitemap);
  EXPECT_EQ(format_from_string("sitemap"), Format::sitemap);
  EXPECT_EQ(to_string(Format::sitemap), "sitemap");
}

TEST(Sitemap, APrefixedNamespaceIsRead) {
  const auto posts = parse_sitemap_ok(fixture("sitemap_prefixed_namespace.xml"));
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].post.url, "https://example.com/one");
}

TEST(Sitemap, EntityDeclarationsAreRefused) {
  const auto r = parse(fixture("sitemap_doctype_entities_refused.xml"), Format::sitemap,
                       context_for("https://example.com/s.xml"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("entities"), std::string::npos);
}

TEST(Sitemap, OtherXmlIsNamedInTheError) {
  const auto r = parse("<rss><channel/></rss>", Format::sitemap, context_for("https://e.com/"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("<rss>"), std::string::npos);
}

TEST(Sitemap, FiftyThousandUrlsAreReadAndOneMoreIsAnError) {
  EXPECT_EQ(parse_sitemap_ok(urlset(kMaxSitemapUrls)).size(), kMaxSitemapUrls);
  const auto r = parse(urlset(kMaxSitemapUrls + 1), Format::sitemap, context_for("https://e.com/"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("more than 50000 URLs"), std::string::npos) << r.error().message;
}

TEST(Sitemap, MoreThan50MiBUncompressedIsAnErrorEvenFromASmallGzip) {
  std::string big = urlset(1);
  big.insert(big.size() - std::string("</urlset>").size(), kMaxSitemapBytes, ' ');
  const std::string bomb = gzip(big);
  EXPECT_LT(bomb.size(), 100u * 1024);
  const auto r = parse(bomb, Format::automatic, context_for("https://e.com/"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("uncompressed"), std::string::npos) << r.error().message;
  const auto plain = parse(big, Format::sitemap, context_for("https://e.com/"));
  ASSERT_FALSE(plain);
  EXPECT_NE(plain.error().message.find("limit"), std::string::npos);
}

TEST(Sitemap, ASitemapMayBeLargerThanOtherDocuments) {
  // 40 MiB: past parse()'s 32 MiB for other formats, within the protocol's 50 MiB.
  std::string big = urlset(2);
  big.insert(big.size() - std::string("</urlset>").size(), 40u << 20, ' ');
  EXPECT_EQ(parse_sitemap_ok(big).size(), 2u);
}

TEST(Gunzip, TruncatedAndCorruptStreamsAreErrors) {
  const std::string gz = gzip("hello sitemap");
  EXPECT_EQ(*gunzip(gz, 1024), "hello sitemap");
  EXPECT_EQ(*gunzip(gz + gz, 1024), "hello sitemaphello sitemap");       // concatenated members
  EXPECT_EQ(*gunzip(gz + std::string(8, '\0'), 1024), "hello sitemap");  // zero padding
  EXPECT_FALSE(gunzip(gz.substr(0, gz.size() - 6), 1024));
  std::string corrupt = gz;
  corrupt[12] ^= 0x55;
  EXPECT_FALSE(gunzip(corrupt, 1024));
  EXPECT_FALSE(gunzip(gz, 5));
}

TEST(Sitemap, ReadsTheSharedCorpus) {
  const auto dir = shared_dir() / "corpus/sitemaps";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "corpus absent: " << dir;
  // URLs per file, or -1 for a file that must be refused; an index lists its children.
  const std::map<std::string, std::pair<int, int>> expected = {
      {"apache_stormcrawler.sitemap.index.xml", {0, 4}},
      {"apache_tripadvisor.sitemap.index.xml", {0, 4}},
      {"apache_tripadvisor.sitemap.xml.gz", {50'000, 0}},
      {"crawler-commons_hebdenbridgetimes-articles-sitemap.xml", {74, 0}},
      {"crawler-commons_shinpaideshou-news-sitemap.xml", {3, 0}},
      {"crawler-commons_sitemap-news.xml", {2, 0}},
      {"crawler-commons_sitemap.ns.xml", {2, 0}},
      {"crawler-commons_xmlSitemap.gz", {5, 0}},
      {"eliasdabbas_error_sitemap.xml", {-1, 0}},
      {"yuya-matsushima_empty_sitemap.xml", {-1, 0}},
  };
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    SCOPED_TRACE(name);
    const auto it = expected.find(name);
    ASSERT_NE(it, expected.end()) << "no expectation written down";
    DocumentInfo info;
    const auto r = parse(read_file(e.path()), Format::automatic,
                         context_for("https://example.com/sitemap.xml"), &info);
    if (it->second.first < 0) {
      EXPECT_FALSE(r);
      continue;
    }
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(static_cast<int>(r->size()), it->second.first);
    EXPECT_EQ(static_cast<int>(info.sitemaps.size()), it->second.second);
    for (const Parsed& p : *r) EXPECT_FALSE(p.post.title.empty());
  }
}

}  // namespace
}  // namespace newsd::parse
