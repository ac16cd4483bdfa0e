#include "parse/html/tokenizer.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

namespace newsd::parse::html {
namespace {

using ascii::is_html_space;

// ASCII letters at s[i..] lowered equal `word`, followed by a space, '/' or '>': the
// temporary-buffer test of the script data double escape start/end states.
bool is_script_word_at(std::string_view s, std::size_t i) {
  std::size_t j = i;
  while (j < s.size() && ascii::is_alpha(s[j])) ++j;
  if (j >= s.size()) return false;
  const char c = s[j];
  return (is_html_space(c) || c == '/' || c == '>') &&
         ascii::equals_lower(s.substr(i, j - i), "script");
}

// Code points a numeric reference may name without any of the tokenizer's corrections
// (NUL, C0/C1 controls, surrogates, noncharacters and out-of-range values are remapped or
// flagged by HTML5; those go to gumbo).
bool is_plain_code_point(char32_t cp) {
  if (cp == '\t' || cp == '\n') return true;
  if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) return false;
  if (cp >= 0xD800 && cp <= 0xDFFF) return false;
  if (cp >= 0xFDD0 && cp <= 0xFDEF) return false;
  if ((cp & 0xFFFE) == 0xFFFE) return false;
  return cp <= 0x10FFFF;
}

struct NamedEntity {
  std::string_view name;
  char32_t code_point;
};

// The named references feeds actually use; any other name goes to gumbo's full table.
constexpr std::array<NamedEntity, 60> kEntities = {{
    {"amp", U'&'},         {"lt", U'<'},          {"gt", U'>'},          {"quot", U'"'},
    {"apos", U'\''},       {"nbsp", U'\u00A0'},   {"copy", U'\u00A9'},   {"reg", U'\u00AE'},
    {"trade", U'\u2122'},  {"hellip", U'\u2026'}, {"mdash", U'\u2014'},  {"ndash", U'\u2013'},
    {"lsquo", U'\u2018'},  {"rsquo", U'\u2019'},  {"ldquo", U'\u201C'},  {"rdquo", U'\u201D'},
    {"sbquo", U'\u201A'},  {"bdquo", U'\u201E'},  {"laquo", U'\u00AB'},  {"raquo", U'\u00BB'},
    {"lsaquo", U'\u2039'}, {"rsaquo", U'\u203A'}, {"middot", U'\u00B7'}, {"bull", U'\u2022'},
    {"deg", U'\u00B0'},    {"times", U'\u00D7'},  {"divide", U'\u00F7'}, {"euro", U'\u20AC'},
    {"pound", U'\u00A3'},  {"yen", U'\u00A5'},    {"cent", U'\u00A2'},   {"sect", U'\u00A7'},
    {"para", U'\u00B6'},   {"shy", U'\u00AD'},    {"ensp", U'\u2002'},   {"emsp", U'\u2003'},
    {"thinsp", U'\u2009'}, {"zwnj", U'\u200C'},   {"zwj", U'\u200D'},    {"lrm", U'\u200E'},
    {"rlm", U'\u200F'},    {"iexcl", U'\u00A1'},  {"iquest", U'\u00BF'}, {"eacute", U'\u00E9'},
    {"egrave", U'\u00E8'}, {"ecirc", U'\u00EA'},  {"agrave", U'\u00E0'}, {"aacute", U'\u00E1'},
    {"acirc", U'\u00E2'},  {"ccedil", U'\u00E7'}, {"uuml", U'\u00FC'},   {"ouml", U'\u00F6'},
    {"auml", U'\u00E4'},   {"szlig", U'\u00DF'},  {"Eacute", U'\u00C9'}, {"oacute", U'\u00F3'},
    {"iacute", U'\u00ED'}, {"uacute", U'\u00FA'}, {"ntilde", U'\u00F1'}, {"prime", U'\u2032'},
}};

// Names HTML5 decodes even without the ';' ("&copy 2024"). After '&', text that starts with
// one of them goes to gumbo; any other name without ';' ("R&D") is literal text.
constexpr std::string_view kLegacyEntities[] = {
    "AElig",  "AMP",    "Aacute", "Acirc",  "Agrave", "Aring",  "Atilde", "Auml",   "COPY",
    "Ccedil", "ETH",    "Eacute", "Ecirc",  "Egrave", "Euml",   "GT",     "Iacute", "Icirc",
    "Igrave", "Iuml",   "LT",     "Ntilde", "Oacute", "Ocirc",  "Ograve", "Oslash", "Otilde",
    "Ouml",   "QUOT",   "REG",    "THORN",  "Uacute", "Ucirc",  "Ugrave", "Uuml",   "Yacute",
    "aacute", "acirc",  "acute",  "aelig",  "agrave", "amp",    "aring",  "atilde", "auml",
    "brvbar", "ccedil", "cedil",  "cent",   "copy",   "curren", "deg",    "divide", "eacute",
    "ecirc",  "egrave", "eth",    "euml",   "frac12", "frac14", "frac34", "gt",     "iacute",
    "icirc",  "iexcl",  "igrave", "iquest", "iuml",   "laquo",  "lt",     "macr",   "micro",
    "middot", "nbsp",   "not",    "ntilde", "oacute", "ocirc",  "ograve", "ordf",   "ordm",
    "oslash", "otilde", "ouml",   "para",   "plusmn", "pound",  "quot",   "raquo",  "reg",
    "sect",   "shy",    "sup1",   "sup2",   "sup3",   "szlig",  "thorn",  "times",  "uacute",
    "ucirc",  "ugrave", "uml",    "uuml",   "yacute", "yen",    "yuml"};

bool starts_with_legacy_entity(std::string_view s) {
  for (std::string_view name : kLegacyEntities) {
    if (s.starts_with(name)) return true;
  }
  return false;
}

std::optional<char32_t> named_entity(std::string_view name) {
  for (const NamedEntity& e : kEntities) {
    if (e.name == name) return e.code_point;
  }
  return std::nullopt;
}

// Decodes a numeric reference body ("#123", "#x1F"); nullopt unless plain (see above).
std::optional<char32_t> numeric_entity(std::string_view body) {
  const bool hex = body.size() > 1 && (body[1] == 'x' || body[1] == 'X');
  const std::string_view digits = body.substr(hex ? 2 : 1);
  if (digits.empty() || digits.size() > 7) return std::nullopt;
  char32_t cp = 0;
  for (const char c : digits) {
    int v;
    if (ascii::is_digit(c)) {
      v = c - '0';
    } else if (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      v = (c | 0x20) - 'a' + 10;
    } else {
      return std::nullopt;
    }
    cp = cp * (hex ? 16 : 10) + static_cast<char32_t>(v);
  }
  if (!is_plain_code_point(cp)) return std::nullopt;
  return cp;
}

}  // namespace

Comment read_comment(std::string_view s, std::size_t lt) {
  Comment c;
  const std::string_view body = s.substr(lt + 4);
  c.abrupt = body.starts_with('>') || body.starts_with("->");
  const std::size_t close = s.find("-->", lt + 2);
  // "--!>" is looked for up to "-->" only, so that a page of many comments is not searched
  // to its end for each.
  const std::size_t searched = close == npos ? s.size() : close + 3;
  c.bang = s.substr(lt + 2, searched - (lt + 2)).find("--!>") != npos;
  if (close != npos) c.end = close + 3;
  return c;
}

bool is_end_tag_of(std::string_view s, std::size_t i, std::string_view name) {
  if (i + 2 + name.size() >= s.size() || s[i] != '<' || s[i + 1] != '/') return false;
  if (!ascii::equals_lower(s.substr(i + 2, name.size()), name)) return false;
  const char c = s[i + 2 + name.size()];
  return is_html_space(c) || c == '/' || c == '>';
}

std::size_t raw_text_end(std::string_view s, std::size_t i, std::string_view name) {
  while (true) {
    const std::size_t lt = s.find("</", i);
    if (lt == npos) return npos;
    if (is_end_tag_of(s, lt, name)) return lt;
    i = lt + 2;
  }
}

std::size_t script_end(std::string_view s, std::size_t i) {
  // The script data states: data, escaped and double escaped, each escaped one with its
  // "dash" and "dash dash" states (`dashes`).
  enum class Mode { data, escaped, double_escaped };
  const std::size_t n = s.size();
  Mode mode = Mode::data;
  int dashes = 0;
  while (i < n) {
    if (mode == Mode::data) {
      const void* lt = std::memchr(s.data() + i, '<', n - i);
      if (lt == nullptr) return npos;
      i = static_cast<std::size_t>(static_cast<const char*>(lt) - s.data());
      if (is_end_tag_of(s, i, "script")) return i;
      if (s.substr(i).starts_with("<!--")) {
        i += 4;
        mode = Mode::escaped;
        dashes = 2;
      } else {
        ++i;  // the next character is reconsumed in the data state
      }
      continue;
    }
    const char c = s[i];
    if (c == '-') {
      dashes = std::min(dashes + 1, 2);
      ++i;
      continue;
    }
    if (c == '>' && dashes == 2) {
      ++i;
      mode = Mode::data;
      continue;
    }
    dashes = 0;
    if (c == '<' && mode == Mode::escaped) {
      // Escaped less-than sign state.
      if (is_end_tag_of(s, i, "script")) return i;
      if (i + 1 < n && ascii::is_alpha(s[i + 1]) && is_script_word_at(s, i + 1)) {
        i += 1 + 6 + 1;  // "<script" and the character that ended the word
        mode = Mode::double_escaped;
        continue;
      }
    } else if (c == '<') {
      // Double-escaped less-than sign state: "</script" + end back to escaped.
      if (i + 2 < n && s[i + 1] == '/' && is_script_word_at(s, i + 2)) {
        i += 2 + 6 + 1;
        mode = Mode::escaped;
        continue;
      }
    }
    ++i;
  }
  return npos;
}

bool replaced_by_gumbo(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return c < 0x20 ? !ascii::is_html_space(static_cast<char>(c)) : c == 0x7F;
  if (c == 0xC2) return i + 1 < s.size() && b(i + 1) < 0xA0;  // U+0080-U+009F
  if (c == 0xEF) {                                            // U+FDD0-U+FDEF, U+FFFE/F
    return i + 2 < s.size() && ((b(i + 1) == 0xB7 && b(i + 2) >= 0x90 && b(i + 2) <= 0xAF) ||
                                (b(i + 1) == 0xBF && b(i + 2) >= 0xBE));
  }
  // U+1FFFE, U+1FFFF, ... U+10FFFF
  return c >= 0xF0 && i + 3 < s.size() && (b(i + 1) & 0x0F) == 0x0F && b(i + 2) == 0xBF &&
         b(i + 3) >= 0xBE;
}

Reference read_reference(std::string_view s, std::size_t i) {
  const std::size_t start = i + 1;
  if (start >= s.size() ||
      !(ascii::is_alpha(s[start]) || ascii::is_digit(s[start]) || s[start] == '#')) {
    return {Reference::literal, 0, start};
  }
  std::size_t end = start + 1;
  while (end < s.size() && end - start <= 10 && ascii::is_alnum(s[end])) ++end;
  const std::string_view body = s.substr(start, end - start);
  if (end >= s.size() || s[end] != ';') {
    // No ';': only a legacy name could be a reference here.
    if (body[0] == '#' || end - start > 10 || starts_with_legacy_entity(body)) {
      return {Reference::unknown, 0, start};
    }
    return {Reference::literal, 0, start};
  }
  const std::optional<char32_t> cp = body[0] == '#' ? numeric_entity(body) : named_entity(body);
  if (!cp) return {Reference::unknown, 0, start};
  return {Reference::decoded, *cp, end + 1};
}

std::size_t encode_utf8(char32_t cp, char* out) {
  if (cp < 0x80) {
    out[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    out[0] = static_cast<char>(0xC0 | (cp >> 6));
    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (cp >> 12));
    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (cp >> 18));
  out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

}  // namespace newsd::parse::html
