#include "robots/robots.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "core/ascii.h"

namespace newsd::robots {
namespace {

constexpr std::string_view kHex = "0123456789ABCDEF";

int hex_value(char c) {
  if (ascii::is_digit(c)) return c - '0';
  const char l = ascii::to_lower(c);
  if (l >= 'a' && l <= 'f') return l - 'a' + 10;
  return -1;
}

bool unreserved(char c) {
  return ascii::is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

void append_escaped(std::string& out, unsigned char c) {
  out += '%';
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

// Percent-normalisation shared by patterns and targets; `literal_specials` escapes `*` and
// every `$` (a target's), else they stay as written (a pattern's wildcard and anchor).
std::string percent_normalize(std::string_view s, bool literal_specials) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      const auto v = static_cast<unsigned char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      if (unreserved(static_cast<char>(v))) {
        out += static_cast<char>(v);
      } else {
        append_escaped(out, v);
      }
      i += 2;
    } else if (c >= 0x80 || c < 0x20 || c == ' ' || (literal_specials && (c == '*' || c == '$'))) {
      append_escaped(out, c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

enum class Key { user_agent, allow, disallow, sitemap, crawl_delay, other };

Key key_of(std::string_view k) {
  if (ascii::iequals(k, "user-agent")) return Key::user_agent;
  if (ascii::iequals(k, "allow")) return Key::allow;
  if (ascii::iequals(k, "disallow")) return Key::disallow;
  if (ascii::iequals(k, "sitemap")) return Key::sitemap;
  if (ascii::iequals(k, "crawl-delay")) return Key::crawl_delay;
  return Key::other;
}

// "key: value", or "key value" for the keys above written without a colon.
bool split_line(std::string_view line, std::string_view& key, std::string_view& value) {
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    key = trim(line.substr(0, colon));
    value = trim(line.substr(colon + 1));
    return !key.empty();
  }
  const auto space = line.find_first_of(" \t");
  if (space == std::string_view::npos) return false;
  key = trim(line.substr(0, space));
  value = trim(line.substr(space + 1));
  // Only a known key without a colon: a line of prose is not a rule.
  return key_of(key) != Key::other && value.find_first_of(" \t") == std::string_view::npos;
}

std::optional<std::chrono::milliseconds> parse_delay(std::string_view v) {
  if (v.empty() || v.size() > 16) return std::nullopt;
  const std::string s(v);
  char* end = nullptr;
  const double seconds = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(seconds) || seconds < 0) return std::nullopt;
  return std::chrono::milliseconds(static_cast<long long>(std::min(seconds, 1e9) * 1000));
}

bool agent_matches(std::string_view written, std::string_view agent) {
  if (written == "*") return false;  // handled as the fallback
  return !agent.empty() && ascii::iequals(product_token(written), agent);
}

}  // namespace

std::string product_token(std::string_view user_agent) {
  std::size_t n = 0;
  while (n < user_agent.size() &&
         (ascii::is_alpha(user_agent[n]) || user_agent[n] == '_' || user_agent[n] == '-'))
    ++n;
  return std::string(user_agent.substr(0, n));
}

std::string normalize(std::string_view path) {
  // A `$` is an anchor only at the very end; anywhere else it is a literal dollar sign.
  std::string out;
  const bool anchored = !path.empty() && path.back() == '$';
  if (anchored) path.remove_suffix(1);
  std::string body = percent_normalize(path, false);
  for (char c : body) {
    if (c == '$') {
      out += "%24";
    } else {
      out += c;
    }
  }
  if (anchored) out += '$';
  return out;
}

std::string match_target(std::string_view url) {
  if (const auto hash = url.find('#'); hash != std::string_view::npos) url = url.substr(0, hash);
  if (const auto scheme = url.find("://");
      scheme != std::string_view::npos && url.find_first_of("/?") > scheme) {
    const std::string_view rest = url.substr(scheme + 3);
    const auto start = rest.find_first_of("/?");
    url = start == std::string_view::npos ? std::string_view{} : rest.substr(start);
  }
  std::string out = percent_normalize(url, true);
  if (out.empty() || out.front() != '/') out.insert(out.begin(), '/');
  return out;
}

bool matches(std::string_view pattern, std::string_view target) {
  const bool anchored = !pattern.empty() && pattern.back() == '$';
  if (anchored) pattern.remove_suffix(1);
  std::vector<std::string_view> parts;
  for (std::size_t from = 0;;) {
    const auto star = pattern.find('*', from);
    parts.push_back(pattern.substr(from, star == std::string_view::npos ? star : star - from));
    if (star == std::string_view::npos) break;
    from = star + 1;
  }
  // The first part anchors at the start; the others are found leftmost in turn, which is
  // enough for `*` globs; with `$`, the last part must end the target.
  if (!target.starts_with(parts.front())) return false;
  if (parts.size() == 1) return !anchored || target.size() == parts.front().size();
  std::size_t pos = parts.front().size();
  for (std::size_t k = 1; k + 1 < parts.size(); ++k) {
    const auto at = target.find(parts[k], pos);
    if (at == std::string_view::npos) return false;
    pos = at + parts[k].size();
  }
  const std::string_view last = parts.back();
  if (anchored) return target.size() - pos >= last.size() && target.ends_with(last);
  return target.find(last, pos) != std::string_view::npos;
}

Robots Robots::parse(std::string_view text) {
  Robots r;
  if (text.size() > kMaxBytes) {
    text = text.substr(0, kMaxBytes);
    r.truncated_ = true;
  }
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  bool in_agents = false;  // the last line read was a user-agent line
  Group* current = nullptr;
  int line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    // Lines end in LF, CRLF or a lone CR.
    std::size_t end = text.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + (text.substr(end, 2) == "\r\n" ? 2 : 1);
    ++line_no;
    if (const auto hash = line.find('#'); hash != std::string_view::npos)
      line = line.substr(0, hash);
    line = trim(line);
    std::string_view key, value;
    if (line.empty() || !split_line(line, key, value)) continue;
    switch (key_of(key)) {
      case Key::user_agent:
        if (!in_agents) {
          r.groups_.push_back(Group{});
          current = &r.groups_.back();
          current->line = line_no;
        }
        in_agents = true;
        current->agents.emplace_back(value);
        break;
      case Key::allow:
      case Key::disallow:
        in_agents = false;
        // An empty pattern matches nothing (RFC 9309 2.2.2); rules outside a group are lost.
        if (current && !value.empty()) {
          current->rules.push_back(
              Rule{key_of(key) == Key::allow, normalize(value), line_no, std::string(line)});
        }
        break;
      case Key::crawl_delay:
        in_agents = false;
        if (current && !current->crawl_delay) current->crawl_delay = parse_delay(value);
        break;
      case Key::sitemap:
        // Not part of any group: it neither ends nor starts one.
        if (!value.empty()) r.sitemaps_.emplace_back(value);
        break;
      case Key::other:
        break;
    }
  }
  return r;
}

std::vector<const Group*> Robots::groups_for(std::string_view agent) const {
  std::vector<const Group*> named, any;
  for (const Group& g : groups_) {
    bool is_named = false, is_any = false;
    for (const std::string& a : g.agents) {
      is_named = is_named || agent_matches(a, agent);
      is_any = is_any || a == "*";
    }
    if (is_named) named.push_back(&g);
    if (is_any) any.push_back(&g);
  }
  return named.empty() ? any : named;
}

Decision Robots::decide(std::string_view agent, std::string_view url) const {
  const std::string target = match_target(url);
  Decision d;
  if (target == "/robots.txt") {
    d.reason = "robots.txt is always allowed";
    return d;
  }
  const auto groups = groups_for(agent);
  if (groups.empty()) {
    d.reason = "no group for this agent";
    return d;
  }
  const Rule* best = nullptr;
  for (const Group* g : groups) {
    for (const Rule& rule : g->rules) {
      if (!matches(rule.pattern, target)) continue;
      if (!best || rule.pattern.size() > best->pattern.size() ||
          (rule.pattern.size() == best->pattern.size() && rule.allow && !best->allow)) {
        best = &rule;
      }
    }
  }
  if (!best) {
    d.reason = "no matching rule";
    return d;
  }
  d.allowed = best->allow;
  d.rule = *best;
  d.reason = "matched rule";
  return d;
}

std::optional<std::chrono::milliseconds> Robots::crawl_delay(std::string_view agent) const {
  std::optional<std::chrono::milliseconds> out;
  for (const Group* g : groups_for(agent)) {
    if (g->crawl_delay && (!out || *g->crawl_delay > *out)) out = g->crawl_delay;
  }
  return out;
}

}  // namespace newsd::robots
