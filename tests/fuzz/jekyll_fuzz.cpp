// The jekyll parser through parse(), charset handling included.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace newsd;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  fuzz::check(parse::parse(bytes, parse::Format::jekyll, fuzz::context()));
  return 0;
}
