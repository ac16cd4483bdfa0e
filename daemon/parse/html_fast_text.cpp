// HTML -> text in one pass, for the simple fragments that make up most feed summaries,
// content:encoded bodies and jekyll posts.
//
// gumbo builds a whole HTML5 document per fragment, which made it the largest cost of a feed
// parse. The text html_to_text() extracts depends only on the order of text and of paragraph
// breaks (block elements' starts and ends), so a fragment whose markup cannot make the HTML5
// tree builder reorder text or move a block boundary gives the same text from its token
// stream alone. This file recognizes such fragments and answers nullopt for everything else
// (scripts, head or foreign elements, misnested formatting, rare entities, unusual comments,
// tables whose text the builder would move out of them, ...), which then takes the gumbo
// path. Tables themselves are followed: the thumbnail-and-caption table of a Reddit entry
// cost gumbo 60 us for 1 KB, more than the rest of its feed's 25 entries together. "Same text as
// gumbo" is what the tests hold it to (html_text_test.cpp compares both paths on generated
// fragments).
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "parse/html_text.h"
#include "parse/html_text_internal.h"

namespace newsd::parse {
namespace {

using detail::TextSink;

// How the tree builder treats a start tag, reduced to what matters for text.
enum class TagClass {
  unsupported,  // needs the full parser
  phrasing,     // ordinary inline element: no effect on paragraphs
  formatting,   // b, i, ...: inline, but misnesting triggers the adoption agency
  anchor,       // a: formatting, and a nested <a> closes the open one
  void_inline,  // img, wbr
  br,
  hr,
  block,    // closes an open p, opens a paragraph
  heading,  // h1-h6: as block, and a heading directly inside a heading is closed
  list_item,
  definition,  // dd, dt
};

TagClass classify(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_SPAN:
    case GUMBO_TAG_ABBR:
    case GUMBO_TAG_CITE:
    case GUMBO_TAG_DFN:
    case GUMBO_TAG_KBD:
    case GUMBO_TAG_MARK:
    case GUMBO_TAG_Q:
    case GUMBO_TAG_SAMP:
    case GUMBO_TAG_SUB:
    case GUMBO_TAG_SUP:
    case GUMBO_TAG_TIME:
    case GUMBO_TAG_VAR:
    case GUMBO_TAG_BDI:
    case GUMBO_TAG_BDO:
    case GUMBO_TAG_INS:
    case GUMBO_TAG_DEL:
    case GUMBO_TAG_DATA:
    case GUMBO_TAG_LABEL:
    case GUMBO_TAG_UNKNOWN:
      return TagClass::phrasing;
    case GUMBO_TAG_B:
    case GUMBO_TAG_BIG:
    case GUMBO_TAG_CODE:
    case GUMBO_TAG_EM:
    case GUMBO_TAG_FONT:
    case GUMBO_TAG_I:
    case GUMBO_TAG_S:
    case GUMBO_TAG_SMALL:
    case GUMBO_TAG_STRIKE:
    case GUMBO_TAG_STRONG:
    case GUMBO_TAG_TT:
    case GUMBO_TAG_U:
      return TagClass::formatting;
    case GUMBO_TAG_A:
      return TagClass::anchor;
    case GUMBO_TAG_IMG:
    case GUMBO_TAG_WBR:
      return TagClass::void_inline;
    case GUMBO_TAG_BR:
      return TagClass::br;
    case GUMBO_TAG_HR:
      return TagClass::hr;
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_CENTER:
    case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_FIELDSET:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_P:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_SUMMARY:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_UL:
      return TagClass::block;
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
      return TagClass::heading;
    case GUMBO_TAG_LI:
      return TagClass::list_item;
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DT:
      return TagClass::definition;
    default:
      return TagClass::unsupported;
  }
}

bool is_inline(TagClass c) {
  return c == TagClass::phrasing || c == TagClass::formatting || c == TagClass::anchor;
}

bool is_heading(GumboTag t) {
  return t >= GUMBO_TAG_H1 && t <= GUMBO_TAG_H6;
}

bool is_ascii_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_ascii_digit(char c) {
  return c >= '0' && c <= '9';
}

constexpr bool is_html_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

// ---- tokens --------------------------------------------------------------------------------

struct Tag {
  GumboTag tag;
  bool end;
  std::size_t next;  // index just past the closing '>'
};

// The tag whose name starts at s[i] (after "<" or "</"), with the attribute syntax of the
// HTML tokenizer, so that a '>' inside a quoted value does not end it. nullopt when the
// input ends inside the tag (the tokenizer would drop it) or the name is too long to be one
// the fast path knows.
std::optional<Tag> read_tag(std::string_view s, std::size_t i, bool end) {
  const std::size_t name_start = i;
  while (i < s.size() && !is_html_space(s[i]) && s[i] != '/' && s[i] != '>') ++i;
  char name[16];
  const std::size_t len = i - name_start;
  GumboTag tag = GUMBO_TAG_UNKNOWN;
  if (len < sizeof name) {
    for (std::size_t k = 0; k < len; ++k) {
      const char c = s[name_start + k];
      name[k] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    tag = gumbo_tagn_enum(name, static_cast<unsigned>(len));
  }
  // Attributes: names, then optional =value (quoted or not), until '>'. A '/' outside a
  // value only marks a self-closing tag, which changes nothing here.
  enum { before_name, in_name, after_name, before_value, in_unquoted } state = before_name;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '>' && state != before_value) return Tag{tag, end, i + 1};
    switch (state) {
      case before_name:
        if (!is_html_space(c) && c != '/') state = in_name;
        break;
      case in_name:
        if (is_html_space(c)) state = after_name;
        if (c == '/') state = before_name;
        if (c == '=') state = before_value;
        break;
      case after_name:
        if (c == '/') state = before_name;
        if (c == '=') state = before_value;
        if (!is_html_space(c) && c != '/' && c != '=') state = in_name;
        break;
      case before_value:
        if (c == '>') return Tag{tag, end, i + 1};  // an attribute without a value
        if (c == '"' || c == '\'') {
          const std::size_t close = s.find(c, i + 1);
          if (close == std::string_view::npos) return std::nullopt;
          i = close;
          state = before_name;
        } else if (!is_html_space(c)) {
          state = in_unquoted;
        }
        break;
      case in_unquoted:
        if (is_html_space(c)) state = before_name;
        break;
    }
  }
  return std::nullopt;
}

// Index just past a comment starting at s[i] ("<!--"), or nullopt for the unusual forms
// ("<!-->", "<!--->") left to gumbo. An unclosed comment runs to the end, as in HTML.
std::optional<std::size_t> skip_comment(std::string_view s, std::size_t i) {
  const std::string_view body = s.substr(i + 4);
  if (body.starts_with('>') || body.starts_with("->")) return std::nullopt;
  const std::size_t close = body.find("-->");
  const std::size_t bang = body.find("--!>");
  if (bang != std::string_view::npos && (close == std::string_view::npos || bang < close)) {
    return std::nullopt;
  }
  if (close == std::string_view::npos) return s.size();
  return i + 4 + close + 3;
}

// Writes `cp` as UTF-8 to `out` (room for 4 bytes); returns the length.
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
    if (is_ascii_digit(c)) {
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

// The character reference at s[i] ('&'): its text goes to `sink`, and the index after it is
// returned. A '&' that cannot start a reference is literal. nullopt for references only
// gumbo decodes right (unknown or unterminated names, unusual numbers).
std::optional<std::size_t> read_reference(std::string_view s, std::size_t i, TextSink& sink) {
  const std::size_t start = i + 1;
  if (start >= s.size() ||
      !(is_ascii_alpha(s[start]) || is_ascii_digit(s[start]) || s[start] == '#')) {
    sink.text('&');
    return start;
  }
  std::size_t end = start + 1;
  while (end < s.size() && end - start <= 10 &&
         (is_ascii_alpha(s[end]) || is_ascii_digit(s[end]))) {
    ++end;
  }
  const std::string_view body = s.substr(start, end - start);
  if (end >= s.size() || s[end] != ';') {
    // No ';': only a legacy name could be a reference here.
    if (body[0] == '#' || end - start > 10 || starts_with_legacy_entity(body)) return std::nullopt;
    sink.text('&');
    return start;
  }
  const std::optional<char32_t> cp = body[0] == '#' ? numeric_entity(body) : named_entity(body);
  if (!cp) return std::nullopt;
  char utf8[4];
  sink.text(std::string_view(utf8, encode_utf8(*cp, utf8)));
  return end + 1;
}

// ---- tree builder, reduced -----------------------------------------------------------------

bool is_table_section(GumboTag t) {
  return t == GUMBO_TAG_TBODY || t == GUMBO_TAG_THEAD || t == GUMBO_TAG_TFOOT;
}
bool is_cell(GumboTag t) {
  return t == GUMBO_TAG_TD || t == GUMBO_TAG_TH;
}
// Where an element "in scope" stops being looked for (of the HTML5 scope markers, the only
// ones the fast path ever opens).
bool is_scope_marker(GumboTag t) {
  return is_cell(t) || t == GUMBO_TAG_TABLE;
}

// The tree builder's insertion modes that matter here. In the three table modes only table
// structure may be open above the table, so the top of the stack tells the mode.
enum class Mode { body, table, table_body, row, cell };

// The stack of open elements as the HTML5 tree builder keeps it, for fragments in which
// nothing is ever reparented: whenever an operation would close an inline element
// implicitly (whose formatting the builder would later reconstruct) or end a misnested
// one, the fragment is refused. Under that restriction an inline element is never open
// outside the innermost cell (a table is refused inside one), and "in scope" is "on the
// stack above the innermost cell or table".
class OpenElements {
 public:
  bool push(GumboTag t) {
    if (depth_ == stack_.size()) return false;
    stack_[depth_++] = t;
    return true;
  }
  bool contains(GumboTag t) const { return find(t) != kNone; }
  // Anywhere on the stack, not only in scope: <pre> around a table still keeps the lines
  // of the table's cells.
  bool contains_anywhere(GumboTag t) const {
    for (std::size_t k = 0; k < depth_; ++k) {
      if (stack_[k] == t) return true;
    }
    return false;
  }
  bool contains_heading() const {
    for (std::size_t k = depth_; k > 0; --k) {
      if (is_heading(stack_[k - 1])) return true;
      if (is_scope_marker(stack_[k - 1])) return false;
    }
    return false;
  }
  // "In table scope": only a table ends the search.
  bool in_table_scope(GumboTag t) const {
    for (std::size_t k = depth_; k > 0; --k) {
      if (stack_[k - 1] == t) return true;
      if (stack_[k - 1] == GUMBO_TAG_TABLE) return false;
    }
    return false;
  }
  // Whether a <table> start tag may be taken: the builder would reconstruct open formatting
  // inside its cells. (An open p makes no difference to the text: in quirks mode, which a
  // fragment without a doctype is in, the table goes inside it, otherwise it closes it; a
  // paragraph break either way.)
  bool may_open_table() const {
    for (std::size_t k = 0; k < depth_; ++k) {
      if (is_inline(classify(stack_[k]))) return false;
    }
    return true;
  }
  Mode mode() const {
    const GumboTag t = top();
    if (t == GUMBO_TAG_TABLE) return Mode::table;
    if (is_table_section(t)) return Mode::table_body;
    if (t == GUMBO_TAG_TR) return Mode::row;
    for (std::size_t k = depth_; k > 0; --k) {
      if (is_cell(stack_[k - 1])) return Mode::cell;
      if (stack_[k - 1] == GUMBO_TAG_TABLE) break;
    }
    return Mode::body;
  }
  // In a table but not in a cell: where anything but table structure and whitespace would be
  // moved out of the table.
  bool between_rows() const {
    const Mode m = mode();
    return m != Mode::body && m != Mode::cell;
  }
  GumboTag top() const { return depth_ == 0 ? GUMBO_TAG_UNKNOWN : stack_[depth_ - 1]; }
  bool empty() const { return depth_ == 0; }
  void pop() { --depth_; }

  // Pops up to and including the topmost element matching `match`; false when that would
  // close an inline element on the way.
  template <typename Match>
  bool close(Match match) {
    while (depth_ > 0) {
      const GumboTag t = stack_[--depth_];
      if (match(t)) return true;
      if (is_inline(classify(t))) return false;
    }
    return true;
  }
  bool close(GumboTag target) {
    return close([target](GumboTag t) { return t == target; });
  }
  bool close_p() { return !contains(GUMBO_TAG_P) || close(GUMBO_TAG_P); }

  // <li>, <dd>, <dt>: an open item of the same kind is closed first, unless a special
  // element other than address, div and p lies between.
  bool close_open_item(bool (*same_kind)(GumboTag)) {
    for (std::size_t k = depth_; k > 0; --k) {
      const GumboTag t = stack_[k - 1];
      if (same_kind(t)) return close([same_kind](GumboTag u) { return same_kind(u); });
      if (!is_inline(classify(t)) && t != GUMBO_TAG_ADDRESS && t != GUMBO_TAG_DIV &&
          t != GUMBO_TAG_P) {
        return true;
      }
    }
    return true;
  }

  // </li> only counts when no list lies between it and its li ("list item scope").
  bool list_item_in_scope() const {
    for (std::size_t k = depth_; k > 0; --k) {
      const GumboTag t = stack_[k - 1];
      if (t == GUMBO_TAG_LI) return true;
      if (t == GUMBO_TAG_OL || t == GUMBO_TAG_UL || is_scope_marker(t)) return false;
    }
    return false;
  }

  // Ends the innermost cell (</td>, or a table tag inside a cell): what is open in it is
  // closed; false when that is an inline element. A block among them ends a paragraph.
  bool close_cell(TextSink& sink) {
    bool block = false;
    while (depth_ > 0) {
      const GumboTag t = stack_[--depth_];
      if (is_cell(t)) break;
      if (is_inline(classify(t))) return false;
      block = true;
    }
    if (block) sink.paragraph_break();
    sink.cell_gap();
    return true;
  }

 private:
  static constexpr std::size_t kNone = ~std::size_t{0};
  std::size_t find(GumboTag t) const {
    for (std::size_t k = depth_; k > 0; --k) {
      if (stack_[k - 1] == t) return k - 1;
      if (is_scope_marker(stack_[k - 1])) return kNone;
    }
    return kNone;
  }

  std::array<GumboTag, 64> stack_{};
  std::size_t depth_ = 0;
};

bool is_list_item(GumboTag t) {
  return t == GUMBO_TAG_LI;
}
bool is_definition(GumboTag t) {
  return t == GUMBO_TAG_DD || t == GUMBO_TAG_DT;
}

// Table structure the fast path follows (caption, col and colgroup are unsupported tags).
bool is_table_tag(GumboTag t) {
  return t == GUMBO_TAG_TABLE || is_table_section(t) || t == GUMBO_TAG_TR || is_cell(t);
}

// A start tag of table structure (is_table_tag); false when the fragment needs the full
// parser. Implied elements (a tbody before a tr, a tr before a td) are opened as the tree
// builder opens them; any other tag directly in a table would be moved out of it.
bool table_start_tag(GumboTag t, OpenElements& open, TextSink& sink) {
  for (;;) {
    switch (open.mode()) {
      case Mode::body:
        if (t != GUMBO_TAG_TABLE || !open.may_open_table()) return false;
        sink.paragraph_break();
        return open.push(t);
      case Mode::cell:
        if (t == GUMBO_TAG_TABLE) {
          if (!open.may_open_table()) return false;
          sink.paragraph_break();
          return open.push(t);
        }
        if (!open.close_cell(sink)) return false;
        continue;
      case Mode::table:
        if (t == GUMBO_TAG_TABLE) return false;  // closes the open table first; rare
        sink.paragraph_break();
        if (is_table_section(t)) return open.push(t);
        if (!open.push(GUMBO_TAG_TBODY)) return false;
        continue;
      case Mode::table_body:
        if (t == GUMBO_TAG_TABLE) return false;
        sink.paragraph_break();
        if (is_table_section(t)) {
          open.pop();
          continue;
        }
        if (t == GUMBO_TAG_TR) return open.push(t);
        if (!open.push(GUMBO_TAG_TR)) return false;
        continue;
      case Mode::row:
        if (is_cell(t)) {
          sink.cell_gap();
          return open.push(t);
        }
        if (t == GUMBO_TAG_TABLE) return false;
        sink.paragraph_break();
        open.pop();
        continue;
    }
  }
}

// An end tag of table structure; false when the fragment needs the full parser.
bool table_end_tag(GumboTag t, OpenElements& open, TextSink& sink) {
  for (;;) {
    const Mode mode = open.mode();
    if (mode == Mode::body) return false;  // ignored by the builder; rare
    // Ignored when there is nothing to end (</th> in a td, </tbody> in a thead, ...).
    if (!open.in_table_scope(t)) return true;
    if (mode == Mode::cell) {
      if (!open.close_cell(sink)) return false;
      if (is_cell(t)) return true;
      continue;
    }
    if (is_cell(t)) return true;  // no cell open: ignored
    sink.paragraph_break();
    const GumboTag top = open.top();
    open.pop();
    if (top == t) return true;
  }
}

// Applies a start tag; false when the fragment needs the full parser.
bool start_tag(GumboTag t, OpenElements& open, TextSink& sink) {
  if (is_table_tag(t)) return table_start_tag(t, open, sink);
  if (open.between_rows()) return false;
  const TagClass c = classify(t);
  switch (c) {
    case TagClass::unsupported:
      return false;
    case TagClass::anchor:
      if (open.contains(GUMBO_TAG_A)) return false;
      return open.push(t);
    case TagClass::phrasing:
    case TagClass::formatting:
      return open.push(t);
    case TagClass::void_inline:
      return true;
    case TagClass::br:
      sink.paragraph_break();
      return true;
    case TagClass::hr:
      sink.paragraph_break();
      return open.close_p();
    case TagClass::block:
      sink.paragraph_break();
      return open.close_p() && open.push(t);
    case TagClass::heading:
      sink.paragraph_break();
      if (!open.close_p()) return false;
      if (is_heading(open.top())) open.pop();
      return open.push(t);
    case TagClass::list_item:
      sink.paragraph_break();
      return open.close_open_item(is_list_item) && open.close_p() && open.push(t);
    case TagClass::definition:
      sink.paragraph_break();
      return open.close_open_item(is_definition) && open.close_p() && open.push(t);
  }
  return false;
}

// Applies an end tag; false when the fragment needs the full parser. An end tag with no
// matching open element is ignored by the tree builder (and so makes no paragraph break),
// except </p>, which makes an empty paragraph.
bool end_tag(GumboTag t, OpenElements& open, TextSink& sink) {
  if (is_table_tag(t)) return table_end_tag(t, open, sink);
  if (open.between_rows()) return false;
  switch (classify(t)) {
    case TagClass::unsupported:
    case TagClass::void_inline:
    case TagClass::br:
    case TagClass::hr:
      return false;
    case TagClass::anchor:
    case TagClass::phrasing:
    case TagClass::formatting:
      // Unknown elements all share one tag value, so their end tags cannot be matched here.
      if (t == GUMBO_TAG_UNKNOWN) return false;
      if (open.top() == t) {
        open.pop();
        return true;
      }
      return !open.contains(t);
    case TagClass::block:
      if (t == GUMBO_TAG_P) {
        sink.paragraph_break();
        return open.close_p();
      }
      if (!open.contains(t)) return true;
      sink.paragraph_break();
      return open.close(t);
    case TagClass::heading:
      if (!open.contains_heading()) return true;
      sink.paragraph_break();
      return open.close(is_heading);
    case TagClass::list_item:
      if (!open.list_item_in_scope()) return true;
      sink.paragraph_break();
      return open.close(GUMBO_TAG_LI);
    case TagClass::definition:
      if (!open.contains(t)) return true;
      sink.paragraph_break();
      return open.close(t);
  }
  return false;
}

// Whether gumbo's input reader replaces the character at s[i] (valid UTF-8) with U+FFFD: NUL,
// C0 controls other than tab, LF, FF and CR, DEL, C1 controls and noncharacters (utf8.c's
// utf8_is_invalid_code_point).
bool replaced_by_gumbo(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return c < 0x20 ? !is_html_space(static_cast<char>(c)) : c == 0x7F;
  if (c == 0xC2) return i + 1 < s.size() && b(i + 1) < 0xA0;  // U+0080-U+009F
  if (c == 0xEF) {                                            // U+FDD0-U+FDEF, U+FFFE/F
    return i + 2 < s.size() && ((b(i + 1) == 0xB7 && b(i + 2) >= 0x90 && b(i + 2) <= 0xAF) ||
                                (b(i + 1) == 0xBF && b(i + 2) >= 0xBE));
  }
  // U+1FFFE, U+1FFFF, ... U+10FFFF
  return c >= 0xF0 && i + 3 < s.size() && (b(i + 1) & 0x0F) == 0x0F && b(i + 2) == 0xBF &&
         b(i + 3) >= 0xBE;
}

constexpr std::size_t kRefuse = ~std::size_t{0};

// The next '<' or '&' at or after i, or s.size(); kRefuse when the text before it holds a
// character gumbo would replace (rare enough to leave to gumbo; the text is the only place
// where the replacement shows). (CR becomes LF there, which whitespace normalization makes no
// different from CR.)
std::size_t next_markup(std::string_view s, std::size_t i) {
  // Bytes to stop at: markup, and those that may start a character gumbo replaces.
  static constexpr auto kStop = [] {
    std::array<bool, 256> m{};
    m['<'] = true;
    m['&'] = true;
    for (int c = 0; c < 0x20; ++c) m[c] = !is_html_space(static_cast<char>(c));
    m[0x7F] = true;
    m[0xC2] = true;
    m[0xEF] = true;
    for (int c = 0xF0; c <= 0xF4; ++c) m[c] = true;
    return m;
  }();
  // The next stop at or after i, or s.size().
  const auto find_stop = [&](std::size_t i) {
#ifdef __SSE2__
    // Sixteen bytes at a time (a byte at a time, this loop was most of the fast path's time):
    // candidates are a superset of the stops, which the table then decides (whitespace
    // controls such as line feeds are candidates but not stops).
    for (; i + 16 <= s.size(); i += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
      const auto eq = [&](int c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(c))); };
      const __m128i below_space = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);
      const __m128i from_f0 =
          _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(static_cast<char>(0xF0))), v);
      const __m128i m = _mm_or_si128(
          _mm_or_si128(_mm_or_si128(eq('<'), eq('&')), _mm_or_si128(below_space, from_f0)),
          _mm_or_si128(eq(0x7F), _mm_or_si128(eq(0xC2), eq(0xEF))));
      for (auto bits = static_cast<unsigned>(_mm_movemask_epi8(m)); bits != 0; bits &= bits - 1) {
        const std::size_t at = i + static_cast<std::size_t>(__builtin_ctz(bits));
        if (kStop[static_cast<unsigned char>(s[at])]) return at;
      }
    }
#endif
    while (i < s.size() && !kStop[static_cast<unsigned char>(s[i])]) ++i;
    return i;
  };
  for (;; ++i) {
    i = find_stop(i);
    if (i == s.size() || s[i] == '<' || s[i] == '&') return i;
    if (replaced_by_gumbo(s, i)) return kRefuse;
  }
}

// Character data between markup. Inside <pre> every line ends a paragraph, as in gumbo's
// tree walk; there a CR (which the tokenizer would turn into a line feed) goes to gumbo.
bool text(std::string_view chunk, bool in_pre, TextSink& sink) {
  if (!in_pre) {
    sink.text(chunk);
    return true;
  }
  if (chunk.find('\r') != std::string_view::npos) return false;
  for (std::size_t nl; (nl = chunk.find('\n')) != std::string_view::npos;) {
    sink.text(chunk.substr(0, nl));
    sink.paragraph_break();
    chunk.remove_prefix(nl + 1);
  }
  sink.text(chunk);
  return true;
}

}  // namespace

std::optional<std::string> simple_html_to_text(std::string_view html) {
  TextSink sink;
  OpenElements open;
  std::size_t i = 0;
  while (i < html.size()) {
    const std::size_t m = next_markup(html, i);
    if (m == kRefuse) return std::nullopt;
    const bool in_pre = open.contains_anywhere(GUMBO_TAG_PRE);
    const bool in_table = open.between_rows();
    const std::string_view chunk = html.substr(i, m - i);
    // Text directly in a table stays there only when it is all whitespace.
    if (in_table && !std::all_of(chunk.begin(), chunk.end(), is_html_space)) return std::nullopt;
    if (!text(chunk, in_pre, sink)) return std::nullopt;
    if (m == html.size()) break;
    if (html[m] == '&') {
      if (in_table) return std::nullopt;
      const auto next = read_reference(html, m, sink);
      // A reference to a line break would end a line of preformatted text.
      if (!next || (in_pre && m + 1 < html.size() && html[m + 1] == '#')) {
        return std::nullopt;
      }
      i = *next;
      continue;
    }
    // '<': a tag, an end tag, a comment, or a literal '<'.
    const char c = m + 1 < html.size() ? html[m + 1] : '\0';
    if (is_ascii_alpha(c) || (c == '/' && m + 2 < html.size() && is_ascii_alpha(html[m + 2]))) {
      const bool end = c == '/';
      const std::optional<Tag> tag = read_tag(html, m + (end ? 2 : 1), end);
      if (!tag) return std::nullopt;
      if (!(end ? end_tag(tag->tag, open, sink) : start_tag(tag->tag, open, sink))) {
        return std::nullopt;
      }
      i = tag->next;
      if (tag->tag == GUMBO_TAG_PRE && !end && i < html.size()) {
        // The tree builder drops a line feed right after <pre>.
        if (html[i] == '\n') ++i;
        if (i < html.size() && (html[i] == '\r' || html[i] == '&')) return std::nullopt;
      }
    } else if (html.substr(m).starts_with("<!--")) {
      const auto next = skip_comment(html, m);
      if (!next) return std::nullopt;
      i = *next;
    } else if (c == '/' || c == '!' || c == '?') {
      return std::nullopt;  // "</>", bogus comments, doctypes, CDATA
    } else {
      sink.text('<');
      i = m + 1;
    }
  }
  return sink.finish();
}

}  // namespace newsd::parse
