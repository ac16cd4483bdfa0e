// A loopback HTTP/1.1 server for the fetch tests: binds 127.0.0.1:0 and serves canned
// responses, each named after the behaviour it provokes, on its own thread and io_context.
//
// Routes (query `n` where noted):
//   /ok                 200, body "hello\n", ETag "v1", Last-Modified, Content-Type text/plain
//   /conditional        304 when If-None-Match is "v1", else like /ok
//   /echo?...           200, body = the request target
//   /error              500
//   /busy               429 with Retry-After: 120
//   /redirect/N         N > 0: 302 to /redirect/N-1 (with its own ETag, Last-Modified,
//                       Content-Type); N == 0: 200 "landed", ETag "final", application/json
//   /loop               302 to itself
//   /to-file            302 to file:///etc/passwd
//   /big?n=N            200 with N bytes and a Content-Length
//   /big-chunked?n=N    200 with N bytes, chunked (no Content-Length)
//   /gzip               200, gzip-encoded "compressed hello\n"
//   /gzip-bomb?n=N      200, gzip-encoded N zero bytes (small on the wire)
//   /drip               200, Content-Length 1000, then one byte every 100 ms
//   /ok-then-close      200 "bye\n" without Connection: close, then the server closes
//   /reset              reads the request, then resets the connection
//   /reset-mid          headers and part of the body, then a reset
// A TLS ClientHello gets a plain-text 400 and a close, as from a real plain-HTTP server.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <string_view>
#include <thread>

namespace newsd::fetch::testing {

class TestHttpServer {
 public:
  TestHttpServer();
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  unsigned short port() const { return port_; }
  // "http://127.0.0.1:PORT" + target
  std::string url(std::string_view target) const;

  int connections_accepted() const { return accepted_.load(); }
  int peak_open_connections() const { return peak_open_.load(); }
  int requests_received() const { return requests_.load(); }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::atomic<int> accepted_{0};
  std::atomic<int> open_{0};
  std::atomic<int> peak_open_{0};
  std::atomic<int> requests_{0};
  std::thread thread_;

  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);
};

// A port on 127.0.0.1 that nothing listens on (bound, read back, closed).
unsigned short unused_port();

}  // namespace newsd::fetch::testing
