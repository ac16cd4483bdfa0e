// Binary content where a document was expected: a source URL that points to an image, an
// archive or a download. Such bytes are refused with what they are, never parsed into a post
// whose title is NUL bytes and U+FFFD.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace newsd::parse {

// What `bytes` are when they are not a document, from the Content-Type (image/, audio/,
// video/, font/) or a known image/archive signature at the start; nullopt otherwise.
std::optional<std::string> binary_signature(std::string_view bytes, std::string_view content_type);

// True when the first 8 KiB of `text` (already UTF-8: a UTF-16 document has been decoded)
// hold a NUL byte, which no text format carries.
bool has_nul_bytes(std::string_view text);

}  // namespace newsd::parse
