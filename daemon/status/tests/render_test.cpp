#include "status/render.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace newsd::status {
namespace {

using namespace std::chrono;
namespace json = boost::json;

const SysTime kNow = sys_days(year(2026) / 12 / 6) + hours(5);

struct TheView : ::testing::Test {
  Board board;
  void SetUp() override {
    board.sources({{"good", seconds(60)}, {"bad<script>", seconds(60)}});
    schedule::PollOutcome o;
    o.started = kNow - seconds(2);
    o.error_class = "timeout";
    o.error = "<img src=x onerror=alert(1)> \"quoted\" & 'single'";
    schedule::PollReport r{"bad<script>", o, kNow - seconds(1)};
    r.failed = true;
    r.consecutive_failures = 1;
    r.next_in = seconds(60);
    board.polled(r);
    schedule::PollOutcome ok;
    ok.started = kNow - seconds(3);
    ok.status = 200;
    ok.delivered = 2;
    ok.last_delivered = kNow - seconds(2);
    schedule::PollReport g{"good", ok, kNow - seconds(2)};
    g.next_in = seconds(60);
    g.etag = true;
    board.polled(g);
  }
};

TEST_F(TheView, TheListDocumentHasTheSchemaCountsAndEveryField) {
  Query q;
  const auto doc = json::parse(sources_json(board.query(q), q, kNow)).as_object();
  EXPECT_EQ(doc.at("schema"), "newsd.sources/v1");
  EXPECT_EQ(doc.at("generated_at"), "2026-12-06T05:00:00Z");
  EXPECT_EQ(doc.at("total"), 2);
  EXPECT_EQ(doc.at("matched"), 2);
  EXPECT_EQ(doc.at("limit"), 100);
  EXPECT_EQ(doc.at("counts").at("failing"), 1);
  EXPECT_EQ(doc.at("counts").at("ok"), 1);
  EXPECT_EQ(doc.at("counts").at("not_owned"), 0);
  const auto& sources = doc.at("sources").as_array();
  ASSERT_EQ(sources.size(), 2u);
  const auto& bad = sources[0].as_object();
  EXPECT_EQ(bad.at("name"), "bad<script>");
  EXPECT_EQ(bad.at("state"), "failing");
  EXPECT_EQ(bad.at("last_poll").at("outcome"), "timeout");
  EXPECT_TRUE(bad.at("last_poll").at("http_status").is_null());
  EXPECT_EQ(bad.at("last_poll").at("error_class"), "timeout");
  EXPECT_EQ(bad.at("last_error"), "<img src=x onerror=alert(1)> \"quoted\" & 'single'");
  EXPECT_EQ(bad.at("next_poll_at"), "2026-12-06T05:00:59Z");
  EXPECT_EQ(bad.at("interval").at("reason"), "configured");
  const auto& good = sources[1].as_object();
  EXPECT_EQ(good.at("last_poll").at("outcome"), "200");
  EXPECT_EQ(good.at("last_poll").at("http_status"), 200);
  EXPECT_TRUE(good.at("last_error").is_null());
  EXPECT_EQ(good.at("delivered").at("total"), 2);
  EXPECT_EQ(good.at("delivered").at("last_hour"), 2);
  EXPECT_EQ(good.at("validators").at("etag"), true);
  EXPECT_EQ(good.at("validators").at("last_modified"), false);
  EXPECT_EQ(good.at("last_new_post_at"), "2026-12-06T04:59:58Z");
}

TEST_F(TheView, TheDetailDocumentAddsTheRecentPolls) {
  const auto doc = json::parse(source_json(*board.find("bad<script>"), kNow)).as_object();
  EXPECT_EQ(doc.at("source").at("name"), "bad<script>");
  const auto& polls = doc.at("recent_polls").as_array();
  ASSERT_EQ(polls.size(), 1u);
  EXPECT_EQ(polls[0].at("error_class"), "timeout");
  EXPECT_EQ(polls[0].at("duration_seconds"), 1.0);
  EXPECT_EQ(polls[0].at("error"), "<img src=x onerror=alert(1)> \"quoted\" & 'single'");
}

TEST_F(TheView, ThePageEscapesNamesAndErrors) {
  Query q;
  const std::string page = sources_html(board.query(q), q, kNow);
  EXPECT_EQ(page.find("<script>\""), std::string::npos);
  EXPECT_EQ(page.find("bad<script>"), std::string::npos);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_NE(page.find("bad&lt;script&gt;"), std::string::npos);
  EXPECT_NE(
      page.find("&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot; &amp; &#39;single&#39;"),
      std::string::npos);
  EXPECT_NE(page.find("href=\"/sources/bad%3Cscript%3E\""), std::string::npos);
  EXPECT_EQ(page.find("http://"), std::string::npos) << "the page loads nothing from elsewhere";
  EXPECT_EQ(page.find("https://"), std::string::npos);
}

TEST_F(TheView, ThePageListsFailingSourcesFirst) {
  Query q;
  const std::string page = sources_html(board.query(q), q, kNow);
  EXPECT_LT(page.find(">bad&lt;script&gt;</a>"), page.find(">good</a>"));
}

TEST_F(TheView, TheDetailPageEscapesToo) {
  const std::string page = source_html(*board.find("bad<script>"), kNow);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_NE(page.find("<h1>bad&lt;script&gt; "), std::string::npos);
}

TEST(HtmlEscape, EscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(html_escape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
  EXPECT_EQ(html_escape("新华财经"), "新华财经");
}

}  // namespace
}  // namespace newsd::status
