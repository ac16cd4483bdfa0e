// Format detection and whichever parser it picks, with a Content-Type taken from the input's
// first line (so detection by header is explored too).
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace newsd;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  parse::Context ctx = fuzz::context("UTC");
  if (const auto nl = bytes.find('\n'); nl != std::string_view::npos && nl < 80) {
    ctx.content_type = std::string(bytes.substr(0, nl));
    bytes.remove_prefix(nl + 1);
  }
  const parse::Format f = parse::detect(bytes, ctx.content_type);
  fuzz::require(f != parse::Format::automatic);
  fuzz::check(parse::parse(bytes, parse::Format::automatic, ctx));
  return 0;
}
