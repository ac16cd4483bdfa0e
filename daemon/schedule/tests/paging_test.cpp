// Where the next page is and when to read it (the poll's use of it: engine_paging_test.cpp).
#include "schedule/paging.h"

#include <gtest/gtest.h>

namespace newsd::schedule::paging {
namespace {

TEST(LinkHeader, FindsRelNextAmongSeveralLinksAndResolvesItAgainstTheResponseUrl) {
  EXPECT_EQ(next_in_link_header(R"(</news?page=1>; rel="prev", </news?page=3>; rel="next")",
                                "https://api.example/news?page=2"),
            "https://api.example/news?page=3");
}

TEST(LinkHeader, RelIsAListOfTypesCompareCaselesslyAndMayBeUnquoted) {
  EXPECT_EQ(next_in_link_header(R"(<https://a.example/2>; rel="last NEXT")", "https://b/"),
            "https://a.example/2");
  EXPECT_EQ(next_in_link_header("<p2>;rel=next", "https://b/x/y"), "https://b/x/p2");
}

TEST(LinkHeader, IgnoresOtherRelationsAndCommasOrSemicolonsInQuotedParameters) {
  EXPECT_EQ(next_in_link_header(R"(<https://a/1>; title="next, one; rel=next"; rel="prev")",
                                "https://b/"),
            std::nullopt);
  EXPECT_EQ(next_in_link_header(R"(<https://a/1>; title="x, y"; rel="next")", "https://b/"),
            "https://a/1");
  EXPECT_EQ(next_in_link_header(R"(<https://a/1>; rel="nextpage")", "https://b/"), std::nullopt);
  EXPECT_EQ(next_in_link_header("", "https://b/"), std::nullopt);
  EXPECT_EQ(next_in_link_header("<https://a/1", "https://b/"), std::nullopt);
}

TEST(QueryParam, ReplacesTheParameterWhereItIsElseAddsIt) {
  EXPECT_EQ(
      with_query_param("http://h/webapi?marketType=37&pageindex=1&count=20", "pageindex", "2"),
      "http://h/webapi?marketType=37&pageindex=2&count=20");
  EXPECT_EQ(with_query_param("http://h/webapi?marketType=37", "pageindex", "2"),
            "http://h/webapi?marketType=37&pageindex=2");
  EXPECT_EQ(with_query_param("http://h/feed", "paged", "2"), "http://h/feed?paged=2");
  EXPECT_EQ(with_query_param("http://h/feed?", "paged", "2"), "http://h/feed?paged=2");
  EXPECT_EQ(with_query_param("http://h/f?pageindexx=1#top", "pageindex", "3"),
            "http://h/f?pageindexx=1&pageindex=3#top");
}

TEST(NextUrl, TheConfiguredParameterWinsThenTheDocumentsLinkThenTheHeader) {
  config::Source cfg;
  cfg.url = "http://h/list?pageindex=1";
  const std::optional<std::string> doc = "http://h/doc-next";
  const std::string header = "</header-next>; rel=next";
  EXPECT_EQ(next_url(cfg, 1, doc, header, "http://h/list"), "http://h/doc-next");
  EXPECT_EQ(next_url(cfg, 1, std::nullopt, header, "http://h/list"), "http://h/header-next");
  EXPECT_EQ(next_url(cfg, 1, std::nullopt, "", "http://h/list"), std::nullopt);
  cfg.paging = config::Paging{"pageindex", 1};
  EXPECT_EQ(next_url(cfg, 1, doc, header, "http://h/list"), "http://h/list?pageindex=2");
  EXPECT_EQ(next_url(cfg, 4, doc, header, "http://h/list"), "http://h/list?pageindex=5");
  cfg.paging->first = 0;
  EXPECT_EQ(next_url(cfg, 1, doc, header, "http://h/list"), "http://h/list?pageindex=1");
}

Page all_new(std::size_t number, std::optional<std::string> next = "http://h/next") {
  Page p;
  p.number = number;
  p.entries = p.fresh = 20;
  p.read = 20 * number;
  p.next = std::move(next);
  return p;
}

const auto yes = [] { return true; };

TEST(Decide, ReadsTheNextPageWhileEveryEntryIsNew) {
  const Decision d = decide(all_new(1), 10, yes);
  EXPECT_EQ(d.step, Step::next);
  EXPECT_EQ(d.url, "http://h/next");
  EXPECT_EQ(decide(all_new(9), 10, yes).step, Step::next);
}

TEST(Decide, StopsAtAPageWithAnEntryAlreadySeen) {
  Page p = all_new(3);
  p.known = 1;
  EXPECT_EQ(decide(p, 10, yes).step, Step::done);
}

TEST(Decide, AFirstPollDoesNotPageAndAsksOnlyWhenThePageIsAllNew) {
  int asked = 0;
  const auto never = [&] {
    ++asked;
    return false;
  };
  EXPECT_EQ(decide(all_new(1), 10, never).step, Step::done);
  EXPECT_EQ(asked, 1);
  Page p = all_new(1);
  p.known = 2;
  EXPECT_EQ(decide(p, 10, never).step, Step::done);
  EXPECT_EQ(decide(all_new(2), 10, never).step, Step::next);
  EXPECT_EQ(asked, 1);
}

TEST(Decide, AnEmptyPageEndsTheList) {
  Page p = all_new(2);
  p.entries = p.fresh = 0;
  EXPECT_EQ(decide(p, 10, yes).step, Step::done);
}

TEST(Decide, MaxPagesReachedIsAGapThatSaysHowManyEntriesWereRead) {
  const Decision d = decide(all_new(10), 10, yes);
  EXPECT_EQ(d.step, Step::gap);
  EXPECT_NE(d.why.find("all 200 entries of 10 pages were new"), std::string::npos) << d.why;
  EXPECT_NE(d.why.find("max_pages (10)"), std::string::npos) << d.why;
}

TEST(Decide, MaxPagesOneTurnsPagingOffAndCountsTheGap) {
  const Decision d = decide(all_new(1), 1, yes);
  EXPECT_EQ(d.step, Step::gap);
  EXPECT_NE(d.why.find("all 20 entries of the first page were new"), std::string::npos) << d.why;
  EXPECT_NE(d.why.find("max_pages: 1"), std::string::npos) << d.why;
}

TEST(Decide, AFirstPageThatNamesNoOlderOneIsAGapALaterOneIsTheEnd) {
  const Decision d = decide(all_new(1, std::nullopt), 10, yes);
  EXPECT_EQ(d.step, Step::gap);
  EXPECT_NE(d.why.find("no older page"), std::string::npos) << d.why;
  EXPECT_EQ(decide(all_new(4, std::nullopt), 10, yes).step, Step::done);
}

TEST(Decide, APageThatOnlyRepeatsEarlierEntriesIsAGap) {
  Page p = all_new(2);
  p.fresh = 0;
  const Decision d = decide(p, 10, yes);
  EXPECT_EQ(d.step, Step::gap);
  EXPECT_NE(d.why.find("repeated"), std::string::npos) << d.why;
}

}  // namespace
}  // namespace newsd::schedule::paging
