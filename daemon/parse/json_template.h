// json_api templates: `detail.url`, and `url` / `origin_url` in `fields` when they hold a
// `{name}`. A bare {name} that is a record field (id, title, url, ...) is the value the record
// got from the item; any other bare {name} is the item's member `name`, and {/a/b} is the
// item's value at that JSON pointer. Values are URL-encoded when rendered (json.cpp).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace newsd::parse {

// True when a `fields` value is a template rather than a JSON pointer.
bool is_template(std::string_view value);

// A template cut into literal text and the names between braces (trimmed).
struct TemplatePiece {
  std::string_view text;
  bool is_name = false;
};
Expected<std::vector<TemplatePiece>> split_template(std::string_view tmpl);

// True when the bare name is a record field a template can name (a single value); such a
// name is never read from the item.
bool names_record_field(std::string_view name);

// Why `tmpl` could never be rendered with a mapping of `fields` (record field -> JSON pointer
// or template), as the template of `field` ("url", "origin_url", or empty for detail.url):
// malformed braces, an empty name, an invalid pointer, a record field the mapping does not
// give or that is not a single value (body, tags, ...). A url template may name origin_url
// only when that is a pointer, and no template names its own field. nullopt when it can be.
std::optional<std::string> template_problem(std::string_view tmpl,
                                            const std::map<std::string, std::string>& fields,
                                            std::string_view field = {});

// `value` percent-encoded but for RFC 3986's unreserved characters.
std::string url_encode(std::string_view value);

}  // namespace newsd::parse
