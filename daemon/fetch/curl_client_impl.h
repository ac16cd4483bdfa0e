// The libcurl client behind make_curl_client(): libcurl's multi interface driven by
// boost::asio (STYLE.md, "libcurl multi on asio"). Private to the fetch stage; its members
// are defined in curl_client.cpp (lifetime, get, shutdown), curl_reactor.cpp (sockets and the
// timer) and curl_transfer.cpp (one transfer's options, callbacks and result).
//
// Ownership and lifetime:
//  - CurlClient owns one CURLM and every in-flight transfer (easy handle + Transfer state).
//  - Sockets belong to curl. For each socket curl asks us to watch we keep a Socket whose
//    stream_descriptor is non-owning: it is always release()d, never closed. The Socket is
//    owned by `sockets_` only; pending waits hold weak_ptrs, so a wait that completes after
//    curl removed the socket (inside curl_multi_socket_action, or when the fd number was
//    reused since) finds it expired and does nothing.
//  - Connection sockets are opened and closed through our callbacks (on_open_socket,
//    on_close_socket), so we know when an fd ends. When a transfer ends and its connection
//    goes back to curl's pool, curl stops watching the socket (CURL_POLL_REMOVE); we keep its
//    Socket registered with the reactor, parked, until curl closes the fd. A request that
//    reuses the connection then costs no epoll_ctl, where releasing and registering again
//    would cost three per request (delete, add, and a modify for the first write wait).
//  - Timer and socket completions also outlive the client (they sit in the io_context after
//    it is destroyed); the timer's handler checks a weak `alive_` token, socket handlers the
//    Socket's weak_ptr, before touching `this`.
//  - Easy handles are reused: a finished transfer's handle is reset and kept (up to
//    kMaxIdleHandles) for the next get(), which saves its allocation and set-up.
//  - A 0 ms timeout from curl (every curl_multi_add_handle asks for one) is served by a
//    posted handler, not the steady_timer: re-arming the timer would reprogram the
//    reactor's timerfd (a syscall) on every request.
//  - curl's callbacks are noexcept shims that never call back into libcurl. Finished
//    transfers are collected after every curl_multi_socket_action and their handlers are
//    posted, so a handler never runs inside libcurl or inside get().
// Thread-safety: none; everything runs on the io_context's thread.
#pragma once

#include <curl/curl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/log.h"
#include "fetch/curl_client.h"

namespace newsd::fetch::detail {

namespace asio = boost::asio;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

inline void post_result(asio::io_context& io, Handler done, Response response) {
  asio::post(io, [done = std::move(done), response = std::move(response)]() mutable {
    done(std::move(response));
  });
}

inline Response failure(ErrorClass error, std::string message) {
  Response r;
  r.error = error;
  r.error_message = std::move(message);
  return r;
}

// One transfer: the easy handle and everything curl's callbacks write into.
struct Transfer {
  Transfer() = default;
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;
  // The easy handle must already be out of the multi.
  ~Transfer() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
  }

  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string url;
  Handler done;
  Response response;
  std::size_t max_body = 0;
  bool body_limit_hit = false;
  Clock::time_point started;
  char error[CURL_ERROR_SIZE] = {};
};

// A socket curl asked us to watch. Non-owning: curl opens and closes the fd.
struct Socket {
  Socket(asio::io_context& io, curl_socket_t s) : fd(s), descriptor(io, s) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    // Never let the descriptor close curl's fd; release() also cancels pending waits.
    if (descriptor.is_open()) descriptor.release();
  }

  curl_socket_t fd;
  asio::posix::stream_descriptor descriptor;
  int what = 0;  // CURL_POLL_IN / _OUT / _INOUT as last asked by curl
  bool read_pending = false;
  bool write_pending = false;
};

class CurlClient final : public HttpClient {
 public:
  CurlClient(asio::io_context& io, CurlOptions options);
  ~CurlClient() override;
  CurlClient(const CurlClient&) = delete;
  CurlClient& operator=(const CurlClient&) = delete;

  void get(Request request, Handler done) override;
  std::size_t in_flight() const override { return transfers_.size(); }
  void shutdown() override;
  std::size_t timer_actions() const override { return timer_actions_; }

 private:
  // libcurl callbacks: shims that never throw and never call libcurl.
  static int on_socket(CURL* easy, curl_socket_t s, int what, void* userp, void*) noexcept;
  static int on_timer(CURLM*, long timeout_ms, void* userp) noexcept;
  static std::size_t on_write(char* data, std::size_t size, std::size_t n, void* userp) noexcept;
  static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* userp) noexcept;
  static curl_socket_t on_open_socket(void* userp, curlsocktype purpose,
                                      curl_sockaddr* address) noexcept;
  static int on_close_socket(void* userp, curl_socket_t s) noexcept;

  CURLcode configure(Transfer& t, const Request& request);
  void watch(curl_socket_t s, int what);
  void unwatch(curl_socket_t s);
  using SocketMap = std::unordered_map<curl_socket_t, std::shared_ptr<Socket>>;
  // Stops watching a socket for good: deregisters it and drops its Socket.
  void forget(SocketMap::iterator it);
  void arm(const std::shared_ptr<Socket>& socket);
  void on_ready(std::shared_ptr<Socket> socket, int direction, const error_code& ec);
  void socket_action(curl_socket_t s, int mask);
  void collect_finished();
  void finish(CURL* easy, CURLcode code);
  void abort_all(const char* why);
  // Gives a handle that is out of the multi back for reuse (or cleans it up).
  void recycle(CURL* easy);

  asio::io_context& io_;
  std::shared_ptr<spdlog::logger> log_;
  CURLM* multi_ = nullptr;
  asio::steady_timer timer_;
  SocketMap sockets_;
  // Connection sockets opened by on_open_socket and not yet closed: their Sockets are parked,
  // not dropped, when curl stops watching them.
  std::unordered_set<curl_socket_t> opened_;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> transfers_;
  // Transfers whose socket could not be watched; failed after the current socket_action.
  std::vector<CURL*> unwatchable_;
  std::vector<CURL*> idle_;  // reset easy handles, ready for reuse
  std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
  bool timeout_posted_ = false;    // a 0 ms timeout's socket_action is queued on the loop
  std::size_t timer_actions_ = 0;  // socket_action calls made by timer_ firing
  bool shut_down_ = false;
};

}  // namespace newsd::fetch::detail
