// How a finished libcurl transfer failed, in the fetch stage's terms (ErrorClass).
#pragma once

#include <curl/curl.h>

#include "fetch/http_client.h"

namespace newsd::fetch {

// Maps the result of a finished transfer to an ErrorClass. `connected`: a TCP connection
// was established (tells a connect timeout from a transfer timeout, both CURLE_OPERATION_
// TIMEDOUT). `body_limit_hit`: the write callback refused the body for exceeding
// max_body_bytes (CURLE_WRITE_ERROR).
ErrorClass classify(CURLcode code, bool connected, bool body_limit_hit);

}  // namespace newsd::fetch
