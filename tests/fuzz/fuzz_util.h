// Shared by the libFuzzer targets: a fixed parse context and a check that every record a
// parser returns keeps the invariants the rest of the pipeline relies on.
#pragma once

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

// A broken invariant is a finding: abort so libFuzzer records the input.
inline void require(bool ok) {
  if (!ok) std::abort();
}

// Records must be valid UTF-8 JSON-able posts with an id and a digest (DESIGN.md).
inline void check(const Expected<std::vector<parse::Parsed>>& result) {
  if (!result) return;
  for (const parse::Parsed& p : *result) {
    require(!p.post.id.empty());
    require(p.post.content_sha256.size() == 64);
    require(parse::is_valid_utf8(p.post.title));
    require(parse::is_valid_utf8(p.post.body_text));
    (void)to_json(p.post);
  }
}

}  // namespace newsd::fuzz
