// The operator endpoints, served on the event loop itself so that /healthz answering
// proves the loop is alive: /metrics, /healthz, /readyz, and the routes another stage adds
// (the status API and page, the admin actions: daemon/status).
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "metrics/metrics.h"

namespace newsd::metrics {

struct Readiness {
  bool ready = false;
  std::string detail;  // one line per check, e.g. "state: ok\nkafka: unreachable"
};

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as received
  std::string authorization;
};

struct Reply {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string allow;             // the Allow header of a 405
  std::string www_authenticate;  // of a 401
};

// Answers the requests it knows; nullopt: not one of its paths (the server says 404).
using Routes = std::function<std::optional<Reply>(const Request&)>;

struct ServerOptions {
  std::string purpose = "/metrics";  // named in the error when the address cannot be bound
  Routes routes;
  // Only a writable server hands other methods than GET and HEAD to its routes; the others
  // answer them 405, so nothing that changes state is reachable there.
  bool writable = false;
};

class HttpServer {
 public:
  // Binds `listen` ("HOST:PORT", port 0 picks a free one). Throws std::runtime_error naming
  // the address when it cannot bind.
  HttpServer(boost::asio::io_context& io, const std::string& listen, const Metrics& metrics,
             std::function<Readiness()> readiness, ServerOptions options = {});
  ~HttpServer();
  unsigned short port() const;
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace newsd::metrics
