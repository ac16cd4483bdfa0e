// CurlClient's lifetime and its HttpClient calls; the ownership and threading rules are in
// curl_client_impl.h.
#include <stdexcept>
#include <string>

#include "fetch/curl_client_impl.h"
#include "fetch/curl_errors.h"

namespace newsd::fetch {
namespace detail {
namespace {

// Idle easy handles kept for reuse; enough for the transfers that finish in one loop turn.
constexpr std::size_t kMaxIdleHandles = 64;

}  // namespace

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

}  // namespace detail

std::unique_ptr<HttpClient> make_curl_client(boost::asio::io_context& io, CurlOptions options) {
  return std::make_unique<detail::CurlClient>(io, options);
}

}  // namespace newsd::fetch
