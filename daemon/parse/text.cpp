// Plain text: title = first non-empty line, body = the remaining non-empty lines.
#include <string>

#include "parse/formats.h"
#include "parse/text_util.h"

namespace newsd::parse {

Expected<std::vector<Parsed>> parse_text(std::string_view input, const Context& ctx) {
  Post post;
  for (std::string_view line : split_lines(strip_bom(input))) {
    const std::string_view t = trim(line);
    if (t.empty()) continue;
    if (post.title.empty()) {
      post.title = normalize_ws(t);
      continue;
    }
    if (!post.body_text.empty()) post.body_text.push_back('\n');
    post.body_text.append(t);
  }
  if (post.title.empty()) return make_error("text: the document is empty");
  post.url = ctx.url;
  post.id = fallback_id(ctx);
  std::vector<Parsed> out;
  out.push_back(Parsed{std::move(post), std::nullopt, std::nullopt});
  return out;
}

}  // namespace newsd::parse
