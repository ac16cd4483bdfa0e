// libcurl's multi interface driven by boost::asio (STYLE.md, "libcurl multi on asio").
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
//    reuses the connection then costs no epoll_ctl: releasing and registering again took
//    three per request (delete, add, and a modify for the first write wait).
//  - Timer and socket completions also outlive the client (they sit in the io_context after
//    it is destroyed); the timer's handler checks a weak `alive_` token, socket handlers the
//    Socket's weak_ptr, before touching `this`.
//  - Easy handles are reused: a finished transfer's handle is reset and kept (up to
//    kMaxIdleHandles) for the next get(), which saves its allocation and set-up.
//  - A 0 ms timeout from curl (every curl_multi_add_handle asks for one) is served by a
//    posted handler, not the steady_timer: re-arming the timer each time reprogrammed the
//    reactor's timerfd (a syscall) on every request.
//  - curl's callbacks are noexcept shims that never call back into libcurl. Finished
//    transfers are collected after every curl_multi_socket_action and their handlers are
//    posted, so a handler never runs inside libcurl or inside get().
// Thread-safety: none; everything runs on the io_context's thread.
#include "fetch/curl_client.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <limits>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/ascii.h"
#include "core/log.h"

namespace newsd::fetch {

ErrorClass classify(CURLcode code, bool connected, bool body_limit_hit) {
  // Exhaustive, no default: a CURLcode added by a newer libcurl is a -Wswitch warning.
  switch (code) {
    case CURLE_OK:
      return ErrorClass::none;

    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return ErrorClass::dns;

    case CURLE_COULDNT_CONNECT:
    case CURLE_INTERFACE_FAILED:
    case CURLE_NO_CONNECTION_AVAILABLE:
    case CURLE_QUIC_CONNECT_ERROR:
    case CURLE_PROXY:
      return ErrorClass::connect;

    case CURLE_OPERATION_TIMEDOUT:
      return connected ? ErrorClass::timeout : ErrorClass::connect;

    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED:
      return ErrorClass::tls;

    case CURLE_FILESIZE_EXCEEDED:
      return ErrorClass::too_large;
    case CURLE_WRITE_ERROR:
      return body_limit_hit ? ErrorClass::too_large : ErrorClass::protocol;

    case CURLE_ABORTED_BY_CALLBACK:
      return ErrorClass::aborted;

    // What the server sent (or failed to send) was not a usable HTTP response, the URL or a
    // redirect was unacceptable, or libcurl itself failed.
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP_RETURNED_ERROR:
    case CURLE_RANGE_ERROR:
    case CURLE_BAD_DOWNLOAD_RESUME:
    case CURLE_SEND_FAIL_REWIND:
    case CURLE_CHUNK_FAILED:
    case CURLE_AUTH_ERROR:
    case CURLE_LOGIN_DENIED:
    case CURLE_REMOTE_ACCESS_DENIED:
    case CURLE_FAILED_INIT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_SETOPT_OPTION_SYNTAX:
    case CURLE_RECURSIVE_API_CALL:
    case CURLE_AGAIN:
    case CURLE_UNRECOVERABLE_POLL:
    case CURLE_READ_ERROR:
    case CURLE_UPLOAD_FAILED:
    case CURLE_HTTP_POST_ERROR:
    case CURLE_FUNCTION_NOT_FOUND:
    // Protocols we never enable (http and https only).
    case CURLE_FTP_ACCEPT_FAILED:
    case CURLE_FTP_WEIRD_PASS_REPLY:
    case CURLE_FTP_ACCEPT_TIMEOUT:
    case CURLE_FTP_WEIRD_PASV_REPLY:
    case CURLE_FTP_WEIRD_227_FORMAT:
    case CURLE_FTP_CANT_GET_HOST:
    case CURLE_FTP_COULDNT_SET_TYPE:
    case CURLE_FTP_COULDNT_RETR_FILE:
    case CURLE_FTP_PORT_FAILED:
    case CURLE_FTP_COULDNT_USE_REST:
    case CURLE_FTP_PRET_FAILED:
    case CURLE_FTP_BAD_FILE_LIST:
    case CURLE_QUOTE_ERROR:
    case CURLE_FILE_COULDNT_READ_FILE:
    case CURLE_LDAP_CANNOT_BIND:
    case CURLE_LDAP_SEARCH_FAILED:
    case CURLE_TFTP_NOTFOUND:
    case CURLE_TFTP_PERM:
    case CURLE_REMOTE_DISK_FULL:
    case CURLE_TFTP_ILLEGAL:
    case CURLE_TFTP_UNKNOWNID:
    case CURLE_REMOTE_FILE_EXISTS:
    case CURLE_TFTP_NOSUCHUSER:
    case CURLE_REMOTE_FILE_NOT_FOUND:
    case CURLE_SSH:
    case CURLE_RTSP_CSEQ_ERROR:
    case CURLE_RTSP_SESSION_ERROR:
    // Unused numbers.
    case CURLE_OBSOLETE20:
    case CURLE_OBSOLETE24:
    case CURLE_OBSOLETE29:
    case CURLE_OBSOLETE32:
    case CURLE_OBSOLETE40:
    case CURLE_OBSOLETE44:
    case CURLE_OBSOLETE46:
    case CURLE_OBSOLETE50:
    case CURLE_OBSOLETE51:
    case CURLE_OBSOLETE57:
    case CURLE_OBSOLETE62:
    case CURLE_OBSOLETE75:
    case CURLE_OBSOLETE76:
    case CURL_LAST:
      return ErrorClass::protocol;
  }
  return ErrorClass::protocol;  // a value outside the enum
}

namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr long kMaxRedirects = 5;
constexpr long kLowSpeedLimitBytesPerSecond = 1;
constexpr long kLowSpeedTimeSeconds = 30;
constexpr const char* kAllowedProtocols = "http,https";
// Idle easy handles kept for reuse; enough for the transfers that finish in one loop turn.
constexpr std::size_t kMaxIdleHandles = 64;

void post_result(asio::io_context& io, Handler done, Response response) {
  asio::post(io, [done = std::move(done), response = std::move(response)]() mutable {
    done(std::move(response));
  });
}

Response failure(ErrorClass error, std::string message) {
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

CurlClient::CurlClient(asio::io_context& io, CurlOptions options)
    : io_(io), log_(log::get("fetch")), timer_(io) {
  // Thread-safe in this libcurl ("threadsafe" feature); reference counted.
  static const CURLcode global = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (global != CURLE_OK) {
    throw std::runtime_error(std::string("fetch: curl_global_init failed: ") +
                             curl_easy_strerror(global));
  }
  multi_ = curl_multi_init();
  if (multi_ == nullptr) throw std::runtime_error("fetch: curl_multi_init failed");

  CURLMcode rc = CURLM_OK;
  const auto set = [&](CURLMoption option, auto value) {
    if (rc == CURLM_OK) rc = curl_multi_setopt(multi_, option, value);
  };
  set(CURLMOPT_SOCKETFUNCTION, &CurlClient::on_socket);
  set(CURLMOPT_SOCKETDATA, this);
  set(CURLMOPT_TIMERFUNCTION, &CurlClient::on_timer);
  set(CURLMOPT_TIMERDATA, this);
  set(CURLMOPT_MAX_HOST_CONNECTIONS, options.max_host_connections);
  set(CURLMOPT_MAX_TOTAL_CONNECTIONS, options.max_total_connections);
  if (options.max_cached_connections > 0) {
    set(CURLMOPT_MAXCONNECTS, options.max_cached_connections);
  }
  if (rc != CURLM_OK) {
    curl_multi_cleanup(multi_);
    throw std::runtime_error(std::string("fetch: configuring curl multi failed: ") +
                             curl_multi_strerror(rc));
  }
}

CurlClient::~CurlClient() {
  abort_all("client destroyed");
  // While we are still whole: curl may call on_socket / on_timer as it closes connections.
  curl_multi_cleanup(multi_);
  multi_ = nullptr;
  sockets_.clear();  // ~Socket releases any descriptor curl did not ask us to remove
  timer_.cancel();
  alive_.reset();
  for (CURL* easy : idle_) curl_easy_cleanup(easy);
}

void CurlClient::get(Request request, Handler done) {
  if (shut_down_) {
    post_result(io_, std::move(done), failure(ErrorClass::aborted, "client is shut down"));
    return;
  }
  auto t = std::make_unique<Transfer>();
  t->url = request.url;
  t->done = std::move(done);
  t->max_body = request.max_body_bytes;
  t->started = Clock::now();
  t->response.effective_url = request.url;

  if (!idle_.empty()) {
    t->easy = idle_.back();
    idle_.pop_back();
  } else {
    t->easy = curl_easy_init();
  }
  if (t->easy == nullptr) {
    post_result(io_, std::move(t->done), failure(ErrorClass::protocol, "curl_easy_init failed"));
    return;
  }
  if (const CURLcode rc = configure(*t, request); rc != CURLE_OK) {
    post_result(io_, std::move(t->done),
                failure(classify(rc, false, false),
                        std::string("setting up the transfer: ") + curl_easy_strerror(rc)));
    return;
  }
  // Calls on_timer (a 0 ms timeout); the transfer starts when that timer fires.
  if (const CURLMcode rc = curl_multi_add_handle(multi_, t->easy); rc != CURLM_OK) {
    post_result(io_, std::move(t->done),
                failure(ErrorClass::protocol,
                        std::string("curl_multi_add_handle: ") + curl_multi_strerror(rc)));
    return;
  }
  CURL* easy = t->easy;
  transfers_.emplace(easy, std::move(t));
}

void CurlClient::shutdown() {
  shut_down_ = true;
  abort_all("client shut down");
}

CURLcode CurlClient::configure(Transfer& t, const Request& request) {
  CURL* e = t.easy;
  CURLcode rc = CURLE_OK;
  const auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(e, option, value);
  };
  const long total_ms = static_cast<long>(request.total_timeout.count());
  const long connect_ms = static_cast<long>(request.connect_timeout.count());
  // A stalled body fails after 30 s without progress, or sooner if the total timeout is.
  long low_speed_s = kLowSpeedTimeSeconds;
  if (total_ms > 0) low_speed_s = std::clamp((total_ms + 999) / 1000, 1L, kLowSpeedTimeSeconds);
  const auto max_file = static_cast<curl_off_t>(
      std::min<std::size_t>(request.max_body_bytes, std::numeric_limits<curl_off_t>::max()));

  for (const auto& header : request.headers) {
    curl_slist* next = curl_slist_append(t.headers, header.c_str());
    if (next == nullptr) return CURLE_OUT_OF_MEMORY;
    t.headers = next;
  }

  set(CURLOPT_ERRORBUFFER, t.error);
  set(CURLOPT_URL, request.url.c_str());
  set(CURLOPT_PROTOCOLS_STR, kAllowedProtocols);
  set(CURLOPT_REDIR_PROTOCOLS_STR, kAllowedProtocols);
  set(CURLOPT_FOLLOWLOCATION, 1L);
  set(CURLOPT_MAXREDIRS, kMaxRedirects);
  set(CURLOPT_ACCEPT_ENCODING, "");  // every encoding this libcurl decodes
  set(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  set(CURLOPT_TIMEOUT_MS, total_ms);
  set(CURLOPT_LOW_SPEED_LIMIT, kLowSpeedLimitBytesPerSecond);
  set(CURLOPT_LOW_SPEED_TIME, low_speed_s);
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  set(CURLOPT_MAXFILESIZE_LARGE, max_file);  // early refusal when Content-Length says so
  set(CURLOPT_WRITEFUNCTION, &CurlClient::on_write);
  set(CURLOPT_WRITEDATA, &t);
  set(CURLOPT_HEADERFUNCTION, &CurlClient::on_header);
  set(CURLOPT_HEADERDATA, &t);
  set(CURLOPT_OPENSOCKETFUNCTION, &CurlClient::on_open_socket);
  set(CURLOPT_OPENSOCKETDATA, this);
  set(CURLOPT_CLOSESOCKETFUNCTION, &CurlClient::on_close_socket);
  set(CURLOPT_CLOSESOCKETDATA, this);
  set(CURLOPT_USERAGENT, request.user_agent.c_str());
  // An empty proxy leaves curl's default (environment variables such as https_proxy).
  if (!request.proxy.empty()) set(CURLOPT_PROXY, request.proxy.c_str());
  set(CURLOPT_HTTP_VERSION, long(CURL_HTTP_VERSION_2TLS));
  if (t.headers != nullptr) set(CURLOPT_HTTPHEADER, t.headers);
  return rc;
}

int CurlClient::on_socket(CURL* easy, curl_socket_t s, int what, void* userp, void*) noexcept {
  auto* self = static_cast<CurlClient*>(userp);
  try {
    if (what == CURL_POLL_REMOVE) {
      self->unwatch(s);
    } else {
      self->watch(s, what);
    }
  } catch (const std::exception& e) {
    // Cannot watch this socket (e.g. epoll refused it): fail its transfer once curl returns.
    self->log_->error("cannot watch socket {}: {}", s, e.what());
    try {
      self->unwatchable_.push_back(easy);
    } catch (...) {
      // Out of memory as well: the transfer still ends at its timeout.
    }
  }
  return 0;
}

int CurlClient::on_timer(CURLM*, long timeout_ms, void* userp) noexcept {
  auto* self = static_cast<CurlClient*>(userp);
  try {
    if (timeout_ms < 0) {
      self->timer_.cancel();
      return 0;
    }
    if (timeout_ms == 0) {
      // "Act now": run on the loop without reprogramming the timer. A timer still armed for
      // an older timeout may fire later; a spurious CURL_SOCKET_TIMEOUT action is harmless.
      if (!self->timeout_posted_) {
        self->timeout_posted_ = true;
        asio::post(self->io_, [self, alive = std::weak_ptr(self->alive_)] {
          if (alive.expired()) return;
          self->timeout_posted_ = false;
          self->socket_action(CURL_SOCKET_TIMEOUT, 0);
        });
      }
      return 0;
    }
    self->timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    self->timer_.async_wait([self, alive = std::weak_ptr(self->alive_)](const error_code& ec) {
      if (alive.expired() || ec == asio::error::operation_aborted) return;
      ++self->timer_actions_;
      self->socket_action(CURL_SOCKET_TIMEOUT, 0);
    });
    return 0;
  } catch (const std::exception& e) {
    self->log_->error("cannot arm the curl timer: {}", e.what());
    return -1;  // curl fails the transfers in progress
  }
}

std::size_t CurlClient::on_write(char* data, std::size_t size, std::size_t n,
                                 void* userp) noexcept {
  auto* t = static_cast<Transfer*>(userp);
  const std::size_t len = size * n;
  // Invariant: body.size() <= max_body. Checked on decoded bytes, so a compression bomb
  // stops here even when Content-Length was small.
  if (len > t->max_body - t->response.body.size()) {
    t->body_limit_hit = true;
    return 0;  // CURLE_WRITE_ERROR
  }
  try {
    t->response.body.append(data, len);
  } catch (...) {
    return 0;
  }
  return len;
}

std::size_t CurlClient::on_header(char* data, std::size_t size, std::size_t n,
                                  void* userp) noexcept {
  auto* t = static_cast<Transfer*>(userp);
  const std::size_t len = size * n;
  const std::string_view line = ascii::trim_http(std::string_view(data, len));
  Response& r = t->response;
  try {
    if (line.starts_with("HTTP/")) {
      // A new response (after a redirect or a 1xx): only the final one's headers count.
      r.etag.reset();
      r.last_modified.reset();
      r.retry_after.reset();
      r.cache_control.reset();
      r.expires.reset();
      r.content_type.clear();
      return len;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return len;
    const std::string_view name = ascii::trim_http(line.substr(0, colon));
    const std::string_view value = ascii::trim_http(line.substr(colon + 1));
    if (ascii::equals_lower(name, "etag")) {
      r.etag.emplace(value);
    } else if (ascii::equals_lower(name, "last-modified")) {
      r.last_modified.emplace(value);
    } else if (ascii::equals_lower(name, "retry-after")) {
      r.retry_after.emplace(value);
    } else if (ascii::equals_lower(name, "content-type")) {
      r.content_type.assign(value);
    } else if (ascii::equals_lower(name, "cache-control")) {
      r.cache_control.emplace(value);
    } else if (ascii::equals_lower(name, "expires")) {
      r.expires.emplace(value);
    }
  } catch (...) {
    return 0;  // aborts the transfer
  }
  return len;
}

void CurlClient::watch(curl_socket_t s, int what) {
  auto it = sockets_.find(s);
  if (it == sockets_.end()) {
    // Also sockets curl opened without CURLOPT_OPENSOCKETFUNCTION (resolver wake-up pipes).
    auto socket = std::make_shared<Socket>(io_, s);
    it = sockets_.emplace(s, std::move(socket)).first;
  }
  it->second->what = what;
  arm(it->second);
}

void CurlClient::unwatch(curl_socket_t s) {
  const auto it = sockets_.find(s);
  if (it == sockets_.end()) return;
  if (opened_.count(s) != 0) {
    // Parked: a wait still pending completes for nothing (curl asks for no direction); the
    // Socket goes when curl closes the fd (on_close_socket), or serves its next request.
    it->second->what = 0;
    return;
  }
  forget(it);  // curl closes the fd itself
}

void CurlClient::forget(SocketMap::iterator it) {
  it->second->descriptor.release();  // deregisters and cancels the waits
  sockets_.erase(it);                // pending waits now hold an expired weak_ptr
}

curl_socket_t CurlClient::on_open_socket(void* userp, curlsocktype,
                                         curl_sockaddr* address) noexcept {
  auto* self = static_cast<CurlClient*>(userp);
  const curl_socket_t s =
      ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  if (s == CURL_SOCKET_BAD) return s;
  // A Socket left under this number belongs to an fd closed without on_close_socket: its
  // registration went with that fd, so it must not stand for the new one.
  if (const auto it = self->sockets_.find(s); it != self->sockets_.end()) self->forget(it);
  try {
    self->opened_.insert(s);
  } catch (...) {
    ::close(s);
    return CURL_SOCKET_BAD;  // curl fails the connection attempt
  }
  return s;
}

int CurlClient::on_close_socket(void* userp, curl_socket_t s) noexcept {
  auto* self = static_cast<CurlClient*>(userp);
  self->opened_.erase(s);
  // Deregistered before the fd number can be reused.
  if (const auto it = self->sockets_.find(s); it != self->sockets_.end()) self->forget(it);
  return ::close(s);
}

void CurlClient::arm(const std::shared_ptr<Socket>& socket) {
  // The waits complete from the io_context, possibly after curl removed the socket or after
  // this client is gone. Sockets are owned by `sockets_` alone, so a live weak_ptr proves
  // both that the socket is still watched and that `this` is alive.
  const auto waiter = [this, weak = std::weak_ptr(socket)](int direction) {
    return [this, weak, direction](const error_code& ec) {
      if (auto s = weak.lock()) on_ready(std::move(s), direction, ec);
    };
  };
  if ((socket->what & CURL_POLL_IN) != 0 && !socket->read_pending) {
    socket->read_pending = true;
    socket->descriptor.async_wait(asio::posix::descriptor_base::wait_read, waiter(CURL_CSELECT_IN));
  }
  if ((socket->what & CURL_POLL_OUT) != 0 && !socket->write_pending) {
    socket->write_pending = true;
    socket->descriptor.async_wait(asio::posix::descriptor_base::wait_write,
                                  waiter(CURL_CSELECT_OUT));
  }
}

void CurlClient::on_ready(std::shared_ptr<Socket> socket, int direction, const error_code& ec) {
  const int wanted = direction == CURL_CSELECT_IN ? CURL_POLL_IN : CURL_POLL_OUT;
  (direction == CURL_CSELECT_IN ? socket->read_pending : socket->write_pending) = false;
  if (ec == asio::error::operation_aborted) return;
  // curl stopped caring for this direction since the wait began; watch() re-arms it.
  if ((socket->what & wanted) == 0) return;

  // curl may remove the socket inside socket_action (and a new one may reuse the fd): look
  // at it again only through the weak_ptr afterwards.
  const std::weak_ptr<Socket> weak = socket;
  const curl_socket_t fd = socket->fd;
  socket.reset();
  socket_action(fd, ec ? CURL_CSELECT_ERR : direction);
  if (ec) return;  // no busy loop on a broken descriptor; curl fails the transfer
  if (auto again = weak.lock()) arm(again);  // keep watching until CURL_POLL_REMOVE
}

void CurlClient::socket_action(curl_socket_t s, int mask) {
  int running = 0;
  const CURLMcode rc = curl_multi_socket_action(multi_, s, mask, &running);
  if (rc != CURLM_OK) log_->error("curl_multi_socket_action: {}", curl_multi_strerror(rc));
  collect_finished();
}

void CurlClient::collect_finished() {
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
    if (msg->msg != CURLMSG_DONE) continue;
    // `msg` is invalid once the handle is removed: copy first.
    CURL* easy = msg->easy_handle;
    const CURLcode code = msg->data.result;
    finish(easy, code);
  }
  if (!unwatchable_.empty()) {
    auto doomed = std::move(unwatchable_);
    unwatchable_.clear();
    for (CURL* easy : doomed) finish(easy, CURLE_UNRECOVERABLE_POLL);
  }
}

void CurlClient::finish(CURL* easy, CURLcode code) {
  const auto it = transfers_.find(easy);
  if (it == transfers_.end()) return;  // already finished or aborted
  std::unique_ptr<Transfer> t = std::move(it->second);
  transfers_.erase(it);

  Response r = std::move(t->response);
  r.elapsed = Clock::now() - t->started;
  const std::size_t received = r.body.size();
  char* effective = nullptr;
  if (curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK &&
      effective != nullptr) {
    r.effective_url = effective;
  }
  if (code == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    r.status = status;
    r.received_bytes = received;
    log_->debug("GET {} -> {} ({} bytes)", r.effective_url, status, r.body.size());
  } else {
    // A reused keep-alive connection reports a connect time of 0, so a response that had
    // begun (a status line seen) also counts as connected.
    curl_off_t connect_us = 0;
    curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect_us);
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    const bool connected = connect_us > 0 || status > 0;
    Response failed = failure(classify(code, connected, t->body_limit_hit),
                              t->error[0] != '\0' ? t->error : curl_easy_strerror(code));
    failed.effective_url = std::move(r.effective_url);
    failed.elapsed = r.elapsed;
    r = std::move(failed);  // no partial body or validators from a failed fetch
    r.received_bytes = received;
    log_->debug("GET {} failed ({}): {}", t->url, to_string(r.error), r.error_message);
  }
  // May call on_socket / on_timer; both are safe here.
  curl_multi_remove_handle(multi_, easy);
  t->easy = nullptr;
  recycle(easy);
  post_result(io_, std::move(t->done), std::move(r));
}

void CurlClient::recycle(CURL* easy) {
  if (shut_down_ || idle_.size() >= kMaxIdleHandles) {
    curl_easy_cleanup(easy);
    return;
  }
  // Forgets every option (headers, URL, callbacks' data); keeps the handle's buffers. The
  // connection cache is the multi's, so keep-alive reuse does not depend on the handle.
  curl_easy_reset(easy);
  idle_.push_back(easy);
}

void CurlClient::abort_all(const char* why) {
  auto transfers = std::move(transfers_);
  transfers_.clear();
  unwatchable_.clear();
  for (auto& [easy, t] : transfers) {
    curl_multi_remove_handle(multi_, easy);
    Response r = failure(ErrorClass::aborted, why);
    r.effective_url = t->url;
    r.elapsed = Clock::now() - t->started;
    post_result(io_, std::move(t->done), std::move(r));
  }
}

}  // namespace

std::unique_ptr<HttpClient> make_curl_client(boost::asio::io_context& io, CurlOptions options) {
  return std::make_unique<CurlClient>(io, options);
}

}  // namespace newsd::fetch
