// Small UTF-8 text helpers shared by the parsers (the ASCII ones are in core/ascii.h). All
// functions accept any bytes and never throw on malformed input (invalid sequences count as
// one code point per byte).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace newsd::parse {

// Length of the ASCII run from s[i] on (eight bytes at a time).
std::size_t ascii_run(std::string_view s, std::size_t i);

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF).
bool is_valid_utf8(std::string_view s);

// `s` with every ill-formed sequence replaced by U+FFFD.
std::string sanitize_utf8(std::string_view s);

// Strips a leading UTF-8 byte order mark.
std::string_view strip_bom(std::string_view s);

// ASCII whitespace, U+00A0, U+3000 and the other Unicode spaces at either end removed.
std::string_view trim(std::string_view s);

// Runs of whitespace (as in trim) become one ASCII space; the ends are trimmed.
std::string normalize_ws(std::string_view s);
// The words of `s` after normalize_ws(): split at its single spaces.
std::vector<std::string> split_ws(std::string_view s);
// The same, appended to `out` (whose existing content does not count as leading text).
void append_normalized_ws(std::string& out, std::string_view s);

// Plain text keeping its lines: each line (LF or CRLF) normalize_ws()'d, blank lines dropped,
// joined with '\n'.
std::string text_lines(std::string_view s);

// `s` in Unicode Normalization Form C (composed: "e\u0301" -> "é"). Invalid UTF-8 is
// repaired first. Cheap for ASCII and for text that is already NFC.
std::string to_nfc(std::string s);

// At most `max_chars` code points of `s`, cut on a code point boundary.
std::string cut_chars(std::string_view s, std::size_t max_chars);

// Lines of `s` split on LF, each without its trailing CR.
std::vector<std::string_view> split_lines(std::string_view s);

// The title rule of DESIGN.md: the first non-empty line of `summary`, else of `body`, cut at
// 100 characters; failing that `url`; failing that empty.
std::string derive_title(const std::optional<std::string>& summary, std::string_view body,
                         const std::optional<std::string>& url);

// The last path segment of `url` without query, fragment or extension ("000_defc41a5");
// empty when there is none.
std::string file_slug(std::string_view url);

// True for http:// and https:// URLs (case-insensitive scheme).
bool is_absolute_http(std::string_view url);

// `ref` resolved against `base` (RFC 3986); `ref` unchanged when `base` is not absolute or
// either does not parse.
std::string resolve_url(std::string_view base, std::string_view ref);

}  // namespace newsd::parse
