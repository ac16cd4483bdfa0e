#include "metrics/http_server.h"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <string>
#include <thread>

#include "core/build_info.h"

namespace newsd::metrics {
namespace {

struct Reply {
  long status = 0;
  std::string body;
};

Reply get(unsigned short port, const std::string& path, long http_version = CURL_HTTP_VERSION_1_1,
          const char* method = "GET") {
  Reply r;
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION, http_version);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(
      c, CURLOPT_WRITEFUNCTION, +[](char* p, size_t s, size_t n, void* ud) {
        static_cast<std::string*>(ud)->append(p, s * n);
        return s * n;
      });
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_cleanup(c);
  return r;
}

// Runs the server's loop on a thread while the test thread plays the client.
class HttpServerTest : public ::testing::Test {
 protected:
  void start(std::function<Readiness()> readiness, ServerOptions options = {}) {
    server_ = std::make_unique<HttpServer>(io_, "127.0.0.1:0", metrics_, std::move(readiness),
                                           std::move(options));
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    boost::asio::post(io_, [this] { server_->stop(); });
    thread_.join();
  }
  boost::asio::io_context io_;
  Metrics metrics_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

TEST_F(HttpServerTest, ServesMetricsInPrometheusTextFormat) {
  auto series = metrics_.per_source.get("s");
  series->post(SourceSeries::Post::new_post, 3);
  start([] { return Readiness{true, "ok"}; });
  const auto r = get(server_->port(), "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("newsd_posts_total{result=\"new\",source=\"s\"} 3"), std::string::npos)
      << r.body;
  // The same version and commit as `newsd --version` prints.
  const std::string build_info = "newsd_build_info{commit=\"" + std::string(build::commit()) +
                                 "\",version=\"" + std::string(build::version()) + "\"} 1";
  EXPECT_NE(r.body.find(build_info), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("process_resident_memory_bytes "), std::string::npos);
  EXPECT_NE(r.body.find("process_open_fds "), std::string::npos);
}

TEST_F(HttpServerTest, StreamsALargeExpositionWholeOverHttp11AndHttp10) {
  std::vector<std::shared_ptr<SourceSeries>> held;
  for (int i = 0; i < 3000; ++i) {
    held.push_back(metrics_.per_source.get("source-" + std::to_string(i)));
    held.back()->fetched("200", 0.01, 1000);
  }
  start([] { return Readiness{true, "ok"}; });
  const auto newsd_part = [](const std::string& t) {
    const auto at = t.find("# HELP newsd_");
    return at == std::string::npos ? std::string() : t.substr(at);
  };
  std::promise<std::string> expected;
  boost::asio::post(io_, [&] { expected.set_value(newsd_part(metrics_.serialize())); });
  const std::string want = expected.get_future().get();
  ASSERT_GT(want.size(), 2u * 256 * 1024);  // several pieces
  for (const long version : {CURL_HTTP_VERSION_1_1, CURL_HTTP_VERSION_1_0}) {
    const auto r = get(server_->port(), "/metrics", version);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(newsd_part(r.body), want) << "HTTP version option " << version;
  }
}

TEST_F(HttpServerTest, ReadyzReflectsTheReadinessCheck) {
  std::atomic<bool> ready{false};
  start([&] { return Readiness{ready.load(), ready ? "kafka: ok" : "kafka: unreachable"}; });
  auto r = get(server_->port(), "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "kafka: unreachable\n");
  ready = true;
  r = get(server_->port(), "/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(get(server_->port(), "/healthz").status, 200);
  EXPECT_EQ(get(server_->port(), "/nope").status, 404);
}

// The routes another stage adds (the status API): asked for the paths the server does not
// serve itself; on a server that is not writable, only ever for GET and HEAD.
Routes echo_routes() {
  return [](const Request& r) -> std::optional<metrics::Reply> {
    if (r.target.rfind("/extra", 0) != 0) return std::nullopt;
    metrics::Reply out;
    out.status = r.method == "POST" ? 202 : 200;
    out.content_type = "application/json";
    out.body = r.method + " " + r.target;
    return out;
  };
}

TEST_F(HttpServerTest, AnswersAddedRoutesAndSaysNotFoundForTheRest) {
  start([] { return Readiness{true, "ok"}; }, {.routes = echo_routes()});
  const Reply r = get(server_->port(), "/extra/a?b=c");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /extra/a?b=c");
  EXPECT_EQ(get(server_->port(), "/other").status, 404);
  EXPECT_EQ(get(server_->port(), "/healthz").status, 200);
}

TEST_F(HttpServerTest, NeverHandsAChangeToTheRoutesUnlessWritable) {
  start([] { return Readiness{true, "ok"}; }, {.routes = echo_routes()});
  EXPECT_EQ(get(server_->port(), "/extra/a", CURL_HTTP_VERSION_1_1, "POST").status, 405);
  EXPECT_EQ(get(server_->port(), "/extra/a", CURL_HTTP_VERSION_1_1, "DELETE").status, 405);
}

TEST_F(HttpServerTest, AWritableServerHandsOtherMethodsToTheRoutes) {
  start([] { return Readiness{true, "ok"}; }, {.routes = echo_routes(), .writable = true});
  const Reply r = get(server_->port(), "/extra/a", CURL_HTTP_VERSION_1_1, "POST");
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body, "POST /extra/a");
  EXPECT_EQ(get(server_->port(), "/other", CURL_HTTP_VERSION_1_1, "POST").status, 405);
}

}  // namespace
}  // namespace newsd::metrics
