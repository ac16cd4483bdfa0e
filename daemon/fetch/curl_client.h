// The real HttpClient: libcurl's multi interface on the daemon's io_context (the class is
// in curl_client_impl.h, private to the fetch stage).
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>

#include "fetch/http_client.h"

namespace newsd::fetch {

// Connection-pool settings of the real client (curl multi options). Connections are reused
// through the multi's connection cache; transfers beyond a limit wait for a free connection.
struct CurlOptions {
  long max_host_connections = 4;    // CURLMOPT_MAX_HOST_CONNECTIONS; 0 = no limit
  long max_total_connections = 0;   // CURLMOPT_MAX_TOTAL_CONNECTIONS; 0 = no limit
  long max_cached_connections = 0;  // CURLMOPT_MAXCONNECTS; 0 = curl's default
};

// The real client: curl multi bound to `io`. Only http and https, at most 5 redirects,
// TLS verification on, gzip/deflate/br/zstd as the linked libcurl supports.
// Must be destroyed before `io`; destroying it aborts what is in flight (handlers are posted
// with ErrorClass::aborted). Throws std::runtime_error if libcurl cannot be initialised.
std::unique_ptr<HttpClient> make_curl_client(boost::asio::io_context& io, CurlOptions options = {});

}  // namespace newsd::fetch
