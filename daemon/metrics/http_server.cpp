#include "metrics/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <stdexcept>

#include "core/log.h"

namespace newsd::metrics {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(asio::io_context& io, const Metrics& m, std::function<Readiness()> r, ServerOptions o)
      : io(io),
        acceptor(io),
        metrics(m),
        readiness(std::move(r)),
        options(std::move(o)),
        log(log::get("http")) {}

  void accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
      if (!ec) std::make_shared<Session>(self, std::move(s))->read();
      self->accept();
    });
  }

  struct Session : std::enable_shared_from_this<Session> {
    Session(std::shared_ptr<Impl> server, tcp::socket s)
        : server(std::move(server)), stream(std::move(s)) {}

    void read() {
      stream.expires_after(std::chrono::seconds(10));
      http::async_read(stream, buffer, request,
                       [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         if (!ec) self->respond();
                       });
    }

    void respond() {
      auto res = std::make_shared<http::response<http::string_body>>();
      res->version(request.version());
      res->keep_alive(false);
      res->set(http::field::server, "newsd");
      const std::string target(request.target());
      const std::string path = target.substr(0, target.find('?'));
      const bool read_only =
          request.method() == http::verb::get || request.method() == http::verb::head;
      if (!read_only && server->options.writable && answer(*res)) {
        // one of the routes took it
      } else if (!read_only) {
        res->result(http::status::method_not_allowed);
        res->body() = "only GET\n";
      } else if (path == "/metrics" && request.method() == http::verb::get) {
        stream_metrics();
        return;
      } else if (path == "/metrics") {
        res->result(http::status::ok);
        res->set(http::field::content_type, kMetricsType);
      } else if (path == "/healthz") {
        res->result(http::status::ok);
        res->body() = "ok\n";
      } else if (path == "/readyz") {
        const Readiness r = server->readiness();
        res->result(r.ready ? http::status::ok : http::status::service_unavailable);
        res->body() = r.detail + "\n";
      } else if (!answer(*res)) {
        res->result(http::status::not_found);
        res->body() = "not found: try /metrics, /healthz or /readyz\n";
      }
      if (res->find(http::field::content_type) == res->end())
        res->set(http::field::content_type, "text/plain; charset=utf-8");
      res->prepare_payload();
      http::async_write(stream, *res,
                        [self = shared_from_this(), res](beast::error_code, std::size_t) {
                          beast::error_code ignored;
                          self->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
                        });
    }

    // The added routes' answer, if they have one.
    bool answer(http::response<http::string_body>& res) {
      if (!server->options.routes) return false;
      Request req;
      req.method = std::string(request.method_string());
      req.target = std::string(request.target());
      if (const auto it = request.find(http::field::authorization); it != request.end())
        req.authorization = std::string(it->value());
      std::optional<Reply> reply = server->options.routes(req);
      if (!reply) return false;
      res.result(http::int_to_status(reply->status));
      res.set(http::field::content_type, reply->content_type);
      if (!reply->allow.empty()) res.set(http::field::allow, reply->allow);
      if (!reply->www_authenticate.empty())
        res.set(http::field::www_authenticate, reply->www_authenticate);
      res.body() = std::move(reply->body);
      return true;
    }

    // /metrics goes out in pieces as the socket takes them (chunked on HTTP/1.1, until the
    // connection closes on 1.0): a 10,000-source exposition is never held whole, and the
    // loop serves other work between pieces.
    void stream_metrics() {
      auto head =
          std::make_shared<http::response<http::empty_body>>(http::status::ok, request.version());
      head->set(http::field::server, "newsd");
      head->set(http::field::content_type, kMetricsType);
      head->keep_alive(false);
      chunked = request.version() >= 11;
      if (chunked) head->chunked(true);
      auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*head);
      exposition.emplace(server->metrics);
      stream.expires_after(kWriteTimeout);
      http::async_write_header(
          stream, *sr, [self = shared_from_this(), head, sr](beast::error_code ec, std::size_t) {
            if (ec) return self->close();
            self->write_piece();
          });
    }

    void write_piece() {
      piece.clear();
      stream.expires_after(kWriteTimeout);  // a reader that stalls is dropped
      auto next = [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) return self->close();
        self->write_piece();
      };
      if (!exposition->next(piece, kPiece)) {
        if (chunked)
          asio::async_write(
              stream, http::make_chunk_last(),
              [self = shared_from_this()](beast::error_code, std::size_t) { self->close(); });
        else
          close();
        return;
      }
      if (chunked)
        asio::async_write(stream, http::make_chunk(asio::buffer(piece)), std::move(next));
      else
        asio::async_write(stream, asio::buffer(piece), std::move(next));
    }

    void close() {
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      exposition.reset();
    }

    static constexpr const char* kMetricsType = "text/plain; version=0.0.4; charset=utf-8";
    static constexpr std::size_t kPiece = 256 * 1024;
    static constexpr std::chrono::seconds kWriteTimeout{30};

    std::optional<Exposition> exposition;
    std::string piece;
    bool chunked = false;
    std::shared_ptr<Impl> server;
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
  };

  asio::io_context& io;
  tcp::acceptor acceptor;
  const Metrics& metrics;
  std::function<Readiness()> readiness;
  ServerOptions options;
  std::shared_ptr<spdlog::logger> log;
};

HttpServer::HttpServer(asio::io_context& io, const std::string& listen, const Metrics& metrics,
                       std::function<Readiness()> readiness, ServerOptions options)
    : impl_(std::make_shared<Impl>(io, metrics, std::move(readiness), std::move(options))) {
  const auto colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  try {
    const auto port = static_cast<unsigned short>(std::stoul(listen.substr(colon + 1)));
    const tcp::endpoint ep(asio::ip::make_address(host.empty() ? "0.0.0.0" : host), port);
    impl_->acceptor.open(ep.protocol());
    impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    impl_->acceptor.bind(ep);
    impl_->acceptor.listen();
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot listen on " + listen + " for " + impl_->options.purpose +
                             ": " + e.what());
  }
  impl_->accept();
}

HttpServer::~HttpServer() {
  stop();
}

unsigned short HttpServer::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void HttpServer::stop() {
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
}

}  // namespace newsd::metrics
