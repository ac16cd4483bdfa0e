// The per-format parsers behind parse(). Each takes valid UTF-8 (charset already handled)
// and fills everything but `source`, `fetched_at` and `content_sha256`, which parse() sets.
// They may throw on resource exhaustion only; parse() turns that into an Error.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parse/parser.h"

namespace newsd::parse {

// More entries than this in one document are dropped (and logged).
inline constexpr std::size_t kMaxEntries = 10'000;

Expected<std::vector<Parsed>> parse_jekyll(std::string_view text, const Context& ctx);
Expected<std::vector<Parsed>> parse_text(std::string_view text, const Context& ctx);
// XML feeds: parse_feed() in feed_info.h.
// An article page (html.cpp): read_html_page() after the pre-pass (html/prepass.h) has
// taken out the bytes the reader never looks at. The pre-pass must not change the records
// (the tests and the html fuzzer hold the two equal).
Expected<std::vector<Parsed>> parse_html(std::string_view text, const Context& ctx);
Expected<std::vector<Parsed>> read_html_page(std::string_view text, const Context& ctx);
// json_api needs ctx.json_api (an error without it); JSON Feed 1.0/1.1 (json.cpp).
Expected<std::vector<Parsed>> parse_json_api(std::string_view text, const Context& ctx);
Expected<std::vector<Parsed>> parse_jsonfeed(std::string_view text, const Context& ctx);

// The seed format's trailing outlet paragraph (`<p class="em_media">`, or a last paragraph
// reading （文章来源：X）): removed from `html`, and the outlet returned (jekyll.cpp).
std::optional<std::string> take_media_paragraph(std::string& html);

// id for a document without one of its own: the slug of ctx.file_name, else of ctx.url,
// else ctx.url, else empty (parse() then falls back to the URL or the content digest).
std::string fallback_id(const Context& ctx);

}  // namespace newsd::parse
