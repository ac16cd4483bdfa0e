// Catch-up paging through the whole poll (paging.h; docs/sources.md): a site publishes more
// between two polls than its first page shows, and every post must still reach Kafka, oldest
// page first; where it cannot, the gap is counted. On simulated time (engine_fixture.h).
#include <string>
#include <vector>

#include "schedule/engine.h"
#include "schedule/tests/engine_fixture.h"

namespace newsd::schedule {
namespace {

using namespace std::chrono_literals;

// A site with posts p1 (oldest) ... pN, whose feed shows `per_page` of them, newest first, and
// says where the older ones are: an RFC 5005 link in the feed, a Link header, or nothing (a
// page parameter still works: page=N is read whatever the site says).
struct PagedSite {
  enum class Links { feed, header, none };
  int posts = 0;
  int per_page = 3;
  Links links = Links::feed;
  int fail_page = 0;  // answers 500 for this page
  std::vector<int> pages_served;

  fetch::Response answer(const fetch::Request& req) {
    int page = 1;
    if (const auto at = req.url.find("page="); at != std::string::npos)
      page = std::stoi(req.url.substr(at + 5));
    pages_served.push_back(page);
    fetch::Response r;
    if (page == fail_page) {
      r.status = 500;
      return r;
    }
    r.status = 200;
    r.content_type = "application/atom+xml";
    const int newest = posts - (page - 1) * per_page;
    const bool more = newest - per_page >= 1;
    r.body = "<feed xmlns='http://www.w3.org/2005/Atom'><title>t</title>";
    // Relative, so that it must be resolved against the page's URL.
    if (more && links == Links::feed)
      r.body += "<link rel='next' href='?page=" + std::to_string(page + 1) + "'/>";
    if (more && links == Links::header)
      r.link = "</s?page=" + std::to_string(page + 1) + ">; rel=\"next\"";
    for (int i = newest; i > newest - per_page && i >= 1; --i) {
      const std::string id = "p" + std::to_string(i);
      r.body += "<entry><id>" + id + "</id><title>" + id +
                "</title><updated>2024-01-01T00:00:00Z</updated><content>" + id +
                "</content></entry>";
    }
    r.body += "</feed>";
    return r;
  }
};

class EnginePagingTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    http_.serve = [this](const fetch::Request& req) { return site_.answer(req); };
  }

  config::Source paged(std::size_t max_pages = 10) {
    config::Source s = source("s");
    s.max_pages = max_pages;
    return s;
  }

  // One poll of `s` in a run of its own, every post acknowledged; the ids in the order they
  // were handed to Kafka.
  std::vector<std::string> poll_once(const config::Source& s) {
    idle_ = false;
    site_.pages_served.clear();
    auto e = engine({s});
    e->start();
    std::vector<std::string> sent;
    run_until([&] {
      while (!publisher_.pending.empty()) sent.push_back(publisher_.ack());
      return idle_;
    });
    failed_ = e->failed_polls();
    // Read while the engine lives: a source's series go with it.
    gaps_ = value("newsd_source_gaps_total", "source=s");
    return sent;
  }

  // The first poll: it has nothing to catch up, and reads one page.
  void first_poll(const config::Source& s) {
    site_.posts = 3;
    EXPECT_EQ(poll_once(s), (std::vector<std::string>{"p3", "p2", "p1"}));
    EXPECT_EQ(site_.pages_served, std::vector<int>{1});
  }

  // newsd_source_gaps_total of the last poll_once(); -1: no series (no gap).
  double gaps() const { return gaps_; }

  PagedSite site_;
  std::size_t failed_ = 0;
  double gaps_ = -1;
};

TEST_F(EnginePagingTest, ReadsOlderPagesUntilOneShowsASeenPostAndSendsTheOldestPageFirst) {
  first_poll(paged());
  site_.posts = 10;  // p4 ... p10 are new: more than a page
  const auto sent = poll_once(paged());
  EXPECT_EQ(site_.pages_served, (std::vector<int>{1, 2, 3}));  // page 3 shows p3: caught up
  EXPECT_EQ(sent, (std::vector<std::string>{"p4", "p7", "p6", "p5", "p10", "p9", "p8"}));
  EXPECT_EQ(failed_, 0u);
  EXPECT_EQ(gaps(), -1) << "no gap: no series";
}

TEST_F(EnginePagingTest, AFirstPollOfASourceWithMarksInTheStorePages) {
  // The store remembers p1..p3 from an earlier run; this run's first poll still catches up.
  first_poll(paged());
  site_.posts = 8;
  EXPECT_EQ(poll_once(paged()).size(), 5u);
  EXPECT_EQ(site_.pages_served, (std::vector<int>{1, 2}));
}

TEST_F(EnginePagingTest, FollowsALinkHeaderResolvedAgainstTheResponseUrl) {
  site_.links = PagedSite::Links::header;
  first_poll(paged());
  site_.posts = 10;
  EXPECT_EQ(poll_once(paged()).size(), 7u);
  EXPECT_EQ(site_.pages_served, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(http_.requests["http://feeds.test/s?page=2"], 1);
}

TEST_F(EnginePagingTest, PagesByTheConfiguredQueryParameterWhenTheSiteNamesNoPage) {
  site_.links = PagedSite::Links::none;
  config::Source s = paged();
  s.paging = config::Paging{"page", 1};
  first_poll(s);
  site_.posts = 10;
  EXPECT_EQ(poll_once(s).size(), 7u);
  EXPECT_EQ(site_.pages_served, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(gaps(), -1);
}

TEST_F(EnginePagingTest, CountsAGapWhenMaxPagesIsReached) {
  first_poll(paged(2));
  site_.posts = 13;  // p4 ... p13: four pages of new posts
  const auto sent = poll_once(paged(2));
  EXPECT_EQ(site_.pages_served, (std::vector<int>{1, 2}));
  EXPECT_EQ(sent, (std::vector<std::string>{"p10", "p9", "p8", "p13", "p12", "p11"}));
  EXPECT_EQ(gaps(), 1);
  EXPECT_EQ(failed_, 0u) << "a gap is not a failure: polling again would not bring it back";
}

TEST_F(EnginePagingTest, MaxPagesOneTurnsPagingOffAndCountsTheGap) {
  first_poll(paged(1));
  site_.posts = 10;
  EXPECT_EQ(poll_once(paged(1)).size(), 3u);
  EXPECT_EQ(site_.pages_served, std::vector<int>{1});
  EXPECT_EQ(gaps(), 1);
}

TEST_F(EnginePagingTest, CountsAGapWhenTheSourceOffersNoOlderPage) {
  site_.links = PagedSite::Links::none;
  first_poll(paged());
  site_.posts = 10;
  EXPECT_EQ(poll_once(paged()).size(), 3u);
  EXPECT_EQ(site_.pages_served, std::vector<int>{1});
  EXPECT_EQ(gaps(), 1);
}

TEST_F(EnginePagingTest, NoGapWhenThePageShowsASeenPost) {
  site_.links = PagedSite::Links::none;
  first_poll(paged());
  site_.posts = 5;  // p4, p5 new; p3 on the same page
  EXPECT_EQ(poll_once(paged()).size(), 2u);
  EXPECT_EQ(gaps(), -1);
}

TEST_F(EnginePagingTest, APageThatFailsSendsWhatWasReadFailsThePollAndCountsAGap) {
  first_poll(paged());
  site_.posts = 13;
  site_.fail_page = 3;
  const auto sent = poll_once(paged());
  EXPECT_EQ(site_.pages_served, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(sent, (std::vector<std::string>{"p10", "p9", "p8", "p13", "p12", "p11"}));
  EXPECT_EQ(gaps(), 1);
  EXPECT_EQ(failed_, 1u);
}

// Without marks in the store, a source polled successfully earlier in the run pages too.
TEST_F(EnginePagingTest, ASourcePolledEarlierInTheRunPagesEvenWithoutMarks) {
  site_.posts = 0;  // an empty feed: nothing is marked seen
  auto e = engine({paged()}, false);
  e->start();
  run_until([&] { return site_.pages_served.size() == 1; });
  run_until([&] { return e->polls_in_progress() == 0; });
  site_.posts = 5;
  run_until([&] {
    while (!publisher_.pending.empty()) publisher_.ack();
    return store_->find("s", "p1").has_value() && e->polls_in_progress() == 0;
  });
  EXPECT_EQ(site_.pages_served, (std::vector<int>{1, 1, 2}));
}

}  // namespace
}  // namespace newsd::schedule
