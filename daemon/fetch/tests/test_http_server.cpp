#include "test_http_server.h"

#include <zlib.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace newsd::fetch::testing {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string target;
  std::string path;
  std::string query;
  std::map<std::string, std::string> headers;  // lower-case names
};

HttpRequest parse_request(std::string_view head) {
  HttpRequest req;
  const auto line_end = head.find("\r\n");
  const std::string_view request_line = head.substr(0, line_end);
  const auto sp1 = request_line.find(' ');
  const auto sp2 = request_line.find(' ', sp1 + 1);
  req.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
  const auto q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) req.query = req.target.substr(q + 1);
  std::string_view rest = line_end == std::string_view::npos ? "" : head.substr(line_end + 2);
  while (!rest.empty()) {
    const auto end = rest.find("\r\n");
    const std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? "" : rest.substr(end + 2);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    req.headers[name] = std::string(value);
  }
  return req;
}

std::size_t query_n(const HttpRequest& req, std::size_t fallback) {
  const auto pos = req.query.find("n=");
  if (pos == std::string::npos) return fallback;
  return std::stoul(req.query.substr(pos + 2));
}

std::string response(int status, std::string_view reason, const Headers& headers,
                     std::string_view body) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out += body;
  return out;
}

std::string gzip(std::string_view in) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2");
  }
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
  return out;
}

// Outside the coroutines: GCC 12 rejects a C array in a coroutine frame.
std::string chunk_size_line(std::size_t n) {
  char hex[32];
  std::snprintf(hex, sizeof hex, "%zx\r\n", n);
  return hex;
}

const Headers kOkHeaders = {{"ETag", "\"v1\""},
                            {"Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT"},
                            {"Content-Type", "text/plain; charset=utf-8"}};

asio::awaitable<void> write(tcp::socket& socket, std::string_view data) {
  co_await asio::async_write(socket, asio::buffer(data), asio::use_awaitable);
}

void reset(tcp::socket& socket) {
  boost::system::error_code ignored;
  socket.set_option(tcp::socket::linger(true, 0), ignored);
  socket.close(ignored);
}

// The complete response of a route that is answered in one piece, if `req` names one.
// (A plain function: GCC 12 miscompiles braced temporaries inside co_await expressions.)
std::optional<std::string> canned(const HttpRequest& req) {
  const std::string& path = req.path;
  if (path == "/ok") return response(200, "OK", kOkHeaders, "hello\n");
  if (path == "/conditional") {
    const auto inm = req.headers.find("if-none-match");
    if (inm != req.headers.end() && inm->second == "\"v1\"") {
      return "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n";
    }
    return response(200, "OK", kOkHeaders, "hello\n");
  }
  if (path == "/echo") return response(200, "OK", {}, req.target);
  if (path == "/error") return response(500, "Internal Server Error", {}, "boom");
  if (path == "/busy") return response(429, "Too Many Requests", {{"Retry-After", "120"}}, "later");
  if (path.starts_with("/redirect/")) {
    const int n = std::stoi(path.substr(std::string_view("/redirect/").size()));
    if (n == 0) {
      return response(200, "OK", {{"ETag", "\"final\""}, {"Content-Type", "application/json"}},
                      "landed");
    }
    return response(302, "Found",
                    {{"Location", "/redirect/" + std::to_string(n - 1)},
                     {"ETag", "\"hop\""},
                     {"Last-Modified", "Tue, 20 Oct 2015 07:28:00 GMT"},
                     {"Retry-After", "5"},
                     {"Content-Type", "text/html"}},
                    "moved");
  }
  if (path == "/linked") {  // two Link fields, after a redirect that has its own
    return response(302, "Found", {{"Location", "/linked-page"}, {"Link", "</hop>; rel=next"}}, "");
  }
  if (path == "/linked-page") {
    return response(200, "OK", {{"Link", "</p1>; rel=prev"}, {"link", "</p3>; rel=\"next\""}},
                    "page 2");
  }
  if (path == "/loop") return response(302, "Found", {{"Location", "/loop"}}, "");
  if (path == "/to-file") return response(302, "Found", {{"Location", "file:///etc/passwd"}}, "");
  if (path == "/big") return response(200, "OK", {}, std::string(query_n(req, 1 << 20), 'x'));
  if (path == "/gzip") {
    return response(200, "OK", {{"Content-Encoding", "gzip"}}, gzip("compressed hello\n"));
  }
  if (path == "/gzip-bomb") {
    return response(200, "OK", {{"Content-Encoding", "gzip"}},
                    gzip(std::string(query_n(req, 4 << 20), '\0')));
  }
  return std::nullopt;
}

// Serves one request; returns whether the connection stays open for the next one.
asio::awaitable<bool> respond(tcp::socket& socket, const HttpRequest& req) {
  const std::string& path = req.path;
  if (const std::optional<std::string> whole = canned(req)) {
    co_await write(socket, *whole);
  } else if (path == "/big-chunked") {
    std::size_t left = query_n(req, 1 << 20);
    co_await write(socket, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    const std::string chunk(4096, 'x');
    while (left > 0) {
      const std::size_t n = std::min(left, chunk.size());
      const std::string size_line = chunk_size_line(n);
      co_await write(socket, size_line);
      co_await write(socket, std::string_view(chunk).substr(0, n));
      co_await write(socket, "\r\n");
      left -= n;
    }
    co_await write(socket, "0\r\n\r\n");
  } else if (path == "/drip") {
    co_await write(socket, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (int i = 0; i < 1000; ++i) {
      timer.expires_after(std::chrono::milliseconds(100));
      co_await timer.async_wait(asio::use_awaitable);
      co_await write(socket, "x");
    }
  } else if (path == "/ok-then-close") {
    // Keep-alive by its headers, closed right after: the client finds out on its next use.
    co_await write(socket, response(200, "OK", {}, "bye\n"));
    co_return false;
  } else if (path == "/reset") {
    reset(socket);
    co_return false;
  } else if (path == "/reset-mid") {
    co_await write(socket, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nonly ten b");
    reset(socket);
    co_return false;
  } else {
    const std::string not_found = response(404, "Not Found", {}, "no such route");
    co_await write(socket, not_found);
  }
  co_return true;
}

}  // namespace

TestHttpServer::TestHttpServer()
    : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
  port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(io_, accept_loop(), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

TestHttpServer::~TestHttpServer() {
  io_.stop();
  thread_.join();
}

std::string TestHttpServer::url(std::string_view target) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(target);
}

asio::awaitable<void> TestHttpServer::accept_loop() {
  try {
    for (;;) {
      tcp::socket socket = co_await acceptor_.async_accept(asio::use_awaitable);
      ++accepted_;
      asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
    }
  } catch (const std::exception&) {
    // acceptor closed
  }
}

asio::awaitable<void> TestHttpServer::serve(tcp::socket socket) {
  const int open = ++open_;
  int peak = peak_open_.load();
  while (open > peak && !peak_open_.compare_exchange_weak(peak, open)) {
  }
  try {
    std::string buffer;
    for (;;) {
      std::size_t end;
      while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
        if (!buffer.empty() && buffer[0] == '\x16') {  // a TLS handshake record
          co_await write(socket, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
          throw std::runtime_error("TLS on a plain port");
        }
        std::string chunk(4096, '\0');
        const std::size_t n =
            co_await socket.async_read_some(asio::buffer(chunk), asio::use_awaitable);
        buffer.append(chunk, 0, n);
      }
      const HttpRequest request = parse_request(std::string_view(buffer).substr(0, end));
      buffer.erase(0, end + 4);
      ++requests_;
      if (!co_await respond(socket, request)) break;
    }
  } catch (const std::exception&) {
    // the peer went away, or the route closes the connection
  }
  --open_;
}

unsigned short unused_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const unsigned short port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

}  // namespace newsd::fetch::testing
