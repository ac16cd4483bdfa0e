#include <gtest/gtest.h>

#include <filesystem>

#include "parse/parser.h"
#include "parse/tests/test_util.h"

namespace newsd::parse {
namespace {

using testing::context_for;
using testing::fixture;
using testing::parse_ok;
using testing::rfc3339;

Post parse_page(const std::string& bytes, const std::string& url = "https://news.example/a",
                const std::string& tz = "UTC") {
  const auto items = parse_ok(bytes, Format::html, context_for(url, tz));
  EXPECT_EQ(items.size(), 1u);
  return items.empty() ? Post{} : items[0].post;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(HtmlParser, TakesTheHeadlineAndTimesFromJsonLdGraph) {
  const Post p = parse_page(fixture("html_jsonld_graph_headline.html"));
  EXPECT_EQ(p.title, "Harbour reopens after storm repairs");
  EXPECT_EQ(rfc3339(p.published_at), "2022-01-26T12:27:25Z");
  EXPECT_EQ(rfc3339(p.updated_at), "2022-01-27T01:00:00Z");
  EXPECT_EQ(p.author, "Ann Writer, Bob Editor");
  EXPECT_EQ(p.url, "https://news.example/2022/01/harbour-reopens");  // canonical, resolved
  EXPECT_EQ(p.id, "https://news.example/2022/01/harbour-reopens");
  EXPECT_EQ(p.lang, "en-GB");
  EXPECT_EQ(p.category, "localnews");
  EXPECT_EQ(p.tags, (std::vector<std::string>{"harbour", "storm"}));
  EXPECT_EQ(p.summary, "The harbour reopened on Tuesday after a week of repairs.");
  EXPECT_EQ(p.body_text,
            "The harbour reopened on Tuesday after a week of repairs to the breakwater, the port "
            "authority said.\nFishing boats were the first to leave, followed by the ferry to the "
            "islands, which had been cancelled since the storm.");
  ASSERT_TRUE(p.body_html.has_value());
  EXPECT_FALSE(contains(*p.body_html, "Coastal Times home"));
}

TEST(HtmlParser, LeavesOutNavigationAdsSharingCommentsAndFooters) {
  const Post p = parse_page(fixture("html_readability_drops_furniture.html"));
  EXPECT_EQ(p.title, "Neue Brücke eröffnet");  // <title> without the site name
  EXPECT_EQ(p.author, "Clara Beispiel");
  EXPECT_EQ(p.lang, "de");
  EXPECT_EQ(p.body_text,
            "Nach drei Jahren Bauzeit ist die neue Brücke über den Fluss am Montag eröffnet "
            "worden, sagte die Bürgermeisterin.\n"
            "Die Brücke verbindet die Altstadt mit dem Neubaugebiet, und Radfahrer sparen künftig "
            "zehn Minuten.\n"
            "Die Kosten lagen mit 12 Millionen Euro im Plan, teilte das Bauamt mit.");
  ASSERT_TRUE(p.body_html.has_value());
  for (std::string_view furniture :
       {"Anzeige", "tracking", "Teilen", "Mehr zum Thema", "Meistgelesen", "Newsletter",
        "Leserkommentar", "Impressum", "Politik", "class=", "<script"}) {
    EXPECT_FALSE(contains(*p.body_html, furniture)) << furniture;
  }
}

TEST(HtmlParser, ReadsTextDivsWithLineBreaksAsParagraphs) {
  const Post p = parse_page(fixture("html_div_and_br_paragraphs.html"), "https://news.example/a",
                            "Asia/Shanghai");
  EXPECT_EQ(p.title, "示例新闻标题");
  EXPECT_EQ(rfc3339(p.published_at), "2022-01-26T12:27:25Z");  // <time>, in the source zone
  EXPECT_TRUE(contains(p.body_text, "这是第一段正文，内容是为测试而写的"));
  EXPECT_TRUE(contains(p.body_text, "\n这是第二段正文"));
  EXPECT_FALSE(contains(p.body_text, "首页"));
  EXPECT_FALSE(contains(p.body_text, "分享到"));
  EXPECT_FALSE(contains(p.body_text, "联系方式"));
}

TEST(HtmlParser, BodyHtmlCarriesNoIndentationButPreformattedTextKeepsItsSpaces) {
  const Post p = parse_page(fixture("html_prepass_whitespace_runs.html"));
  ASSERT_TRUE(p.body_html.has_value());
  EXPECT_TRUE(
      contains(*p.body_html, "<p>First paragraph, long enough to count,\nwith commas. </p>"))
      << *p.body_html;
  EXPECT_TRUE(contains(*p.body_html, "<pre>  keeps   its\n    lines  </pre>")) << *p.body_html;
  EXPECT_TRUE(contains(*p.body_html, "<listing>  a   listing</listing>")) << *p.body_html;
  EXPECT_FALSE(contains(*p.body_html, "  \n")) << *p.body_html;
  EXPECT_TRUE(contains(p.body_text, "\nkeeps its\nlines\n")) << p.body_text;  // its lines
}

TEST(HtmlParser, NeverFailsOnEmptyOrTextOnlyPages) {
  EXPECT_EQ(parse_page("").title, "https://news.example/a");
  const Post p = parse_page("just some words");
  EXPECT_EQ(p.body_text, "just some words");
}

// The mozilla/readability test pages: their expected output is not in the corpus, so the
// assertions are properties read off each page by hand.
struct CorpusPage {
  const char* file;
  const char* title;
  const char* sentence;                // from the article body
  std::vector<const char*> furniture;  // navigation, footers, sharing, comments
  const char* published;               // RFC 3339 or "null"
};

TEST(HtmlParser, ExtractsTheArticleFromRealPages) {
  const auto dir = testing::shared_dir() / "corpus/html";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no shared corpus at " << dir;
  const std::vector<CorpusPage> pages = {
      {"mozilla_bbc-1.html",
       "Obama admits US gun laws are his 'biggest frustration'",
       "the greatest frustration of his presidency",
       {"Accessibility links", "BBC navigation", "Terms of Use", "Copyright © 2015 BBC",
        "Entertainment & Arts", "Have Your Say"},
       "2015-07-24T04:36:09Z"},
      {"mozilla_folha.html",
       "Tite diz que errou ao levar taça da Libertadores a Lula em 2012",
       "Na ocasião, Tite e outros representantes do Corinthians foram ao Instituto Lula",
       {"Abrir sidebar menu", "Ir para o rodapé", "Mais lidas", "Editar perfil",
        "Quais newsletter você gostaria de assinar?"},
       "2018-12-21T12:55:00Z"},
      {"mozilla_gmw.html",
       "宇航员在太空中喝酒会怎么样？后果很严重",
       "事实是，历史上酒与太空探险有一种复杂的关系。",
       {"转载须经版权人书面授权并注明来源", "网络慈善：珍视每一份爱心", "选择其他平台"},
       "null"},
      {"mozilla_guardian-1.html",
       "'What is the sea telling us?': Māori tribes fearful over whale strandings",
       "Whale whisperer Hori Parata was just seven years old when he attended his first mass "
       "stranding",
       {"Skip to main content", "Make a contribution", "Cookie policy", "Advertise with us",
        "Back to top", "US politics"},
       "2019-01-03T07:00:02Z"},
      {"mozilla_wordpress.html",
       "Stack Overflow Jobs Data Shows ReactJS Skills in High Demand, WordPress Market "
       "Oversaturated with Developers",
       "The report, which compares data from 200 companies since 2015, ranks ReactJS, Docker, and "
       "Ansible at the top of the fastest growing skills in demand.",
       {"Secondary Menu", "Share this:", "Click to share on Twitter",
        "Like this:", "Join 9,518 other subscribers", "Comment Policy", "Sallie Goetsch"},
       "2017-03-09T23:16:02Z"},
  };
  for (const CorpusPage& page : pages) {
    SCOPED_TRACE(page.file);
    const auto path = dir / page.file;
    if (!std::filesystem::exists(path)) continue;
    const auto items = parse_ok(testing::read_file(path), Format::automatic,
                                context_for("https://reader.example/page"));
    ASSERT_EQ(items.size(), 1u);
    const Post& p = items[0].post;
    EXPECT_EQ(p.title, page.title);
    EXPECT_TRUE(contains(p.body_text, page.sentence)) << p.body_text.substr(0, 400);
    for (const char* f : page.furniture) EXPECT_FALSE(contains(p.body_text, f)) << f;
    EXPECT_FALSE(contains(p.body_text, "<"));
    EXPECT_EQ(rfc3339(p.published_at), page.published);
    EXPECT_TRUE(p.body_html.has_value());
  }
}

}  // namespace
}  // namespace newsd::parse
