// Decoding a document from a legacy charset into UTF-8 with ICU, for to_utf8() (charset.h),
// which decides which charset a document is in.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace newsd::parse {

// `bytes` in `charset` (a name ICU knows, as canonical labels are) converted to UTF-8. With
// `strict`, nullopt when any byte sequence is invalid or unmapped; otherwise such sequences
// become U+FFFD. nullopt as well for a charset ICU does not know. Thread-safe: converters
// are cached per thread, and the tables built from them are shared read-only.
std::optional<std::string> convert_charset(std::string_view bytes, const std::string& charset,
                                           bool strict);

}  // namespace newsd::parse
