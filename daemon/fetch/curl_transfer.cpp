// One transfer of CurlClient: the easy handle's options, the body and header callbacks, and
// the Response made when it ends (ownership rules in curl_client_impl.h).
#include <algorithm>
#include <limits>
#include <string_view>

#include "core/ascii.h"
#include "fetch/curl_client_impl.h"
#include "fetch/curl_errors.h"

namespace newsd::fetch::detail {
namespace {

constexpr long kMaxRedirects = 5;
constexpr long kLowSpeedLimitBytesPerSecond = 1;
constexpr long kLowSpeedTimeSeconds = 30;
constexpr const char* kAllowedProtocols = "http,https";

}  // namespace

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
      r.link.clear();
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
    } else if (ascii::equals_lower(name, "link")) {
      if (!r.link.empty()) r.link += ", ";
      r.link.append(value);
    }
  } catch (...) {
    return 0;  // aborts the transfer
  }
  return len;
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

}  // namespace newsd::fetch::detail
