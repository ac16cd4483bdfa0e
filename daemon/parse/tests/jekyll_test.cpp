#include <gtest/gtest.h>

#include "parse/parser.h"
#include "parse/tests/test_util.h"

namespace newsd::parse {
namespace {

using namespace testing;

struct SeedExpectation {
  const char* file;
  const char* id;
  const char* title;
  const char* published_at;
  const char* category;
  const char* tag;
  const char* media;
  const char* origin_url;
  const char* first_paragraph_start;
};

constexpr SeedExpectation kSeeds[] = {
    {"000_defc41a5a387f797.txt", "NW202201262262921627",
     "中再集团2022年度工作会议：坚持稳中求进工作总基调 坚定走好高质量发展之路",
     "2022-01-26T12:27:25Z", "xinhuacaijing", "新华财经新闻", "新华财经",
     "http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202201262262921627",
     "近日，中再集团召开2022年度工作会议。"},
    {"001_5e415c49e30661c0.txt", "NW202112232223130395",
     "中国人寿山西省分公司：走前列做表率 推动山西高质量发展", "2021-12-22T23:25:33Z",
     "shanxiwanbao", "山西晚报新闻", "山西晚报",
     "http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202112232223130395",
     "2021年是“十四五”规划的开局之年"},
    {"002_27f33aa861ebfa13.txt", "NW202203152308494336",
     "中国人寿四川省分公司：牢记“国之大者” 奋力谱写高质量发展新篇章", "2022-03-14T21:35:18Z",
     "sichuanribao", "四川日报新闻", "四川日报",
     "http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202203152308494336",
     "百尺竿头，更进一步。"},
    {"003_f2a49b36e107b1f8.txt", "NW202201072239649070", "用“心”服务助力区域高质量发展",
     "2022-01-07T01:52:02Z", "dazhongribao", "大众日报新闻", "大众日报",
     "http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202201072239649070",
     "中国人寿保险股份有限公司山东省分公司"},
};

class JekyllSeed : public ::testing::TestWithParam<SeedExpectation> {};

TEST_P(JekyllSeed, ReproducesTheSeedRecordExactly) {
  const SeedExpectation& e = GetParam();
  const auto path = shared_dir() / "seeds" / e.file;
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "seed absent: " << path;
  const std::string bytes = read_file(path);
  ASSERT_EQ(detect(bytes, ""), Format::jekyll);
  Context ctx;  // as `newsd parse --timezone Asia/Shanghai FILE` builds it
  ctx.source = "test";
  ctx.file_name = path.string();
  ctx.timezone = "Asia/Shanghai";
  const auto posts = parse_ok(bytes, Format::automatic, ctx);
  ASSERT_EQ(posts.size(), 1u);
  const Post& p = posts[0].post;
  EXPECT_EQ(p.id, e.id);
  EXPECT_EQ(p.source, "test");
  EXPECT_FALSE(p.url);
  EXPECT_EQ(p.title, e.title);
  EXPECT_EQ(rfc3339(p.published_at), e.published_at);
  EXPECT_FALSE(p.updated_at);
  EXPECT_EQ(p.category, e.category);
  EXPECT_EQ(p.tags, std::vector<std::string>{e.tag});
  EXPECT_EQ(p.media, e.media);
  EXPECT_EQ(p.origin_url, e.origin_url);
  EXPECT_FALSE(p.summary);
  EXPECT_FALSE(p.author);
  EXPECT_EQ(p.content_sha256, content_digest(p.title, p.body_text));

  const std::string& body = p.body_text;
  EXPECT_EQ(body.find('<'), std::string::npos);
  EXPECT_EQ(body.find("返回"), std::string::npos);
  EXPECT_EQ(body.find("文章来源"), std::string::npos);
  EXPECT_EQ(body.find("http://finews"), std::string::npos);
  EXPECT_TRUE(body.starts_with(e.first_paragraph_start)) << body.substr(0, 200);
  EXPECT_NE(body.find("。\n"), std::string::npos);
  EXPECT_EQ(body.find("\n\n"), std::string::npos);
  EXPECT_NE(body.back(), '\n');

  ASSERT_TRUE(p.body_html);
  EXPECT_TRUE(p.body_html->starts_with("<p>"));
  EXPECT_TRUE(p.body_html->ends_with("</p>"));
  EXPECT_EQ(p.body_html->find("em_media"), std::string::npos);
  EXPECT_EQ(p.body_html->find("返回"), std::string::npos);
  EXPECT_EQ(p.body_html->find("finews"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Seeds, JekyllSeed, ::testing::ValuesIn(kSeeds),
                         [](const auto& info) { return "Seed" + std::to_string(info.index); });

TEST(JekyllParser, TakesMediaFromSourceParagraph) {
  const std::string doc =
      "---\ntitle: t\n---\n<p>正文。</p><p class=\"em_media\">（文章来源：新华财经）</p>\n";
  const auto posts = parse_ok(doc, Format::jekyll, context_for("x/a.md"));
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].post.media, "新华财经");
  EXPECT_EQ(posts[0].post.body_text, "正文。");
  EXPECT_EQ(posts[0].post.body_html, "<p>正文。</p>");
}

TEST(JekyllParser, ReadsCrlfFrontMatterAfterBomAndBlankLines) {
  const std::string bytes = fixture("jekyll_crlf_with_bom.md");
  EXPECT_EQ(detect(bytes, ""), Format::jekyll);
  const auto posts = parse_ok(bytes, Format::automatic,
                              context_for("https://finews.example/p/crlf.html", "Asia/Shanghai"));
  ASSERT_EQ(posts.size(), 1u);
  const Post& p = posts[0].post;
  EXPECT_EQ(p.title, "行情 日报： A股收涨");
  EXPECT_EQ(rfc3339(p.published_at), "2022-01-26T12:27:25Z");
  EXPECT_EQ(p.category, "xinhuacaijing");
  EXPECT_EQ(p.tags, (std::vector<std::string>{"新华财经新闻", "市场"}));
  EXPECT_EQ(p.media, "新华财经");
  EXPECT_EQ(p.id, "NW202201262262921627");
  EXPECT_EQ(p.url, "https://finews.example/p/crlf.html");
  EXPECT_EQ(p.body_text, "第一段。\n第二段&更多。");
  EXPECT_EQ(p.body_text.find('\r'), std::string::npos);
  EXPECT_EQ(p.body_html, "<p>第一段。</p>\n<p>第二段&amp;更多。</p>");
}

TEST(JekyllParser, DerivesEmptyTitleFromFirstParagraphCutAtHundredCharacters) {
  const auto posts =
      parse_ok(fixture("jekyll_empty_title.md"), Format::jekyll, context_for("posts/empty.md"));
  ASSERT_EQ(posts.size(), 1u);
  const Post& p = posts[0].post;
  EXPECT_TRUE(p.body_text.starts_with(p.title));
  EXPECT_TRUE(p.title.starts_with("这是一个非常长的第一段"));
  // 100 code points of 3-byte characters and a few ASCII-free punctuation marks.
  std::size_t code_points = 0;
  for (const char c : p.title) code_points += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  EXPECT_EQ(code_points, 100u);
  EXPECT_EQ(p.id, "empty");
  EXPECT_FALSE(p.media);
}

TEST(JekyllParser, TakesLeadingBlockquoteAsSummary) {
  const auto posts = parse_ok(fixture("jekyll_digest_blockquote.md"), Format::jekyll,
                              context_for("https://x.example/digest.html", "Asia/Shanghai"));
  ASSERT_EQ(posts.size(), 1u);
  const Post& p = posts[0].post;
  EXPECT_EQ(p.summary, "摘要：今日要闻三则。\n第二行摘要。");
  EXPECT_EQ(p.body_text, "正文第一段。\n正文第二段，来源：例子。");
  EXPECT_EQ(p.media, "大众日报");
  EXPECT_EQ(p.category, "dazhongribao");
  EXPECT_EQ(p.title, "每日摘要");
  // No offset in the front matter: read in the source's zone.
  EXPECT_EQ(rfc3339(p.published_at), "2022-01-07T01:52:02Z");
  EXPECT_EQ(p.id, "digest");
  EXPECT_FALSE(p.origin_url);
}

// The seed pipeline wrote "<>" as the last line when it had no article URL.
TEST(JekyllParser, FindsTheMediaLineBeforeAnEmptyOriginLink) {
  const auto posts = parse_ok(fixture("jekyll_media_line_before_empty_origin_link.md"),
                              Format::jekyll, context_for("file.md"));
  ASSERT_EQ(posts.size(), 1u);
  const Post& p = posts[0].post;
  EXPECT_EQ(p.media, "示例财经");
  EXPECT_FALSE(p.origin_url);  // "<>" is no origin link
  EXPECT_EQ(p.body_text,
            "示例港口今日公布，一季度集装箱吞吐量同比增长百分之八。\n"
            "港口方面表示，航线网络持续完善。");
  ASSERT_TRUE(p.body_html);
  EXPECT_EQ(p.body_html->find("<>"), std::string::npos);
  EXPECT_EQ(p.body_html->find("文章来源"), std::string::npos);
}

TEST(JekyllParser, KeepsFrontMatterIdUrlAuthorAndFallsBackToUpdatedTime) {
  const auto posts =
      parse_ok(fixture("jekyll_no_media_line.md"), Format::jekyll, context_for("file.md"));
  ASSERT_EQ(posts.size(), 1u);
  const Post& p = posts[0].post;
  EXPECT_EQ(p.id, "post-42");
  EXPECT_EQ(p.url, "https://news.example.com/2022/plain-post.html");
  EXPECT_EQ(p.author, "Jane Doe");
  EXPECT_EQ(p.lang, "en");
  EXPECT_EQ(rfc3339(p.updated_at), "2022-05-01T08:00:00Z");
  EXPECT_EQ(rfc3339(p.published_at), "2022-05-01T08:00:00Z");
  EXPECT_FALSE(p.media);
  EXPECT_FALSE(p.category);
  EXPECT_TRUE(p.tags.empty());
  EXPECT_EQ(p.body_text, "Only paragraph.\nAnother paragraph with emphasis.");
}

TEST(JekyllParser, ReadsMarkdownBodyAsLinesAndStillFindsMedia) {
  const auto posts =
      parse_ok(fixture("jekyll_markdown_body.md"), Format::jekyll, context_for("md.md"));
  ASSERT_EQ(posts.size(), 1u);
  const Post& p = posts[0].post;
  EXPECT_EQ(p.body_text, "First paragraph of *markdown*.\nSecond paragraph & more.");
  EXPECT_EQ(p.media, "山西晚报");
  EXPECT_FALSE(p.body_html);
  EXPECT_EQ(rfc3339(p.published_at), "2022-01-26T00:00:00Z");
}

TEST(JekyllParser, RejectsUnclosedFrontMatter) {
  const auto result = parse("---\ntitle: x\n<p>body</p>\n", Format::jekyll, context_for("a"));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("not closed"), std::string::npos);
}

TEST(JekyllParser, RejectsInvalidYamlWithItsLine) {
  const auto result =
      parse("---\ntitle: [unclosed\ndate: x\n---\n<p>b</p>\n", Format::jekyll, context_for("a"));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("YAML"), std::string::npos);
}

TEST(JekyllParser, RejectsDocumentWithoutFrontMatter) {
  EXPECT_FALSE(parse("<p>just html</p>", Format::jekyll, context_for("a")).ok());
}

TEST(TextParser, ReadsSeedSpeechWithoutFrontMatterAsText) {
  const auto path = shared_dir() / "seeds/004_2e418d55757be4c8.txt";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "seed absent: " << path;
  const std::string bytes = read_file(path);
  EXPECT_EQ(detect(bytes, ""), Format::text);
  EXPECT_EQ(detect(bytes, "text/plain; charset=utf-8"), Format::text);
  const auto posts =
      parse_ok(bytes, Format::automatic, context_for("seeds/004_2e418d55757be4c8.txt"));
  ASSERT_EQ(posts.size(), 1u);
  const Post& p = posts[0].post;
  EXPECT_EQ(p.title, "同志们：");
  EXPECT_EQ(p.id, "004_2e418d55757be4c8");
  EXPECT_TRUE(p.body_text.starts_with("刚才，中国人寿"));
  EXPECT_TRUE(p.body_text.ends_with("以优异成绩迎接党的二十大胜利召开！"));
  EXPECT_EQ(p.body_text.find("\n\n"), std::string::npos);
  EXPECT_FALSE(p.published_at);
  EXPECT_FALSE(p.media);
  EXPECT_FALSE(p.category);
}

}  // namespace
}  // namespace newsd::parse
