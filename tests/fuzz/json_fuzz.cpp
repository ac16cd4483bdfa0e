// JSON inputs: JSON Feed, a json_api list with a field mapping and its detail responses.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace newsd;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  static const parse::JsonApiMapping mapping = [] {
    parse::JsonApiMapping m;
    m.items = "/record";
    m.fields = {{"id", "/infoCode"},     {"title", "/title"}, {"published_at", "/datetime"},
                {"media", "/medianame"}, {"url", "/url"},     {"tags", "/tags"}};
    m.detail_url = "http://api.example/GetNewsText.do?id={id}&t={title}";
    m.detail_body = "/text";
    return m;
  }();
  parse::Context ctx = fuzz::context();
  ctx.json_api = &mapping;
  fuzz::check(parse::parse(bytes, parse::Format::jsonfeed, ctx));
  const auto list = parse::parse(bytes, parse::Format::json_api, ctx);
  fuzz::check(list);
  Post base;
  base.id = "NW1";
  base.title = "t";
  if (list && !list->empty()) base = list->front().post;
  const auto detail = parse::apply_detail(base, bytes, mapping, ctx);
  if (detail) fuzz::require(parse::is_valid_utf8(detail->body_text));
  return 0;
}
