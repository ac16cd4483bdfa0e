#include <gtest/gtest.h>

#include <filesystem>

#include "parse/json_template.h"
#include "parse/parser.h"
#include "parse/tests/test_util.h"

namespace newsd::parse {
namespace {

using testing::context_for;
using testing::fixture;
using testing::parse_ok;
using testing::rfc3339;

JsonApiMapping seed_mapping() {
  JsonApiMapping m;
  m.items = "/record";
  m.fields = {{"id", "/infoCode"},
              {"title", "/title"},
              {"published_at", "/datetime"},
              {"media", "/medianame"}};
  m.detail_url = "http://api.example/GetNewsText.do?id={infoCode}";
  m.detail_body = "/text";
  return m;
}

Context api_context(const JsonApiMapping& m, const std::string& tz = "Asia/Shanghai") {
  Context ctx = context_for("http://api.example/webapi?marketType=37&count=100", tz);
  ctx.json_api = &m;
  return ctx;
}

TEST(JsonApi, ReadsTheSeedListShape) {
  const JsonApiMapping m = seed_mapping();
  const auto items = parse_ok(fixture("json_api_seed_list.json"), Format::json_api, api_context(m));
  ASSERT_EQ(items.size(), 2u);
  const Post& p = items[0].post;
  EXPECT_EQ(p.id, "NW202201260000000001");
  EXPECT_EQ(p.title, "某某集团召开2022年度工作会议");
  EXPECT_EQ(rfc3339(p.published_at), "2022-01-26T12:27:25Z");
  EXPECT_EQ(p.media, "新华财经");
  EXPECT_EQ(p.category, "xinhuacaijing");  // the outlet in pinyin, as the seed pipeline did
  EXPECT_EQ(p.source, "test");
  EXPECT_FALSE(p.content_sha256.empty());
  EXPECT_EQ(items[0].detail_url, "http://api.example/GetNewsText.do?id=NW202201260000000001");
  EXPECT_EQ(items[1].post.title, "示例 公司 发布 年度报告");
  EXPECT_EQ(rfc3339(items[1].post.published_at), "2022-01-26T01:05:00Z");
}

TEST(JsonApi, CompletesAnItemFromItsDetailResponse) {
  const JsonApiMapping m = seed_mapping();
  const Context ctx = api_context(m);
  const auto items = parse_ok(fixture("json_api_seed_list.json"), Format::json_api, ctx);
  ASSERT_FALSE(items.empty());
  const auto done = apply_detail(items[0].post, fixture("json_api_seed_detail.json"), m, ctx);
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_EQ(done->id, "NW202201260000000001");
  EXPECT_EQ(done->title, "某某集团召开2022年度工作会议");
  EXPECT_EQ(done->body_text,
            "近日，某某集团召开年度工作会议，总结回顾了上一年的工作。\n"
            "会议强调，要坚持稳中求进，推动高质量发展。");
  ASSERT_TRUE(done->body_html.has_value());
  EXPECT_EQ(done->body_html->find("文章来源"), std::string::npos);
  EXPECT_EQ(done->media, "新华财经");
  EXPECT_EQ(rfc3339(done->published_at), "2022-01-26T12:27:25Z");
  EXPECT_NE(done->content_sha256, items[0].post.content_sha256);  // resealed with the body
}

TEST(JsonApi, DetailWithoutTheBodyIsAnError) {
  const JsonApiMapping m = seed_mapping();
  Post p;
  p.id = "x";
  EXPECT_FALSE(apply_detail(p, R"({"other": 1})", m, api_context(m)).ok());
  EXPECT_FALSE(apply_detail(p, "not json", m, api_context(m)).ok());
  EXPECT_FALSE(apply_detail(p, std::string(100, '['), m, api_context(m)).ok());
}

TEST(JsonApi, ReadsEpochSecondsMillisecondsAndDateStrings) {
  JsonApiMapping m;
  m.items = "/data/list";
  m.fields = {
      {"id", "/id"}, {"title", "/title"}, {"published_at", "/ts"}, {"updated_at", "/mtime"}};
  const auto items =
      parse_ok(fixture("json_api_epoch_times.json"), Format::json_api, api_context(m));
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(items[0].post.id, "1001");  // numeric ids become strings
  EXPECT_EQ(rfc3339(items[0].post.published_at), "2022-01-26T12:27:25Z");
  EXPECT_EQ(rfc3339(items[0].post.updated_at), "2022-01-26T12:27:25Z");
  EXPECT_EQ(rfc3339(items[1].post.published_at), "2022-01-26T12:27:25Z");
  EXPECT_EQ(rfc3339(items[2].post.published_at), "2022-01-26T12:27:25Z");
  EXPECT_EQ(rfc3339(items[3].post.published_at), "2022-01-26T12:27:00Z");
  EXPECT_EQ(rfc3339(items[4].post.published_at), "null");  // never a guess
}

TEST(JsonApi, MapsPlainAndHtmlBodiesCategoriesAndTags) {
  JsonApiMapping m;
  m.fields = {{"id", "/code"},  {"title", "/headline"},   {"body", "/content"},
              {"url", "/link"}, {"category", "/section"}, {"tags", "/keywords"}};
  Context ctx = context_for("https://news.example/api/list");
  ctx.json_api = &m;
  const auto items =
      parse_ok(fixture("json_api_plain_and_html_bodies.json"), Format::json_api, ctx);
  ASSERT_EQ(items.size(), 2u);
  const Post& plain = items[0].post;
  EXPECT_EQ(plain.body_text, "First line.\nSecond line.");
  EXPECT_FALSE(plain.body_html.has_value());
  EXPECT_EQ(plain.url, "https://news.example/news/a1.html");  // resolved against the list URL
  EXPECT_EQ(plain.category, "caijingyaowen");
  EXPECT_EQ(plain.tags, (std::vector<std::string>{"市场", "债券", "利率"}));
  EXPECT_EQ(items[0].link, plain.url);
  EXPECT_FALSE(items[0].detail_url.has_value());  // no template, no detail request

  const Post& html = items[1].post;
  EXPECT_EQ(html.body_text, "Tom & Jerry agree.\nSecond paragraph.");
  ASSERT_TRUE(html.body_html.has_value());
  EXPECT_EQ(html.title, "Tom & Jerry agree.");  // empty title derived from the body
  EXPECT_EQ(html.tags, (std::vector<std::string>{"one", "two", "3"}));
}

TEST(JsonApi, FallsBackToTheUrlForTheIdAndSkipsNonObjects) {
  JsonApiMapping m;
  m.items = "/items";
  m.fields = {{"id", "/id"}, {"title", "/title"}, {"url", "/url"}};
  const auto items =
      parse_ok(fixture("json_api_missing_id_uses_url.json"), Format::json_api, api_context(m));
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].post.id, "https://news.example/story/77?from=list");
  EXPECT_FALSE(items[1].post.id.empty());  // the content digest, as a last resort
}

TEST(JsonApi, UrlEncodesDetailTemplateValues) {
  JsonApiMapping m;
  m.fields = {{"id", "/id"}};
  m.detail_url = "https://api.example/detail?id={id}&n={n}&s={/nested/s}";
  Context ctx = context_for("https://api.example/list");
  ctx.json_api = &m;
  const auto items = parse_ok(R"([{"id": "a b/中&~._-", "n": 7, "nested": {"s": "x"}},
                                  {"id": "no n"}])",
                              Format::json_api, ctx);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].detail_url, "https://api.example/detail?id=a%20b%2F%E4%B8%AD%26~._-&n=7&s=x");
  EXPECT_FALSE(items[1].detail_url.has_value());  // a missing value renders no request
}

// seeds/eastmoney.yaml's mapping: the detail template names the record's `id`, which the
// item carries as `infoCode`.
JsonApiMapping eastmoney_seed_mapping() {
  JsonApiMapping m = seed_mapping();
  m.detail_url = "http://api.example/GetNewsText.do?id={id}";
  return m;
}

TEST(JsonApi, DetailTemplateNamesRecordFieldsMappedFromTheItem) {
  const JsonApiMapping m = eastmoney_seed_mapping();
  const auto items = parse_ok(fixture("json_api_list_items_carry_only_an_id.json"),
                              Format::json_api, api_context(m));
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].detail_url, "http://api.example/GetNewsText.do?id=NW202403150000000007");
  EXPECT_FALSE(items[0].error.has_value());
}

TEST(JsonApi, DetailTemplateNamesItemMembersWithOrWithoutASlash) {
  JsonApiMapping m = seed_mapping();
  for (const char* tmpl : {"http://api.example/GetNewsText.do?id={infoCode}",
                           "http://api.example/GetNewsText.do?id={/infoCode}"}) {
    m.detail_url = tmpl;
    const auto items = parse_ok(fixture("json_api_list_items_carry_only_an_id.json"),
                                Format::json_api, api_context(m));
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[0].detail_url, "http://api.example/GetNewsText.do?id=NW202403150000000007")
        << tmpl;
  }
}

TEST(JsonApi, AnItemWhoseDetailTemplateCannotBeRenderedCarriesTheReason) {
  const JsonApiMapping m = eastmoney_seed_mapping();
  const auto items = parse_ok(fixture("json_api_list_items_carry_only_an_id.json"),
                              Format::json_api, api_context(m));
  ASSERT_EQ(items.size(), 2u);
  EXPECT_FALSE(items[1].detail_url.has_value());
  ASSERT_TRUE(items[1].error.has_value());  // not a post to publish without its body
  EXPECT_NE(items[1].error->find("{id}"), std::string::npos) << *items[1].error;
}

TEST(JsonApi, UrlAndOriginUrlFieldsMayBeTemplates) {
  JsonApiMapping m = eastmoney_seed_mapping();
  m.fields["origin_url"] = "http://finance.example/html_News/NewsShare.html?infoCode={id}";
  m.fields["url"] = "/detail/{/infoCode}.html";  // relative: resolved against the list's URL
  const auto items = parse_ok(fixture("json_api_list_items_carry_only_an_id.json"),
                              Format::json_api, api_context(m));
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].post.origin_url,
            "http://finance.example/html_News/NewsShare.html?infoCode=NW202403150000000007");
  EXPECT_EQ(items[0].post.url, "http://api.example/detail/NW202403150000000007.html");
  EXPECT_FALSE(items[1].post.origin_url.has_value());  // nothing to render it from
  EXPECT_FALSE(items[1].post.url.has_value());
}

TEST(JsonApi, TemplatesAreCheckedAgainstTheFieldsTheMappingProvides) {
  const std::map<std::string, std::string> fields = {{"id", "/infoCode"}, {"media", "/m"}};
  EXPECT_FALSE(template_problem("http://a.example/d?id={id}", fields));
  EXPECT_FALSE(template_problem("http://a.example/d?id={infoCode}&c={/x/0}", fields));
  EXPECT_FALSE(template_problem("http://a.example/d?c={category}", fields));  // from media
  EXPECT_TRUE(template_problem("http://a.example/d?t={title}", fields));      // not mapped
  EXPECT_TRUE(template_problem("http://a.example/d?b={body}", fields));       // not a scalar
  EXPECT_TRUE(template_problem("http://a.example/d?id={}", fields));
  EXPECT_TRUE(template_problem("http://a.example/d?id={id", fields));
  EXPECT_TRUE(template_problem("http://a.example/d?id=id}", fields));
  EXPECT_TRUE(template_problem("http://a.example/d?id={/a~2}", fields));  // bad pointer
}

TEST(JsonApi, NeedsAMappingAndAnArrayOfItems) {
  Context ctx = context_for("https://api.example/list");
  EXPECT_FALSE(parse(R"({"record": []})", Format::json_api, ctx).ok());
  JsonApiMapping m;
  m.items = "/record";
  ctx.json_api = &m;
  EXPECT_TRUE(parse(R"({"record": []})", Format::json_api, ctx).ok());
  EXPECT_FALSE(parse(R"({"record": {"a": 1}})", Format::json_api, ctx).ok());
  EXPECT_FALSE(parse(R"({"other": []})", Format::json_api, ctx).ok());
  EXPECT_FALSE(parse(R"({"record": [)", Format::json_api, ctx).ok());
}

TEST(JsonApi, RejectsHostileNestingWithoutCrashing) {
  JsonApiMapping m;
  Context ctx = context_for("https://api.example/list");
  ctx.json_api = &m;
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  EXPECT_FALSE(parse(deep, Format::json_api, ctx).ok());
  EXPECT_FALSE(parse(deep, Format::jsonfeed, ctx).ok());
  const std::string ok = std::string(50, '[') + std::string(50, ']');
  EXPECT_TRUE(parse(ok, Format::json_api, ctx).ok());
}

TEST(JsonFeed, ResolvesRelativeUrlsAndReadsEveryField) {
  const auto items = parse_ok(fixture("jsonfeed_relative_urls.json"), Format::automatic,
                              context_for("https://mirror.example/wire.json"));
  ASSERT_EQ(items.size(), 2u);
  const Post& p = items[0].post;
  EXPECT_EQ(p.id, "post-1");
  EXPECT_EQ(p.url, "https://wire.example/2022/01/26/first");
  EXPECT_EQ(p.origin_url, "https://wire.example/elsewhere/original");
  EXPECT_EQ(p.title, "Markets & rates");
  EXPECT_EQ(p.body_text, "Rates rose.\nStocks fell.");
  EXPECT_EQ(p.body_html, "<p>Rates rose.</p><p>Stocks fell.</p>");
  EXPECT_EQ(p.summary, "Rates rose; stocks fell.");
  EXPECT_EQ(rfc3339(p.published_at), "2022-01-26T12:27:25Z");
  EXPECT_EQ(rfc3339(p.updated_at), "2022-01-27T08:00:00Z");
  EXPECT_EQ(p.author, "Ann, Bob");
  EXPECT_EQ(p.tags, (std::vector<std::string>{"markets", "rates"}));
  EXPECT_EQ(p.lang, "en-US");
  EXPECT_EQ(items[0].link, p.url);

  const Post& untitled = items[1].post;
  EXPECT_EQ(untitled.id, "42");
  EXPECT_EQ(untitled.title, "A microblog post without a title.");
  EXPECT_EQ(untitled.body_text, "A microblog post without a title.\nSecond line.");
  EXPECT_EQ(rfc3339(untitled.published_at), "2022-01-26T12:27:25Z");  // from date_modified
  EXPECT_EQ(untitled.author, "Desk");                                 // the feed's author
  EXPECT_EQ(untitled.lang, "en-GB");
}

TEST(JsonFeed, ReadsVersion1AuthorObjects) {
  const auto items = parse_ok(fixture("jsonfeed_1_0_author_object.json"), Format::jsonfeed,
                              context_for("https://old.example/feed.json"));
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].post.author, "Item Author");
  EXPECT_EQ(items[1].post.author, "Feed Author");
  EXPECT_EQ(items[1].post.body_text, "Body two.");
  EXPECT_FALSE(items[1].post.url.has_value());
}

TEST(JsonFeed, ParsesTheRealFeedsInTheCorpus) {
  const auto dir = testing::shared_dir() / "corpus/feeds";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no shared corpus at " << dir;
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".json") continue;
    ++files;
    SCOPED_TRACE(e.path().filename().string());
    const auto items = parse_ok(testing::read_file(e.path()), Format::automatic,
                                context_for("https://x.example/"));
    ASSERT_GT(items.size(), 0u);
    std::size_t dated = 0;
    for (const Parsed& p : items) {
      EXPECT_FALSE(p.post.id.empty());
      EXPECT_FALSE(p.post.title.empty());
      EXPECT_TRUE(p.post.url.has_value()) << p.post.id;
      if (p.post.published_at) ++dated;
    }
    EXPECT_GE(dated + 1, items.size());  // the elastic feed has one undated test item
  }
  EXPECT_EQ(files, 2);
}

}  // namespace
}  // namespace newsd::parse
