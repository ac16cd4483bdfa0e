// Internals of the libcurl client that tests may reach; callers use http_client.h.
#pragma once

#include <curl/curl.h>

#include "fetch/http_client.h"

namespace newsd::fetch {

// Maps the result of a finished transfer to an ErrorClass. `connected`: a TCP connection
// was established (tells a connect timeout from a transfer timeout, both CURLE_OPERATION_
// TIMEDOUT). `body_limit_hit`: the write callback refused the body for exceeding
// max_body_bytes (CURLE_WRITE_ERROR).
ErrorClass classify(CURLcode code, bool connected, bool body_limit_hit);

// The client of make_curl_client, driven by `io` (its thread runs curl), whose completion
// handlers are posted to `deliver` instead: the building block of the fetch threads.
std::unique_ptr<HttpClient> make_curl_client_delivering_to(boost::asio::io_context& io,
                                                           boost::asio::io_context& deliver,
                                                           CurlOptions options);

}  // namespace newsd::fetch
