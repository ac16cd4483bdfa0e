// Auto-detection over every real document in ../shared (corpus and seeds): each must be
// detected as the format it is, with and without a Content-Type, and parse.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "parse/parser.h"
#include "parse/tests/test_util.h"

namespace newsd::parse {
namespace {

using testing::read_file;
using testing::shared_dir;

TEST(AutoDetect, RecognisesEveryDocumentInTheSharedCorpusAndSeeds) {
  const std::map<std::string, Format> expected = {
      {"corpus/feeds/Ranchero-Software_DaringFireball.json", Format::jsonfeed},
      {"corpus/feeds/chardet_cappuccinos.3322.org.xml", Format::rss},
      {"corpus/feeds/chardet_ebao.us.xml", Format::rss},
      {"corpus/feeds/feed-rs_atom_mediarss_reddit_1.xml", Format::atom},
      {"corpus/feeds/feed-rs_atom_mediarss_youtube_1.xml", Format::atom},
      {"corpus/feeds/feed-rs_jsonfeed_elastic_1.1.json", Format::jsonfeed},
      {"corpus/feeds/feed-rs_rss_1.0_biorxiv.xml", Format::rdf},
      {"corpus/feeds/feed-rs_rss_1.0_debian.xml", Format::rdf},
      {"corpus/feeds/feed-rs_rss_1.0_iso8859.xml", Format::rdf},
      {"corpus/feeds/feed-rs_rss_2.0_bbc.xml", Format::rss},
      {"corpus/feeds/feed-rs_rss_2.0_encoding_1.xml", Format::rss},
      {"corpus/feeds/feed-rs_rss_2.0_ilgiornale.xml", Format::rss},
      {"corpus/feeds/feed-rs_rss_2.0_nbcny.xml", Format::rss},
      {"corpus/feeds/feed-rs_rss_2.0_spiegel.xml", Format::rss},
      {"corpus/feeds/prof18_feed-test-greek.xml", Format::rss},
      {"corpus/html/mozilla_bbc-1.html", Format::html},
      {"corpus/html/mozilla_folha.html", Format::html},
      {"corpus/html/mozilla_gmw.html", Format::html},
      {"corpus/html/mozilla_guardian-1.html", Format::html},
      {"corpus/html/mozilla_wordpress.html", Format::html},
      {"seeds/000_defc41a5a387f797.txt", Format::jekyll},
      {"seeds/001_5e415c49e30661c0.txt", Format::jekyll},
      {"seeds/002_27f33aa861ebfa13.txt", Format::jekyll},
      {"seeds/003_f2a49b36e107b1f8.txt", Format::jekyll},
      {"seeds/004_2e418d55757be4c8.txt", Format::text},
  };
  if (!std::filesystem::exists(shared_dir() / "corpus")) {
    GTEST_SKIP() << "no shared corpus at " << shared_dir();
  }
  // Every file there is listed: a new document needs its expected format written down.
  for (const char* sub : {"corpus/feeds", "corpus/html", "seeds"}) {
    const auto dir = shared_dir() / sub;
    if (!std::filesystem::exists(dir)) continue;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      const std::string rel = std::string(sub) + "/" + e.path().filename().string();
      EXPECT_TRUE(expected.contains(rel)) << rel << " has no expected format";
    }
  }
  for (const auto& [rel, format] : expected) {
    SCOPED_TRACE(rel);
    const auto path = shared_dir() / rel;
    if (!std::filesystem::exists(path)) continue;
    const std::string bytes = read_file(path);
    EXPECT_EQ(to_string(detect(bytes, "")), to_string(format));
    EXPECT_EQ(to_string(detect(bytes, "application/octet-stream")), to_string(format));
    Context ctx = testing::context_for("https://corpus.example/" + path.filename().string());
    const auto result = parse(bytes, Format::automatic, ctx);
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_FALSE(result->empty());
  }
}

TEST(AutoDetect, RecognisesJsonWhateverTheTextContentType) {
  EXPECT_EQ(detect(R"({"version":"https://jsonfeed.org/version/1","items":[]})",
                   "application/json; charset=utf-8"),
            Format::jsonfeed);
  EXPECT_EQ(detect("\xEF\xBB\xBF  {\n \"version\" : \"https://jsonfeed.org/version/1.1\"}", ""),
            Format::jsonfeed);
  // List APIs served as text/plain or text/html are still JSON.
  EXPECT_EQ(detect(R"({"record":[{"infoCode":"NW1","title":"t"}]})", "text/plain"),
            Format::json_api);
  EXPECT_EQ(detect(R"([{"id": 1}])", "text/html; charset=gbk"), Format::json_api);
  EXPECT_EQ(detect("[返回首页](//x)", "text/plain"), Format::text);
  EXPECT_EQ(detect("{not closed", "text/plain"), Format::text);
}

}  // namespace
}  // namespace newsd::parse
