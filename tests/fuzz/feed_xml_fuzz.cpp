// RSS 0.9x/2.0, RSS 1.0 and Atom through parse(), plus the document info (TTL) path.
#include <cstddef>
#include <cstdint>

#include "parse/charset.h"
#include "parse/feed_info.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace newsd;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const parse::Context ctx = fuzz::context();
  fuzz::check(parse::parse(bytes, parse::Format::rss, ctx));
  parse::DocumentInfo info;
  auto result = parse::parse_feed(parse::to_utf8(bytes, ""), parse::Format::atom, ctx, &info);
  fuzz::check_unsealed(result);
  if (info.ttl) fuzz::require(info.ttl->count() > 0, "non-positive ttl");
  return 0;
}
