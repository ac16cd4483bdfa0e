#include "status/routes.h"

#include <charconv>

#include "status/render.h"

namespace newsd::status {

namespace {

constexpr std::string_view kApi = "/api/v1/sources";
constexpr std::string_view kPage = "/sources";
constexpr std::string_view kJson = "application/json";
constexpr std::string_view kHtml = "text/html; charset=utf-8";

metrics::Reply reply(unsigned status, std::string body,
                     std::string_view type = "text/plain; charset=utf-8") {
  metrics::Reply r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::string(type);
  return r;
}

metrics::Reply json_error(unsigned status, const std::string& message) {
  std::string body = R"({"error":")";
  for (const char c : message) {  // our own ASCII messages, with names that config restricted
    if (c == '"' || c == '\\') body += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) body += c;
  }
  return reply(status, body + "\"}\n", kJson);
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_count(std::string_view v, std::size_t& out) {
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && p == v.data() + v.size();
}

// The query string's filter and paging; an error message when a parameter is bad.
std::optional<std::string> parse_query(std::string_view qs, std::size_t default_limit, Query& q) {
  q.limit = default_limit;
  while (!qs.empty()) {
    const auto amp = qs.find('&');
    const std::string_view pair = qs.substr(0, amp);
    qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    const std::string value =
        percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (key == "state") {
      std::string_view rest = value;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        const std::string_view one = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        if (one.empty()) continue;
        const auto s = state_from_string(one);
        if (!s)
          return "unknown state '" + std::string(one) +
                 "': expected failing, backing_off, paused, not_owned or ok";
        q.states.push_back(*s);
      }
    } else if (key == "name") {
      q.name = value;
    } else if (key == "offset") {
      if (!parse_count(value, q.offset)) return "offset: expected a whole number";
    } else if (key == "limit") {
      if (!parse_count(value, q.limit) || q.limit < 1 || q.limit > kMaxLimit)
        return "limit: expected a whole number from 1 to " + std::to_string(kMaxLimit);
    } else {
      return "unknown parameter '" + std::string(key) + "': expected state, name, offset, limit";
    }
  }
  return std::nullopt;
}

struct Target {
  std::string path;
  std::string query;
};

Target split(const std::string& target) {
  const auto q = target.find('?');
  if (q == std::string::npos) return {target, {}};
  return {target.substr(0, q), target.substr(q + 1)};
}

// "/api/v1/sources/NAME[/ACTION]" with `prefix` = "/api/v1/sources": the decoded name and the
// rest ("" or "/ACTION"); nullopt when the path is not under prefix + "/".
std::optional<std::pair<std::string, std::string>> name_in(std::string_view path,
                                                           std::string_view prefix) {
  if (!path.starts_with(prefix) || path.size() <= prefix.size() + 1 || path[prefix.size()] != '/')
    return std::nullopt;
  const std::string_view rest = path.substr(prefix.size() + 1);
  const auto slash = rest.find('/');
  return std::pair(
      percent_decode(rest.substr(0, slash), false),
      slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash)));
}

std::optional<metrics::Reply> read(const Board& board, const Now& now, const metrics::Request& r) {
  const Target t = split(r.target);
  const bool api = t.path == kApi;
  if (api || t.path == kPage) {
    Query q;
    if (auto error = parse_query(t.query, api ? kDefaultLimit : kDefaultPageLimit, q))
      return api ? json_error(400, *error) : reply(400, *error + "\n");
    const Page page = board.query(q);
    return api ? reply(200, sources_json(page, q, now()), kJson)
               : reply(200, sources_html(page, q, now()), kHtml);
  }
  for (const bool as_api : {true, false}) {
    const auto named = name_in(t.path, as_api ? kApi : kPage);
    if (!named || !named->second.empty()) continue;
    const SourceRecord* rec = board.find(named->first);
    if (!rec)
      return as_api ? json_error(404, "no source named '" + named->first + "'")
                    : reply(404, "no source named " + html_escape(named->first) + "\n");
    return as_api ? reply(200, source_json(*rec, now()), kJson)
                  : reply(200, source_html(*rec, now()), kHtml);
  }
  return std::nullopt;
}

// Compares in time independent of where the strings first differ.
bool same_secret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

}  // namespace

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

metrics::Routes read_routes(const Board& board, Now now) {
  return
      [&board, now = std::move(now)](const metrics::Request& r) -> std::optional<metrics::Reply> {
        return read(board, now, r);
      };
}

metrics::Routes admin_routes(Board& board, Actions actions, std::string token, Now now) {
  return [&board, actions = std::move(actions), token = std::move(token),
          now = std::move(now)](const metrics::Request& r) -> std::optional<metrics::Reply> {
    const Target t = split(r.target);
    const auto named = name_in(t.path, kApi);
    const bool action = named && (named->second == "/poll" || named->second == "/pause" ||
                                  named->second == "/resume");
    if (!action) {
      if (r.method == "GET" || r.method == "HEAD") return read(board, now, r);
      if (t.path == kApi || t.path == kPage || name_in(t.path, kApi) || name_in(t.path, kPage)) {
        metrics::Reply no = reply(405, "read-only: GET\n");
        no.allow = "GET, HEAD";
        return no;
      }
      return std::nullopt;
    }
    if (r.method != "POST") {
      metrics::Reply no = json_error(405, "actions take POST");
      no.allow = "POST";
      return no;
    }
    if (!token.empty()) {
      constexpr std::string_view kBearer = "Bearer ";
      const std::string_view given = r.authorization;
      if (!given.starts_with(kBearer) || !same_secret(given.substr(kBearer.size()), token)) {
        metrics::Reply no = json_error(401, "a bearer token is required");
        no.www_authenticate = "Bearer realm=\"newsd admin\"";
        return no;
      }
    }
    const std::string& name = named->first;
    const std::string verb = named->second.substr(1);
    bool known = false;
    if (verb == "poll") {
      known = actions.poll_now(name);
    } else {
      const bool pause = verb == "pause";
      known = (pause ? actions.pause : actions.resume)(name);
      if (known) board.set_paused(name, pause);
    }
    if (!known) return json_error(404, "no source named '" + name + "'");
    const SourceRecord* rec = board.find(name);
    std::string body = "{\"source\":";
    body += "\"" + name + R"(","action":")" + verb + R"(","state":")";
    body += rec ? to_string(rec->state()) : "ok";
    body += "\"}\n";
    return reply(verb == "poll" ? 202 : 200, body, kJson);
  };
}

}  // namespace newsd::status
