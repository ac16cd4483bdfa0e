// The html parser through parse(), charset handling included; and the pre-pass
// (html_prepass.h) held to "gumbo builds the same tree and html.cpp the same record" on
// every input; and html_to_text()'s one-pass path (html_fast_text.cpp) held to gumbo's tree
// wherever it takes a fragment.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/post.h"
#include "parse/formats.h"
#include "parse/html/prepass.h"
#include "parse/html/text.h"
#include "parse/tests/gumbo_tree.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

std::string records(const newsd::Expected<std::vector<newsd::parse::Parsed>>& result) {
  if (!result) return "error: " + result.error().message;
  std::string out;
  for (const newsd::parse::Parsed& p : *result) out += newsd::to_json(p.post) + "\n";
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace newsd;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  fuzz::check(parse::parse(bytes, parse::Format::html, fuzz::context()));

  // parse_html() takes valid UTF-8 (parse() converts first); too-deep pages never reach gumbo.
  const std::string text = parse::sanitize_utf8(bytes);
  if (parse::html_depth_estimate(text) > parse::kMaxHtmlDepth) return 0;
  fuzz::require(
      parse::testing::gumbo_tree(text) == parse::testing::gumbo_tree(parse::shrink_html(text)),
      "gumbo builds another tree after the pre-pass");
  const parse::Context ctx = fuzz::context();
  fuzz::require(records(parse::read_html_page(text, ctx)) == records(parse::parse_html(text, ctx)),
                "html.cpp reads the page otherwise after the pre-pass");
  if (const std::optional<std::string> fast = parse::simple_html_to_text(text)) {
    fuzz::require(*fast == parse::gumbo_html_to_text(text),
                  "the one-pass HTML -> text path differs from gumbo's tree");
  }
  return 0;
}
