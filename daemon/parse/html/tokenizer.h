// The pieces of the HTML5 tokenizer that the pre-pass (prepass.cpp) and the one-pass text
// extraction (fast_text.cpp) both read markup with: tags with their attributes, comments, the
// ends of raw-text and script elements, and character references. Each follows the states of
// the WHATWG tokenizer as far as it goes and says when the input leaves what it models.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/ascii.h"

namespace newsd::parse::html {

inline constexpr std::size_t npos = std::string_view::npos;

struct Attribute {
  std::string_view raw;    // from the name's first byte to the value's last
  std::string_view name;   // as written
  std::string_view value;  // as written, without quotes
  char quote = 0;          // '"' or '\'' around the value, ' ' unquoted, 0 no value at all
};

struct TagToken {
  std::string_view name;  // as written
  std::size_t end = 0;    // index just past '>'
  bool self_closing = false;
};

// Tokenizes the tag whose name starts at s[i] (after "<" or "</") as the HTML5 tokenizer
// does, from the tag name state to the '>' that emits it, calling on_attribute(Attribute)
// for each attribute in order. false when the input ends first (the tokenizer then drops
// the tag). Inline: the text path calls it for every tag of every feed entry, with an
// on_attribute that does nothing.
template <typename OnAttribute>
bool read_tag(std::string_view s, std::size_t i, TagToken& tag, OnAttribute&& on_attribute) {
  using ascii::is_html_space;
  const std::size_t n = s.size();
  const std::size_t name_start = i;
  while (i < n && !is_html_space(s[i]) && s[i] != '/' && s[i] != '>') ++i;
  tag.name = s.substr(name_start, i - name_start);
  tag.self_closing = false;
  // Before attribute name (also: after attribute name, after a quoted value).
  while (true) {
    while (i < n && is_html_space(s[i])) ++i;
    if (i >= n) return false;
    if (s[i] == '>') {
      tag.end = i + 1;
      return true;
    }
    if (s[i] == '/') {
      // Self-closing start tag state: only "/>" sets the flag; anything else is
      // reconsumed as the start of an attribute name.
      ++i;
      if (i >= n) return false;
      if (s[i] == '>') {
        tag.self_closing = true;
        tag.end = i + 1;
        return true;
      }
      continue;
    }
    // Attribute name: the first character may be anything ('=' included).
    const std::size_t attr_start = i;
    ++i;
    while (i < n && !is_html_space(s[i]) && s[i] != '/' && s[i] != '>' && s[i] != '=') ++i;
    const std::string_view name = s.substr(attr_start, i - attr_start);
    std::size_t attr_end = i;
    std::string_view value;
    char quote = 0;
    std::size_t j = i;
    while (j < n && is_html_space(s[j])) ++j;
    if (j >= n) return false;
    if (s[j] == '=') {
      ++j;
      while (j < n && is_html_space(s[j])) ++j;
      if (j >= n) return false;
      if (s[j] == '"' || s[j] == '\'') {
        const std::size_t close = s.find(s[j], j + 1);
        if (close == npos) return false;
        value = s.substr(j + 1, close - j - 1);
        quote = s[j];
        attr_end = close + 1;
        i = close + 1;
      } else if (s[j] == '>') {
        attr_end = j;  // "name=>": an empty value, then the tag ends
        quote = ' ';
        i = j;
      } else {
        const std::size_t value_start = j;
        while (j < n && !is_html_space(s[j]) && s[j] != '>') ++j;
        if (j >= n) return false;
        value = s.substr(value_start, j - value_start);
        quote = ' ';
        attr_end = j;
        i = j;
      }
    }
    // Without '=', the next token starts at the name's end (i): '/', '>', or a new name.
    on_attribute(Attribute{s.substr(attr_start, attr_end - attr_start), name, value, quote});
  }
}

// The comment whose "<!--" is at s[lt].
struct Comment {
  std::size_t end = npos;  // just past its "-->", or npos when none follows
  bool abrupt = false;     // "<!-->" or "<!--->", which the tokenizer ends at once
  bool bang = false;       // a "--!>" comes first, which ends a comment too
};
Comment read_comment(std::string_view s, std::size_t lt);

// "</name" followed by what ends a tag name (the "appropriate end tag" of the raw text,
// RCDATA and script states) at s[i]; `name` is lower case.
bool is_end_tag_of(std::string_view s, std::size_t i, std::string_view name);

// The '<' of the end tag closing a RAWTEXT/RCDATA element whose content starts at s[i].
std::size_t raw_text_end(std::string_view s, std::size_t i, std::string_view name);

// The '<' of the end tag closing a <script> whose content starts at s[i], following the
// script data states of the tokenizer (escaped after "<!--", double-escaped after a nested
// "<script"), or npos when the script runs to the end of the input.
std::size_t script_end(std::string_view s, std::size_t i);

// Whether gumbo's input reader replaces the character at s[i] (valid UTF-8) with U+FFFD: NUL,
// C0 controls other than tab, LF, FF and CR, DEL, C1 controls and noncharacters (utf8.c's
// utf8_is_invalid_code_point).
bool replaced_by_gumbo(std::string_view s, std::size_t i);

// A character reference at s[i] ('&').
struct Reference {
  enum Kind {
    literal,  // '&' cannot start a reference here: it is text
    decoded,  // `code_point`
    unknown,  // a reference only the full tokenizer decodes right (other names, no ';',
              // numbers it corrects)
  };
  Kind kind;
  char32_t code_point = 0;
  std::size_t next = 0;  // index after the reference (after the '&' when literal)
};
// Knows the named references feeds actually use and plain numeric ones.
Reference read_reference(std::string_view s, std::size_t i);

// Writes `cp` as UTF-8 to `out` (room for 4 bytes); returns the length.
std::size_t encode_utf8(char32_t cp, char* out);

}  // namespace newsd::parse::html
