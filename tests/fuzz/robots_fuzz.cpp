// The robots.txt parser and matcher: any bytes parse; every decision names a rule that
// exists on that line and agrees with it; the matcher agrees with a plain dynamic-programming
// glob matcher on every pattern of the file against URLs taken from the input itself.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "robots/robots.h"

namespace {

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz: broken invariant: %s\n", what);
  std::abort();
}

// RFC 9309 2.2.3 read literally: `*` any run, `$` at the very end anchors.
bool reference_match(std::string_view pattern, std::string_view target) {
  const bool anchored = !pattern.empty() && pattern.back() == '$';
  if (anchored) pattern.remove_suffix(1);
  // prefix[j]: pattern[0..i) matches target[0..j).
  std::vector<char> prev(target.size() + 1, 0), cur(target.size() + 1, 0);
  prev[0] = 1;
  for (const char p : pattern) {
    cur.assign(target.size() + 1, 0);
    for (std::size_t j = 0; j <= target.size(); ++j) {
      if (p == '*') {
        cur[j] = prev[j] || (j > 0 && cur[j - 1]);
      } else {
        cur[j] = j > 0 && prev[j - 1] && target[j - 1] == p;
      }
    }
    prev.swap(cur);
  }
  if (anchored) return prev[target.size()];
  for (const char ok : prev)
    if (ok) return true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const newsd::robots::Robots robots = newsd::robots::Robots::parse(text);
  std::size_t lines = 1;
  for (const char c : text) lines += c == '\n' || c == '\r';
  std::vector<std::string> urls = {"/", "https://example.com/a/b?c=d", "/robots.txt"};
  for (std::size_t pos = 0; pos < text.size() && urls.size() < 16;) {
    const std::size_t end = std::min(text.find_first_of("\r\n", pos), text.size());
    const std::string_view line = text.substr(pos, end - pos);
    if (const auto colon = line.find(':'); colon != std::string_view::npos)
      urls.emplace_back(line.substr(colon + 1));
    pos = end + 1;
  }
  for (const std::string& url : urls) {
    for (const char* agent : {"newsd", "Googlebot", ""}) {
      const auto d = robots.decide(agent, url);
      require(!d.reason.empty(), "decision without a reason");
      if (d.rule) {
        require(d.rule->allow == d.allowed, "the deciding rule disagrees with the decision");
        require(d.rule->line >= 1 && std::size_t(d.rule->line) <= lines, "rule line out of range");
      }
    }
    const std::string target = newsd::robots::match_target(url);
    require(!target.empty() && target.front() == '/', "match target is not a path");
    for (const auto& group : robots.groups()) {
      for (const auto& rule : group.rules) {
        if (rule.pattern.size() > 300 || target.size() > 300) continue;
        require(
            newsd::robots::matches(rule.pattern, target) == reference_match(rule.pattern, target),
            "matcher disagrees with the reference glob");
      }
    }
  }
  (void)robots.crawl_delay("newsd");
  return 0;
}
