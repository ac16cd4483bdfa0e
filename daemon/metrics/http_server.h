// The operator endpoints, served on the event loop itself so that /healthz answering
// proves the loop is alive: /metrics, /healthz, /readyz.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>

#include "metrics/metrics.h"

namespace newsd::metrics {

struct Readiness {
  bool ready = false;
  std::string detail;  // one line per check, e.g. "state: ok\nkafka: unreachable"
};

class HttpServer {
 public:
  // Binds `listen` ("HOST:PORT", port 0 picks a free one). Throws std::runtime_error naming
  // the address when it cannot bind.
  HttpServer(boost::asio::io_context& io, const std::string& listen, const Metrics& metrics,
             std::function<Readiness()> readiness);
  ~HttpServer();
  unsigned short port() const;
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace newsd::metrics
