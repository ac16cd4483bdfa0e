// The jekyll parser through parse(), charset handling included; and the one-pass front-matter
// reader held to yaml-cpp's reading of the same text (front_matter.h).
#include <cstddef>
#include <cstdint>

#include "parse/front_matter.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

// Whenever the one-pass reader answers, yaml-cpp must accept the text and read the same map.
void check_front_matter_agreement(std::string_view bytes) {
  using namespace newsd::parse;
  const std::string yaml = sanitize_utf8(bytes);  // parse() hands the readers valid UTF-8
  const std::optional<FrontMatter> fast = read_simple_front_matter(yaml);
  if (!fast) return;
  const newsd::Expected<FrontMatter> slow = read_front_matter_with_yaml_cpp(yaml, 2);
  newsd::fuzz::require(slow.ok(), "front matter: yaml-cpp rejects what the fast reader took");
  newsd::fuzz::require(*fast == *slow, "front matter: fast reader and yaml-cpp disagree");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace newsd;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  fuzz::check(parse::parse(bytes, parse::Format::jekyll, fuzz::context()));
  check_front_matter_agreement(bytes);
  // The front matter as jekyll.cpp cuts it: between the first "---" line and the next.
  if (bytes.starts_with("---\n")) {
    const std::string_view rest = bytes.substr(4);
    check_front_matter_agreement(rest.substr(0, rest.find("\n---") + 1));
  }
  return 0;
}
