// ASCII character classes and case-insensitive comparisons, in one place for every stage.
// Markup names, header names, charset labels and URL schemes are ASCII by their specs, so
// these never look at locales (std::tolower does, and is slower for it) and never touch
// bytes >= 0x80: UTF-8 text passes through unchanged.
//
// Functions named *_lower take a pattern that must already be lower case; they lower only
// the other side, which is what the hot paths want (patterns are literals).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace newsd::ascii {

constexpr bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
constexpr bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
constexpr bool is_alpha(char c) {
  return is_upper(c) || is_lower(c);
}
constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
constexpr bool is_alnum(char c) {
  return is_alpha(c) || is_digit(c);
}
constexpr char to_lower(char c) {
  return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr char to_upper(char c) {
  return is_lower(c) ? static_cast<char>(c - 'a' + 'A') : c;
}

// HTML's ASCII whitespace (space, tab, LF, FF, CR: the tokenizer's view, CR included).
constexpr bool is_html_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}
// Whitespace around HTTP header fields and lines (RFC 9110 OWS plus the line end).
constexpr bool is_http_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Both sides lowered.
constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (to_lower(a[k]) != to_lower(b[k])) return false;
  }
  return true;
}

// `s` lowered equals `lower`.
constexpr bool equals_lower(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (std::size_t k = 0; k < s.size(); ++k) {
    if (to_lower(s[k]) != lower[k]) return false;
  }
  return true;
}

constexpr bool starts_with_lower(std::string_view s, std::string_view lower) {
  return s.size() >= lower.size() && equals_lower(s.substr(0, lower.size()), lower);
}

// Position of `lower` in `s` at or after `from` ignoring ASCII case, or npos. These run over
// whole documents: a pattern that starts with a non-letter ("<meta", "<?xml") lets memchr
// find the candidates.
inline std::size_t find_lower(std::string_view s, std::string_view lower, std::size_t from = 0) {
  if (lower.empty()) return from <= s.size() ? from : std::string_view::npos;
  const char first = lower[0];
  const char first_upper = to_upper(first);
  if (first == first_upper) {
    for (std::size_t i = s.find(first, from); i != std::string_view::npos;
         i = s.find(first, i + 1)) {
      if (i + lower.size() > s.size()) break;
      if (equals_lower(s.substr(i, lower.size()), lower)) return i;
    }
    return std::string_view::npos;
  }
  for (std::size_t i = from; i + lower.size() <= s.size(); ++i) {
    if ((s[i] == first || s[i] == first_upper) && equals_lower(s.substr(i, lower.size()), lower)) {
      return i;
    }
  }
  return std::string_view::npos;
}

inline std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower(c);
  return out;
}

// `s` without leading and trailing HTTP whitespace.
constexpr std::string_view trim_http(std::string_view s) {
  while (!s.empty() && is_http_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_http_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace newsd::ascii
