// Charset handling: every document is turned into valid UTF-8 before parsing.
//
// Order (DESIGN.md): the declared charset — HTTP Content-Type `charset=`, then the XML
// declaration's `encoding=`, then an HTML `<meta charset>` — wins, except when the bytes are
// invalid in it and valid UTF-8; then UTF-8. Without a usable declaration, valid UTF-8 stays
// as is and anything else is detected with uchardet. Invalid sequences become U+FFFD.
#pragma once

#include <string>
#include <string_view>

namespace newsd::parse {

// The charset named by a Content-Type header ("text/xml; charset=GBK" -> "GBK"), else empty.
std::string charset_from_content_type(std::string_view content_type);

// The charset declared inside the document (XML declaration, then HTML meta within the
// first few KiB), else empty.
std::string charset_from_document(std::string_view bytes);

// `bytes` as valid UTF-8 without a byte order mark. Never throws on bad input.
std::string to_utf8(std::string_view bytes, std::string_view content_type);

}  // namespace newsd::parse
