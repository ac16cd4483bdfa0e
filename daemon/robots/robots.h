// robots.txt (RFC 9309): the parser and the matcher.
//
// Robots::parse never fails: any bytes give a rule set (lines it cannot read are skipped,
// as the RFC asks). Only the first kMaxBytes are read. decide() answers for one URL and one
// crawler, and names the rule that decided, so an operator can see why a page was skipped.
//
// What the RFC leaves open, decided here (docs/sources.md, "robots.txt"):
//  - A group is one or more user-agent lines followed by rules; every group naming the
//    crawler's product token (case-insensitively) is merged; failing that, every `*` group.
//  - Rules before the first user-agent line belong to no group and are ignored.
//  - "Disallow /x" without a colon is read as "Disallow: /x" (Google's parser does too).
//  - The longest pattern wins (octets after normalisation); on equal length Allow wins.
//  - `$` anchors only at the end of a pattern; `*` matches any run of octets.
//  - Paths and patterns are compared percent-normalised: non-ASCII octets are encoded,
//    %XX of unreserved characters decoded, other escapes upper-cased; %2A and %24 stand
//    for a literal `*` and `$`.
//  - /robots.txt itself is always allowed.
//
// Thread-safety: a Robots is immutable after parse(); decide() may be called concurrently.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace newsd::robots {

// The RFC lets crawlers stop reading after 500 KiB; what follows is ignored.
inline constexpr std::size_t kMaxBytes = 500 * 1024;

struct Rule {
  bool allow = false;
  std::string pattern;  // normalised; `*` wildcards and a trailing `$` kept
  int line = 0;         // 1-based line in the file
  std::string text;     // the line as written, comment and surrounding blanks removed
};

struct Group {
  std::vector<std::string> agents;  // product tokens as written (`*` for any)
  std::vector<Rule> rules;
  std::optional<std::chrono::milliseconds> crawl_delay;
  int line = 0;  // the group's first user-agent line
};

struct Decision {
  bool allowed = true;
  std::optional<Rule> rule;  // the deciding rule; none when no rule matched
  // Why, in words: "matched rule", "no matching rule", "no group for this agent",
  // "robots.txt is always allowed".
  std::string reason;
};

class Robots {
 public:
  static Robots parse(std::string_view text);

  // `url` is an absolute URL or a path (with its query). `agent` is a product token such as
  // "newsd" or "Googlebot"; product_token() makes one from a User-Agent header.
  Decision decide(std::string_view agent, std::string_view url) const;

  // The Crawl-delay of the groups that apply to `agent` (the largest when several do).
  std::optional<std::chrono::milliseconds> crawl_delay(std::string_view agent) const;

  const std::vector<Group>& groups() const { return groups_; }
  const std::vector<std::string>& sitemaps() const { return sitemaps_; }
  bool truncated() const { return truncated_; }  // the file was longer than kMaxBytes

 private:
  std::vector<const Group*> groups_for(std::string_view agent) const;

  std::vector<Group> groups_;
  std::vector<std::string> sitemaps_;
  bool truncated_ = false;
};

// The product token of a User-Agent value: "newsd/0.1 (+https://…)" -> "newsd". Empty when
// the value does not start with one (letters, '_' and '-', RFC 9309 2.2.1).
std::string product_token(std::string_view user_agent);

// The part of a URL robots.txt rules are matched against: path and query, percent-
// normalised, "/" for an empty path; a fragment is dropped.
std::string match_target(std::string_view url);

// Percent-normalises a path or pattern (see the header comment); `*` and `$` are kept as
// written, so a pattern keeps its wildcards.
std::string normalize(std::string_view path);

// Whether `pattern` (normalised, with `*` and a trailing `$`) matches `target` from its start.
bool matches(std::string_view pattern, std::string_view target);

}  // namespace newsd::robots
