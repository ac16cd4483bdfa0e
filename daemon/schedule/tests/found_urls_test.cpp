// What a poll fetches beyond the configured URL: followed articles checked against robots.txt
// (RobotsGate), and the children of a sitemap index (sitemap_walk.h). On simulated time, with
// a stand-in HTTP server that answers per URL.
#include <set>

#include "schedule/engine.h"
#include "schedule/tests/engine_fixture.h"

namespace newsd::schedule {
namespace {

using namespace std::chrono_literals;

// Answers each URL from `pages` (404 otherwise), records every request with its time and
// headers, and answers 304 to an If-None-Match that names the page's ETag.
class SiteHttp : public fetch::HttpClient {
 public:
  struct Page {
    long status = 200;
    std::string body;
    std::string etag;
  };
  SiteHttp(boost::asio::io_context& io, Clock& clock) : io_(io), clock_(clock) {}
  void get(fetch::Request req, fetch::Handler done) override {
    log.push_back({req.url, clock_.steady_now(), req.headers});
    fetch::Response r;
    r.effective_url = req.url;
    r.status = 404;
    if (auto it = pages.find(req.url); it != pages.end()) {
      const Page& p = it->second;
      const bool match =
          !p.etag.empty() && std::find(req.headers.begin(), req.headers.end(),
                                       "If-None-Match: " + p.etag) != req.headers.end();
      r.status = match ? 304 : p.status;
      if (!match) r.body = p.body;
      if (!p.etag.empty()) r.etag = p.etag;
    }
    ++in_flight_;
    boost::asio::post(io_, [this, r = std::move(r), done = std::move(done)]() mutable {
      --in_flight_;
      done(std::move(r));
    });
  }
  std::size_t in_flight() const override { return in_flight_; }
  void shutdown() override {}

  int count(const std::string& url) const {
    return int(std::count_if(log.begin(), log.end(), [&](const auto& r) { return r.url == url; }));
  }
  struct Seen {
    std::string url;
    SteadyTime at;
    std::vector<std::string> headers;
  };
  std::map<std::string, Page> pages;
  std::vector<Seen> log;

 private:
  boost::asio::io_context& io_;
  Clock& clock_;
  std::size_t in_flight_ = 0;
};

std::string article(const std::string& title) {
  return "<html><head><title>" + title + "</title></head><body><article><h1>" + title +
         "</h1><p>The full text of " + title +
         ", long enough to be taken for an article body by the extractor.</p></article>"
         "</body></html>";
}

std::string rss_linking(const std::vector<std::string>& links) {
  std::string items;
  for (const auto& l : links)
    items += "<item><title>" + l + "</title><link>" + l + "</link><guid>" + l + "</guid></item>";
  return "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>" + items +
         "</channel></rss>";
}

class FoundUrlsTest : public EngineTest {
 protected:
  std::unique_ptr<Engine> site_engine(std::vector<config::Source> sources, bool once = true) {
    Options o;
    o.once = once;
    o.http.host_spacing = 0ms;
    o.http.user_agent = "newsd/0.1 (+https://example.org/bot)";
    o.backpressure_retry = 1ms;
    auto e = std::make_unique<Engine>(io_, std::move(sources), site_, *store_, publisher_, metrics_,
                                      o, clock_, 42);
    e->on_idle([this] { idle_ = true; });
    return e;
  }
  config::Source follower(const std::string& name) {
    config::Source s = source(name);
    s.format = "rss";
    s.follow = true;
    return s;
  }
  // Acknowledges everything published until the engine is idle; the keys in order.
  std::vector<std::string> deliver_all() {
    std::vector<std::string> keys;
    run_until([&] {
      while (!publisher_.pending.empty()) keys.push_back(publisher_.ack());
      return idle_;
    });
    return keys;
  }

  SiteHttp site_{io_, clock_};
};

TEST_F(FoundUrlsTest, ADisallowedArticleIsCountedAndNeverFetched) {
  site_.pages["http://feeds.test/news"] = {
      200, rss_linking({"http://site.test/a", "http://site.test/private/b"}), ""};
  site_.pages["http://site.test/robots.txt"] = {
      200, "User-agent: *\nDisallow: /private/\n\nUser-agent: otherbot\nDisallow: /\n", ""};
  site_.pages["http://site.test/a"] = {200, article("A"), ""};
  site_.pages["http://site.test/private/b"] = {200, article("B"), ""};
  auto e = site_engine({follower("news")});
  e->start();
  EXPECT_EQ(deliver_all(), std::vector<std::string>{"http://site.test/a"});
  EXPECT_EQ(site_.count("http://site.test/private/b"), 0);
  EXPECT_EQ(site_.count("http://site.test/robots.txt"), 1);
  EXPECT_EQ(value("newsd_robots_disallowed_total", "source=news"), 1);
  EXPECT_EQ(e->failed_polls(), 0u);  // a refusal is a decision, not a failure
  EXPECT_FALSE(store_->find("news", "http://site.test/private/b"));
}

TEST_F(FoundUrlsTest, TheConfiguredUrlIsNeverCheckedAndIgnoreChecksNothing) {
  site_.pages["http://feeds.test/news"] = {200, rss_linking({"http://feeds.test/private/b"}), ""};
  site_.pages["http://feeds.test/robots.txt"] = {200, "User-agent: *\nDisallow: /\n", ""};
  site_.pages["http://feeds.test/private/b"] = {200, article("B"), ""};
  config::Source s = follower("news");
  s.robots = "ignore";
  auto e = site_engine({s});
  e->start();
  EXPECT_EQ(deliver_all(), std::vector<std::string>{"http://feeds.test/private/b"});
  EXPECT_EQ(site_.count("http://feeds.test/robots.txt"), 0);
}

TEST_F(FoundUrlsTest, NoRobotsTxtAllowsAllAndAnUnreachableOneAllowsNothingForAWhile) {
  site_.pages["http://feeds.test/news"] = {
      200, rss_linking({"http://gone.test/a", "http://down.test/b"}), ""};
  site_.pages["http://gone.test/a"] = {200, article("A"), ""};  // robots.txt: 404
  site_.pages["http://down.test/robots.txt"] = {503, "", ""};
  site_.pages["http://down.test/b"] = {200, article("B"), ""};
  auto e = site_engine({follower("news")}, false);
  e->start();
  run_until([&] { return publisher_.pending.size() == 1; });
  EXPECT_EQ(publisher_.ack(), "http://gone.test/a");
  run_for(10min);
  EXPECT_EQ(site_.count("http://down.test/b"), 0);
  EXPECT_EQ(value("newsd_robots_disallowed_total", "source=news"), 1);
  // The source polls hourly: by then the 15 minutes are over and robots.txt is asked again.
  site_.pages["http://down.test/robots.txt"] = {200, "User-agent: *\nAllow: /\n", ""};
  run_for(70min);
  run_until([&] { return publisher_.pending.size() == 1; });
  EXPECT_EQ(publisher_.ack(), "http://down.test/b");
  EXPECT_EQ(site_.count("http://down.test/robots.txt"), 2);
  EXPECT_EQ(site_.count("http://gone.test/robots.txt"), 1);  // a 404 is good for 24 hours
}

TEST_F(FoundUrlsTest, CrawlDelaySpacesTheHostsRequests) {
  site_.pages["http://feeds.test/news"] = {
      200, rss_linking({"http://slow.test/a", "http://slow.test/b", "http://slow.test/c"}), ""};
  site_.pages["http://slow.test/robots.txt"] = {200, "User-agent: newsd\nCrawl-delay: 3\n", ""};
  for (const char* p : {"a", "b", "c"})
    site_.pages[std::string("http://slow.test/") + p] = {200, article(p), ""};
  auto e = site_engine({follower("news")});
  e->start();
  EXPECT_EQ(deliver_all().size(), 3u);
  std::vector<SteadyTime> starts;
  for (const auto& r : site_.log)
    if (r.url.starts_with("http://slow.test/") && r.url != "http://slow.test/robots.txt")
      starts.push_back(r.at);
  ASSERT_EQ(starts.size(), 3u);
  EXPECT_GE(starts[1] - starts[0], 3s);
  EXPECT_GE(starts[2] - starts[1], 3s);
}

std::string sitemap_index(const std::vector<std::pair<std::string, std::string>>& children) {
  std::string out =
      "<?xml version=\"1.0\"?><sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">";
  for (const auto& [loc, lastmod] : children)
    out += "<sitemap><loc>" + loc + "</loc><lastmod>" + lastmod + "</lastmod></sitemap>";
  return out + "</sitemapindex>";
}

std::string urlset(const std::vector<std::string>& locs) {
  std::string out =
      "<?xml version=\"1.0\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" "
      "xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">";
  for (const auto& loc : locs)
    out += "<url><loc>" + loc +
           "</loc><news:news><news:publication><news:name>Site</news:name><news:language>en"
           "</news:language></news:publication><news:publication_date>2026-12-01T10:00:00Z"
           "</news:publication_date><news:title>Title of " +
           loc + "</news:title></news:news></url>";
  return out + "</urlset>";
}

TEST_F(FoundUrlsTest, ASitemapIndexLeadsToItsChildrenFetchedAgainOnlyWhenLastmodChanges) {
  const std::string index = "http://site.test/sitemap.xml";
  site_.pages[index] = {200,
                        sitemap_index({{"http://site.test/one.xml", "2026-12-01T10:00:00Z"},
                                       {"http://site.test/two.xml", "2026-12-01T10:00:00Z"}}),
                        ""};
  site_.pages["http://site.test/one.xml"] = {200, urlset({"http://site.test/a"}), "\"one-1\""};
  site_.pages["http://site.test/two.xml"] = {200, urlset({"http://site.test/b"}), ""};
  site_.pages["http://site.test/a"] = {200, article("A"), ""};
  site_.pages["http://site.test/b"] = {200, article("B"), ""};
  config::Source s = source("map");
  s.url = index;
  s.format = "sitemap";
  s.interval = 10min;
  auto e = site_engine({s}, false);
  e->start();
  run_until([&] { return publisher_.pending.size() == 2; });
  std::set<std::string> keys = {publisher_.ack(), publisher_.ack()};
  EXPECT_EQ(keys, (std::set<std::string>{"http://site.test/a", "http://site.test/b"}));
  EXPECT_EQ(site_.count("http://site.test/robots.txt"), 1);  // children are checked too

  run_for(11min);  // a second poll: the index is unchanged
  EXPECT_EQ(site_.count(index), 2);
  EXPECT_EQ(site_.count("http://site.test/one.xml"), 1);
  EXPECT_EQ(site_.count("http://site.test/two.xml"), 1);

  // One child's lastmod moves: only it is fetched, conditionally, and its new URL published.
  site_.pages[index].body = sitemap_index({{"http://site.test/one.xml", "2026-12-01T11:00:00Z"},
                                           {"http://site.test/two.xml", "2026-12-01T10:00:00Z"}});
  site_.pages["http://site.test/one.xml"] = {
      200, urlset({"http://site.test/a", "http://site.test/c"}), "\"one-2\""};
  site_.pages["http://site.test/c"] = {200, article("C"), ""};
  run_for(11min);
  run_until([&] { return publisher_.pending.size() == 1; });
  EXPECT_EQ(publisher_.ack(), "http://site.test/c");
  EXPECT_EQ(site_.count("http://site.test/one.xml"), 2);
  EXPECT_EQ(site_.count("http://site.test/two.xml"), 1);
  bool conditional = false;
  for (const auto& r : site_.log)
    if (r.url == "http://site.test/one.xml")
      for (const auto& h : r.headers) conditional |= h == "If-None-Match: \"one-1\"";
  EXPECT_TRUE(conditional);
  EXPECT_EQ(site_.count("http://site.test/a"), 1);  // seen: not fetched again
}

TEST_F(FoundUrlsTest, ASitemapAsksForTheLargerBodyLimit) {
  config::Source s = source("map");
  s.url = "http://site.test/sitemap.xml";
  s.format = "sitemap";
  site_.pages[s.url] = {200, urlset({}), ""};
  std::size_t limit = 0;
  struct Probe : fetch::HttpClient {
    explicit Probe(SiteHttp& h, std::size_t& l) : inner(h), limit(l) {}
    void get(fetch::Request req, fetch::Handler done) override {
      limit = req.max_body_bytes;
      inner.get(std::move(req), std::move(done));
    }
    std::size_t in_flight() const override { return inner.in_flight(); }
    void shutdown() override {}
    SiteHttp& inner;
    std::size_t& limit;
  } probe(site_, limit);
  Options o;
  o.once = true;
  o.http.host_spacing = 0ms;
  Engine e(io_, {s}, probe, *store_, publisher_, metrics_, o, clock_, 42);
  e.on_idle([this] { idle_ = true; });
  e.start();
  run_until([&] { return idle_; });
  EXPECT_EQ(limit, 50u << 20);
}

}  // namespace
}  // namespace newsd::schedule
