// The operator's view over HTTP (docs/status-api.md):
//   read routes, on the metrics listener and the admin listener alike:
//     GET /api/v1/sources[?state=failing,backing_off&name=SUB&offset=N&limit=N]
//     GET /api/v1/sources/{name}      the source and its recent polls
//     GET /sources[?...], GET /sources/{name}   the same as HTML pages
//   admin routes, on the admin listener only (a writable HttpServer):
//     POST /api/v1/sources/{name}/poll | /pause | /resume
//     with `Authorization: Bearer TOKEN` when a token is configured.
// The handlers run on the event loop's thread, where the board and the Engine live.
#pragma once

#include <functional>
#include <string>

#include "metrics/http_server.h"
#include "status/board.h"

namespace newsd::status {

// The Engine's operator actions; each returns false when it knows no such source.
struct Actions {
  std::function<bool(const std::string&)> poll_now, pause, resume;
};

using Now = std::function<SysTime()>;

inline constexpr std::size_t kDefaultLimit = 100;
inline constexpr std::size_t kDefaultPageLimit = 500;  // the HTML page
inline constexpr std::size_t kMaxLimit = 10000;

metrics::Routes read_routes(const Board& board, Now now);
// The read routes plus the actions. An empty `token` lets any caller act (the listener is
// on loopback); otherwise a request must carry it as a bearer token.
metrics::Routes admin_routes(Board& board, Actions actions, std::string token, Now now);

// "%2Fa+b" -> "/a b" in a query value ("+" is a space), "/a+b" in a path segment.
std::string percent_decode(std::string_view s, bool plus_is_space);

}  // namespace newsd::status
