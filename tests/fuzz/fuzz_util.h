// Shared by the libFuzzer targets: a fixed parse context and a check that every record a
// parser returns keeps the invariants the rest of the pipeline relies on.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "parse/parser.h"
#include "parse/text_util.h"

namespace newsd::fuzz {

inline parse::Context context(std::string timezone = "Asia/Shanghai") {
  parse::Context ctx;
  ctx.source = "fuzz";
  ctx.url = "https://example.com/feed/index.xml";
  ctx.timezone = std::move(timezone);
  return ctx;
}

// A broken invariant is a finding: say which, and abort so libFuzzer records the input.
inline void require(bool ok, const char* what = "invariant") {
  if (ok) return;
  std::fprintf(stderr, "fuzz: broken invariant: %s\n", what);
  std::abort();
}

// What a per-format parser returns (before parse() seals it): valid UTF-8 text.
inline void check_unsealed(const Expected<std::vector<parse::Parsed>>& result) {
  if (!result) return;
  for (const parse::Parsed& p : *result) {
    require(parse::is_valid_utf8(p.post.id), "id is not UTF-8");
    require(parse::is_valid_utf8(p.post.title), "title is not UTF-8");
    require(parse::is_valid_utf8(p.post.body_text), "body_text is not UTF-8");
  }
}

// What parse() returns: valid UTF-8 JSON-able posts with an id and a digest (DESIGN.md).
inline void check(const Expected<std::vector<parse::Parsed>>& result) {
  if (!result) return;
  for (const parse::Parsed& p : *result) {
    require(!p.post.id.empty(), "record without id");
    require(p.post.content_sha256.size() == 64, "record without digest");
    require(parse::is_valid_utf8(p.post.title), "title is not UTF-8");
    require(parse::is_valid_utf8(p.post.body_text), "body_text is not UTF-8");
    (void)to_json(p.post);
  }
}

}  // namespace newsd::fuzz
