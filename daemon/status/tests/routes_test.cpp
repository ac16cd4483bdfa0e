#include "status/routes.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace newsd::status {
namespace {

using namespace std::chrono;
namespace json = boost::json;

const SysTime kNow = sys_days(year(2026) / 12 / 6) + hours(5);

struct TheRoutes : ::testing::Test {
  Board board;
  std::vector<std::string> calls;
  Actions actions{[this](const std::string& n) { return act("poll " + n); },
                  [this](const std::string& n) { return act("pause " + n); },
                  [this](const std::string& n) { return act("resume " + n); }};
  bool act(const std::string& what) {
    calls.push_back(what);
    return what.ends_with(" a") || what.ends_with(" b");
  }
  Now now = [] { return kNow; };
  void SetUp() override { board.sources({{"a", seconds(60)}, {"b", seconds(60)}}); }
  static metrics::Request req(std::string method, std::string target, std::string auth = "") {
    return {std::move(method), std::move(target), std::move(auth)};
  }
};

TEST_F(TheRoutes, TheApiAnswersJsonWithFilterAndPaging) {
  const auto routes = read_routes(board, now);
  auto r = routes(req("GET", "/api/v1/sources?state=ok&name=b&limit=1"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->content_type, "application/json");
  const auto doc = json::parse(r->body).as_object();
  EXPECT_EQ(doc.at("matched"), 1);
  EXPECT_EQ(doc.at("sources").at(0).at("name"), "b");
}

TEST_F(TheRoutes, BadParametersAreRefusedWith400) {
  const auto routes = read_routes(board, now);
  EXPECT_EQ(routes(req("GET", "/api/v1/sources?state=broken"))->status, 400u);
  EXPECT_EQ(routes(req("GET", "/api/v1/sources?limit=0"))->status, 400u);
  EXPECT_EQ(routes(req("GET", "/api/v1/sources?limit=10001"))->status, 400u);
  EXPECT_EQ(routes(req("GET", "/api/v1/sources?offset=x"))->status, 400u);
  EXPECT_EQ(routes(req("GET", "/api/v1/sources?colour=red"))->status, 400u);
}

TEST_F(TheRoutes, ASourceHasItsOwnDocumentAndPage) {
  const auto routes = read_routes(board, now);
  EXPECT_EQ(routes(req("GET", "/api/v1/sources/a"))->status, 200u);
  EXPECT_EQ(routes(req("GET", "/api/v1/sources/zzz"))->status, 404u);
  const auto page = routes(req("GET", "/sources/b"));
  EXPECT_EQ(page->status, 200u);
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(routes(req("GET", "/sources"))->status, 200u);
  EXPECT_FALSE(routes(req("GET", "/elsewhere")));
}

TEST_F(TheRoutes, ReadRoutesOfferNoActions) {
  const auto routes = read_routes(board, now);
  EXPECT_FALSE(routes(req("GET", "/api/v1/sources/a/pause")));
  EXPECT_TRUE(calls.empty());
}

TEST_F(TheRoutes, AdminActionsNeedTheToken) {
  const auto routes = admin_routes(board, actions, "s3cret", now);
  auto r = routes(req("POST", "/api/v1/sources/a/pause"));
  EXPECT_EQ(r->status, 401u);
  EXPECT_FALSE(r->www_authenticate.empty());
  EXPECT_EQ(routes(req("POST", "/api/v1/sources/a/pause", "Bearer wrong"))->status, 401u);
  EXPECT_EQ(routes(req("POST", "/api/v1/sources/a/pause", "Bearer s3cret!"))->status, 401u);
  EXPECT_TRUE(calls.empty());
  r = routes(req("POST", "/api/v1/sources/a/pause", "Bearer s3cret"));
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(calls, std::vector<std::string>{"pause a"});
  EXPECT_EQ(board.find("a")->state(), State::paused);
  EXPECT_NE(r->body.find("\"state\":\"paused\""), std::string::npos);
}

TEST_F(TheRoutes, AdminActionsPollPauseResume) {
  const auto routes = admin_routes(board, actions, "", now);
  EXPECT_EQ(routes(req("POST", "/api/v1/sources/b/poll"))->status, 202u);
  EXPECT_EQ(routes(req("POST", "/api/v1/sources/b/pause"))->status, 200u);
  EXPECT_EQ(routes(req("POST", "/api/v1/sources/b/resume"))->status, 200u);
  EXPECT_EQ(board.find("b")->state(), State::ok);
  EXPECT_EQ(routes(req("POST", "/api/v1/sources/nope/poll"))->status, 404u);
  EXPECT_EQ(calls, (std::vector<std::string>{"poll b", "pause b", "resume b", "poll nope"}));
}

TEST_F(TheRoutes, AdminActionsTakeOnlyPost) {
  const auto routes = admin_routes(board, actions, "", now);
  auto r = routes(req("GET", "/api/v1/sources/a/pause"));
  EXPECT_EQ(r->status, 405u);
  EXPECT_EQ(r->allow, "POST");
  EXPECT_EQ(routes(req("POST", "/api/v1/sources"))->status, 405u);
  EXPECT_EQ(routes(req("GET", "/api/v1/sources"))->status, 200u);
  EXPECT_TRUE(calls.empty());
}

TEST(PercentDecode, DecodesEscapesAndPlusInQueries) {
  EXPECT_EQ(percent_decode("a%20b+c", true), "a b c");
  EXPECT_EQ(percent_decode("a%2Fb+c", false), "a/b+c");
  EXPECT_EQ(percent_decode("bad%zz%", true), "bad%zz%");
}

}  // namespace
}  // namespace newsd::status
