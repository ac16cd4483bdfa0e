// Category slugs: ASCII [a-z0-9-] names for routing and the record's `category` field.
#pragma once

#include <string>
#include <string_view>

namespace newsd::parse {

// True when `s` is already a slug: [a-z0-9] words joined by single '-'.
bool is_slug(std::string_view s);

// `text` as a slug: Chinese becomes pinyin without tones or spaces (新华财经 -> xinhuacaijing),
// other scripts are transliterated to Latin, then everything but [a-z0-9-] is dropped and
// runs of '-' collapse. Empty when nothing is left. Thread-safe.
std::string slugify(std::string_view text);

}  // namespace newsd::parse
