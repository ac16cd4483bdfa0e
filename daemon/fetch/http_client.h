// The fetch stage: HTTP GETs driven by libcurl's multi interface on the daemon's single
// boost::asio::io_context (CURLMOPT_SOCKETFUNCTION / CURLMOPT_TIMERFUNCTION), so thousands
// of sources need no thread each. Thread-safety: every member must be called on the
// io_context's thread; completion handlers run there too.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace newsd::fetch {

// Why a request failed before or instead of yielding an HTTP status.
enum class ErrorClass {
  none,       // an HTTP response arrived (any status)
  dns,        // could not resolve host
  connect,    // refused / unreachable / connect timeout
  timeout,    // total or low-speed timeout
  tls,        // certificate or handshake failure
  too_large,  // body exceeded max_body_bytes
  protocol,   // malformed response, reset mid-transfer, bad redirect, disallowed scheme
  aborted,    // the client was shut down
};

std::string_view to_string(ErrorClass c);

struct Request {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  // Unset, these are the configuration's defaults (`http:` in config.h).
  std::chrono::milliseconds connect_timeout = config::Http{}.connect_timeout;
  std::chrono::milliseconds total_timeout = config::Http{}.timeout;
  std::size_t max_body_bytes = config::Http{}.max_body;
  std::string user_agent = config::Http{}.user_agent;
  std::string proxy;  // e.g. http://proxy:3128; empty = curl's environment defaults
};

struct Response {
  ErrorClass error = ErrorClass::none;
  std::string error_message;  // curl's message when error != none
  long status = 0;            // HTTP status when error == none
  std::string body;
  // Body bytes received (after decompression), also from transfers that failed or hit
  // max_body_bytes and so carry no body: what the source cost, for the fetch-bytes metric.
  std::size_t received_bytes = 0;
  std::string content_type;
  std::string effective_url;  // after redirects
  std::optional<std::string> etag;
  std::optional<std::string> last_modified;
  std::optional<std::string> retry_after;
  std::optional<std::string> cache_control;
  std::optional<std::string> expires;
  // Every Link header field value (RFC 8288), joined by ", " as repeated fields combine.
  std::string link;
  std::chrono::steady_clock::duration elapsed{};
};

using Handler = std::function<void(Response)>;

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Starts a GET; `done` runs exactly once on the io_context thread, never inline.
  virtual void get(Request request, Handler done) = 0;
  virtual std::size_t in_flight() const = 0;
  // Aborts every transfer (their handlers get ErrorClass::aborted).
  virtual void shutdown() = 0;
  // How often a timer, not a socket, moved transfers on: timeouts and curl's once-a-second
  // checks of slow transfers. A transfer on a working connection needs none; a count that
  // keeps growing means sockets are not being watched (the tests check it).
  virtual std::size_t timer_actions() const { return 0; }
};

}  // namespace newsd::fetch
