// The real curl client against a loopback server: every outcome a source can produce, and
// the lifetime rules of the asio binding (handlers exactly once, never inline, safe shutdown).
#include "fetch/curl_client.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fetch/curl_errors.h"
#include "fetch/http_client.h"
#include "test_http_server.h"

namespace newsd::fetch {
namespace {

using namespace std::chrono_literals;
using testing::TestHttpServer;

// Runs `io` until `done()` holds or `limit` passes; no sleeping, only running the loop.
bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    io.restart();
    io.run_one_for(std::min<std::chrono::steady_clock::duration>(deadline - now, 20ms));
  }
  return true;
}

class CurlClient : public ::testing::Test {
 protected:
  Request request(std::string_view target) const {
    Request r;
    r.url = server.url(target);
    r.connect_timeout = 5s;
    r.total_timeout = 10s;
    return r;
  }

  // One GET, run to completion.
  Response fetch(Request r) {
    std::optional<Response> out;
    int calls = 0;
    client->get(std::move(r), [&](Response resp) {
      ++calls;
      out = std::move(resp);
    });
    EXPECT_EQ(calls, 0) << "handler ran inline";
    EXPECT_TRUE(run_until(io, [&] { return calls > 0; })) << "no completion before deadline";
    EXPECT_EQ(calls, 1);
    if (out) return std::move(*out);
    Response missing;
    missing.error = ErrorClass::aborted;
    missing.error_message = "test: no response";
    return missing;
  }
  Response fetch(std::string_view target) { return fetch(request(target)); }

  boost::asio::io_context io;
  TestHttpServer server;
  std::unique_ptr<HttpClient> client = make_curl_client(io);
};

TEST_F(CurlClient, ReturnsBodyStatusAndValidatorsOfA200) {
  const Response r = fetch("/ok");
  EXPECT_EQ(r.error, ErrorClass::none) << r.error_message;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello\n");
  EXPECT_EQ(r.etag, "\"v1\"");
  EXPECT_EQ(r.last_modified, "Wed, 21 Oct 2015 07:28:00 GMT");
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(r.retry_after, std::nullopt);
  EXPECT_EQ(r.effective_url, server.url("/ok"));
  EXPECT_GT(r.elapsed.count(), 0);
  EXPECT_EQ(client->in_flight(), 0u);
}

TEST_F(CurlClient, SendsRequestHeadersSoAConditionalGetGets304) {
  Request r = request("/conditional");
  r.headers.push_back("If-None-Match: \"v1\"");
  const Response resp = fetch(r);
  EXPECT_EQ(resp.error, ErrorClass::none) << resp.error_message;
  EXPECT_EQ(resp.status, 304);
  EXPECT_TRUE(resp.body.empty());
  EXPECT_EQ(resp.etag, "\"v1\"");
}

// Easy handles are pooled between transfers; nothing of one request (headers, body limit,
// proxy) may reach the next request on the same handle.
TEST_F(CurlClient, APooledHandleCarriesNothingOfItsLastRequestIntoTheNext) {
  Request conditional = request("/conditional");
  conditional.headers.push_back("If-None-Match: \"v1\"");
  EXPECT_EQ(fetch(conditional).status, 304);
  const Response plain = fetch("/conditional");  // no header this time
  EXPECT_EQ(plain.error, ErrorClass::none) << plain.error_message;
  EXPECT_EQ(plain.status, 200);

  Request small = request("/big?n=5000");
  small.max_body_bytes = 1000;
  EXPECT_EQ(fetch(small).error, ErrorClass::too_large);
  const Response big = fetch("/big?n=5000");  // the default limit again
  EXPECT_EQ(big.error, ErrorClass::none) << big.error_message;
  EXPECT_EQ(big.status, 200);

  Request proxied = request("/ok");
  proxied.proxy = "http://127.0.0.1:1";  // nothing listens there
  EXPECT_NE(fetch(proxied).error, ErrorClass::none);
  const Response direct = fetch("/ok");
  EXPECT_EQ(direct.error, ErrorClass::none) << direct.error_message;
  EXPECT_EQ(direct.body, "hello\n");
}

TEST_F(CurlClient, ReportsAServerErrorAsAStatusNotAnError) {
  const Response r = fetch("/error");
  EXPECT_EQ(r.error, ErrorClass::none) << r.error_message;
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "boom");
}

// Catch-up paging reads rel="next" from it (schedule/paging.h).
TEST_F(CurlClient, JoinsTheFinalResponsesLinkFieldsAsOneValue) {
  const Response r = fetch("/linked");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.link, "</p1>; rel=prev, </p3>; rel=\"next\"");
}

TEST_F(CurlClient, ExposesRetryAfterOfA429) {
  const Response r = fetch("/busy");
  EXPECT_EQ(r.error, ErrorClass::none) << r.error_message;
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.retry_after, "120");
}

TEST_F(CurlClient, KeepsOnlyTheFinalResponsesHeadersAfterRedirects) {
  const Response r = fetch("/redirect/2");
  EXPECT_EQ(r.error, ErrorClass::none) << r.error_message;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "landed");
  EXPECT_EQ(r.effective_url, server.url("/redirect/0"));
  EXPECT_EQ(r.etag, "\"final\"");
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.last_modified, std::nullopt) << "leaked from a redirect response";
  EXPECT_EQ(r.retry_after, std::nullopt) << "leaked from a redirect response";
}

TEST_F(CurlClient, FollowsRedirectsUpToFive) {
  const Response r = fetch("/redirect/5");
  EXPECT_EQ(r.error, ErrorClass::none) << r.error_message;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "landed");
}

TEST_F(CurlClient, GivesUpAfterFiveRedirectsAsProtocol) {
  const Response six = fetch("/redirect/6");
  EXPECT_EQ(six.error, ErrorClass::protocol);
  EXPECT_EQ(six.status, 0);
  EXPECT_TRUE(six.body.empty());

  const Response loop = fetch("/loop");
  EXPECT_EQ(loop.error, ErrorClass::protocol);
}

TEST_F(CurlClient, RefusesARedirectToAFileUrl) {
  const Response r = fetch("/to-file");
  EXPECT_EQ(r.error, ErrorClass::protocol);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(r.body.find("root:"), std::string::npos);
}

TEST_F(CurlClient, RefusesNonHttpSchemesWithoutReadingThem) {
  const std::string port = std::to_string(server.port());
  const std::vector<std::string> urls = {"file:///etc/passwd", "FILE:///etc/hostname",
                                         "gopher://127.0.0.1:" + port + "/",
                                         "ftp://127.0.0.1:" + port + "/"};
  for (const std::string& url : urls) {
    Request r;
    r.url = url;
    const Response resp = fetch(r);
    EXPECT_EQ(resp.error, ErrorClass::protocol) << url;
    EXPECT_TRUE(resp.body.empty()) << url;
  }
  EXPECT_EQ(server.requests_received(), 0);
}

TEST_F(CurlClient, RejectsABodyWhoseContentLengthExceedsTheLimit) {
  Request r = request("/big?n=200000");
  r.max_body_bytes = 100'000;
  const Response resp = fetch(r);
  EXPECT_EQ(resp.error, ErrorClass::too_large) << resp.error_message;
  EXPECT_TRUE(resp.body.empty());
}

TEST_F(CurlClient, RejectsAChunkedBodyWhileStreamingOnceItExceedsTheLimit) {
  Request r = request("/big-chunked?n=200000");
  r.max_body_bytes = 100'000;
  const Response resp = fetch(r);
  EXPECT_EQ(resp.error, ErrorClass::too_large) << resp.error_message;
  EXPECT_TRUE(resp.body.empty());
  // What arrived before the limit is still accounted for.
  EXPECT_GT(resp.received_bytes, 0u);
  EXPECT_LE(resp.received_bytes, 100'000u);
}

TEST_F(CurlClient, AcceptsABodyOfExactlyTheLimit) {
  Request r = request("/big-chunked?n=100000");
  r.max_body_bytes = 100'000;
  const Response resp = fetch(r);
  EXPECT_EQ(resp.error, ErrorClass::none) << resp.error_message;
  EXPECT_EQ(resp.body.size(), 100'000u);
  EXPECT_EQ(resp.received_bytes, 100'000u);
}

TEST_F(CurlClient, DecodesAGzipBody) {
  const Response r = fetch("/gzip");
  EXPECT_EQ(r.error, ErrorClass::none) << r.error_message;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "compressed hello\n");
}

TEST_F(CurlClient, AppliesTheLimitToTheDecodedBodyOfACompressionBomb) {
  Request r = request("/gzip-bomb?n=4194304");
  r.max_body_bytes = 64 * 1024;
  const Response resp = fetch(r);
  EXPECT_EQ(resp.error, ErrorClass::too_large) << resp.error_message;
}

TEST_F(CurlClient, TimesOutASlowDripAfterTheTotalTimeout) {
  Request r = request("/drip");
  r.total_timeout = 500ms;
  const Response resp = fetch(r);
  EXPECT_EQ(resp.error, ErrorClass::timeout) << resp.error_message;
  EXPECT_GE(resp.elapsed, 450ms);
  EXPECT_LT(resp.elapsed, 5s);
}

TEST_F(CurlClient, ClassifiesAConnectionResetAsProtocol) {
  const Response before = fetch("/reset");
  EXPECT_EQ(before.error, ErrorClass::protocol) << before.error_message;
  const Response mid = fetch("/reset-mid");
  EXPECT_EQ(mid.error, ErrorClass::protocol) << mid.error_message;
  EXPECT_TRUE(mid.body.empty());
}

TEST_F(CurlClient, ClassifiesConnectionRefusedAsConnect) {
  Request r;
  r.url = "http://127.0.0.1:" + std::to_string(testing::unused_port()) + "/";
  const Response resp = fetch(r);
  EXPECT_EQ(resp.error, ErrorClass::connect) << resp.error_message;
  EXPECT_FALSE(resp.error_message.empty());
}

TEST_F(CurlClient, ClassifiesAFailedTlsHandshakeAsTls) {
  Request r = request("/ok");
  r.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/ok";
  const Response resp = fetch(r);
  EXPECT_EQ(resp.error, ErrorClass::tls) << resp.error_message;
}

TEST_F(CurlClient, ReusesOneConnectionForSequentialRequests) {
  for (int i = 0; i < 5; ++i) {
    const Response r = fetch("/ok");
    ASSERT_EQ(r.status, 200) << r.error_message;
  }
  EXPECT_EQ(server.connections_accepted(), 1);
}

TEST_F(CurlClient, ReusesNoConnectionTheServerClosedWhileItWasIdle) {
  // The socket of an idle connection stays registered with the loop until curl closes it
  // (on_close_socket); each close here lets the next socket take the same fd number. Every
  // request must succeed, the live connection must be reused, and no transfer may wait for
  // curl's timer. A Socket whose registration went stale with the old fd gets no readiness
  // events, and its transfer crawls on curl's timeouts: with both guards against that taken
  // out (on_close_socket's deregistration and on_open_socket's check), this failed after
  // the second pair with 4 timer actions; before it counted them, it passed, 43 s late.
  for (int i = 0; i < 20; ++i) {
    const Response closing = fetch("/ok-then-close");
    ASSERT_EQ(closing.status, 200) << i << ": " << closing.error_message;
    EXPECT_EQ(closing.body, "bye\n");
    const Response next = fetch("/ok");
    ASSERT_EQ(next.status, 200) << i << ": " << next.error_message;
    EXPECT_EQ(next.body, "hello\n");
    // A little slack: a loaded machine may stall one transfer past a 1 s check.
    ASSERT_LE(client->timer_actions(), 3u) << "after request pair " << i;
  }
  // The first connection, then one more after each close: every /ok reused a live one.
  EXPECT_EQ(server.connections_accepted(), 21);
}

TEST_F(CurlClient, CompletesTwoHundredConcurrentRequestsExactlyOnce) {
  constexpr int kRequests = 200;
  std::vector<int> calls(kRequests, 0);
  std::vector<Response> responses(kRequests);
  int completed = 0;
  for (int i = 0; i < kRequests; ++i) {
    client->get(request("/echo?i=" + std::to_string(i)), [&, i](Response r) {
      ++calls[i];
      ++completed;
      responses[i] = std::move(r);
    });
  }
  EXPECT_EQ(completed, 0) << "a handler ran inline";
  EXPECT_EQ(client->in_flight(), static_cast<std::size_t>(kRequests));

  ASSERT_TRUE(run_until(
      io, [&] { return completed >= kRequests; }, 30s));
  io.restart();
  io.poll();  // anything else already queued would show up as a second call
  for (int i = 0; i < kRequests; ++i) {
    EXPECT_EQ(calls[i], 1) << i;
    EXPECT_EQ(responses[i].status, 200) << i << ": " << responses[i].error_message;
    EXPECT_EQ(responses[i].body, "/echo?i=" + std::to_string(i));
  }
  EXPECT_EQ(client->in_flight(), 0u);
  EXPECT_LE(server.peak_open_connections(), 4) << "CurlOptions::max_host_connections";
  EXPECT_LE(server.connections_accepted(), 4) << "connections are reused";
}

TEST_F(CurlClient, NeverRunsTheHandlerInlineEvenForImmediateFailures) {
  bool ran = false;
  Request r;
  r.url = "not a url at all";
  client->get(r, [&](Response resp) {
    ran = true;
    EXPECT_EQ(resp.error, ErrorClass::protocol);
  });
  EXPECT_FALSE(ran);
  ASSERT_TRUE(run_until(io, [&] { return ran; }));
}

TEST_F(CurlClient, ShutdownAbortsEveryTransferInFlightExactlyOnce) {
  constexpr int kRequests = 10;
  std::vector<int> calls(kRequests, 0);
  int completed = 0;
  for (int i = 0; i < kRequests; ++i) {
    client->get(request("/drip"), [&, i](Response r) {
      ++calls[i];
      ++completed;
      EXPECT_EQ(r.error, ErrorClass::aborted);
    });
  }
  // Four are mid-body (max_host_connections), the rest wait for a connection.
  ASSERT_TRUE(run_until(io, [&] { return server.requests_received() >= 4; }));
  client->shutdown();
  EXPECT_EQ(client->in_flight(), 0u);
  EXPECT_EQ(completed, 0) << "a handler ran inline";
  ASSERT_TRUE(run_until(io, [&] { return completed >= kRequests; }));
  io.restart();
  io.poll();
  for (int i = 0; i < kRequests; ++i) EXPECT_EQ(calls[i], 1) << i;

  std::optional<Response> late;
  client->get(request("/ok"), [&](Response r) { late = std::move(r); });
  ASSERT_TRUE(run_until(io, [&] { return late.has_value(); }));
  EXPECT_EQ(late->error, ErrorClass::aborted);
}

TEST_F(CurlClient, DestroyingTheClientMidTransferAbortsAndLeavesNothingDangling) {
  int aborted = 0;
  for (int i = 0; i < 6; ++i) {
    client->get(request("/drip"), [&](Response r) {
      EXPECT_EQ(r.error, ErrorClass::aborted);
      ++aborted;
    });
  }
  client->get(request("/ok"), [&](Response) { ++aborted; });
  ASSERT_TRUE(run_until(io, [&] { return server.requests_received() >= 4; }));
  client.reset();  // waits and the timer are still queued in `io`
  ASSERT_TRUE(run_until(io, [&] { return aborted == 7; }));
  io.restart();
  io.run_for(200ms);  // let stale socket and timer completions run against the dead client
  EXPECT_EQ(aborted, 7);
}

TEST_F(CurlClient, ServesManyClientsOnOneLoop) {
  auto second = make_curl_client(io, CurlOptions{.max_host_connections = 1});
  int done = 0;
  for (int i = 0; i < 20; ++i) {
    client->get(request("/ok"), [&](Response r) { done += r.status == 200; });
    second->get(request("/ok"), [&](Response r) { done += r.status == 200; });
  }
  ASSERT_TRUE(run_until(io, [&] { return done == 40; }));
}

TEST(CurlErrorClassification, MapsCurlCodesToErrorClasses) {
  EXPECT_EQ(classify(CURLE_OK, true, false), ErrorClass::none);
  EXPECT_EQ(classify(CURLE_COULDNT_RESOLVE_HOST, false, false), ErrorClass::dns);
  EXPECT_EQ(classify(CURLE_COULDNT_CONNECT, false, false), ErrorClass::connect);
  EXPECT_EQ(classify(CURLE_OPERATION_TIMEDOUT, false, false), ErrorClass::connect);
  EXPECT_EQ(classify(CURLE_OPERATION_TIMEDOUT, true, false), ErrorClass::timeout);
  EXPECT_EQ(classify(CURLE_PEER_FAILED_VERIFICATION, true, false), ErrorClass::tls);
  EXPECT_EQ(classify(CURLE_SSL_CONNECT_ERROR, true, false), ErrorClass::tls);
  EXPECT_EQ(classify(CURLE_FILESIZE_EXCEEDED, true, false), ErrorClass::too_large);
  EXPECT_EQ(classify(CURLE_WRITE_ERROR, true, true), ErrorClass::too_large);
  EXPECT_EQ(classify(CURLE_WRITE_ERROR, true, false), ErrorClass::protocol);
  EXPECT_EQ(classify(CURLE_TOO_MANY_REDIRECTS, true, false), ErrorClass::protocol);
  EXPECT_EQ(classify(CURLE_UNSUPPORTED_PROTOCOL, false, false), ErrorClass::protocol);
  EXPECT_EQ(classify(CURLE_RECV_ERROR, true, false), ErrorClass::protocol);
  EXPECT_EQ(classify(CURLE_GOT_NOTHING, true, false), ErrorClass::protocol);
}

TEST(CurlErrorClassification, NamesEveryErrorClass) {
  EXPECT_EQ(to_string(ErrorClass::none), "none");
  EXPECT_EQ(to_string(ErrorClass::dns), "dns");
  EXPECT_EQ(to_string(ErrorClass::connect), "connect");
  EXPECT_EQ(to_string(ErrorClass::timeout), "timeout");
  EXPECT_EQ(to_string(ErrorClass::tls), "tls");
  EXPECT_EQ(to_string(ErrorClass::too_large), "too_large");
  EXPECT_EQ(to_string(ErrorClass::protocol), "protocol");
  EXPECT_EQ(to_string(ErrorClass::aborted), "aborted");
}

}  // namespace
}  // namespace newsd::fetch
