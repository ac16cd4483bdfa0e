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
// gumbo" is what the tests hold it to (html/tests/text_test.cpp compares both paths on generated
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

#include "core/ascii.h"
#include "parse/html/fast_builder.h"
#include "parse/html/tags.h"
#include "parse/html/text.h"
#include "parse/html/text_sink.h"
#include "parse/html/tokenizer.h"

namespace newsd::parse {
namespace {

using detail::TextSink;
using html::fast::end_tag;
using html::fast::OpenElements;
using html::fast::start_tag;

// ---- tokens --------------------------------------------------------------------------------

// The character reference at s[i] ('&'): its text goes to `sink`, and the index after it is
// returned. nullopt for references only gumbo decodes right.
std::optional<std::size_t> reference(std::string_view s, std::size_t i, TextSink& sink) {
  const html::Reference r = html::read_reference(s, i);
  switch (r.kind) {
    case html::Reference::literal:
      sink.text('&');
      return r.next;
    case html::Reference::decoded: {
      char utf8[4];
      sink.text(std::string_view(utf8, html::encode_utf8(r.code_point, utf8)));
      return r.next;
    }
    case html::Reference::unknown:
      break;
  }
  return std::nullopt;
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
    for (int c = 0; c < 0x20; ++c) m[c] = !ascii::is_html_space(static_cast<char>(c));
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
    if (html::replaced_by_gumbo(s, i)) return kRefuse;
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

std::optional<std::string> simple_html_to_text(std::string_view doc) {
  TextSink sink;
  OpenElements open;
  std::size_t i = 0;
  while (i < doc.size()) {
    const std::size_t m = next_markup(doc, i);
    if (m == kRefuse) return std::nullopt;
    const bool in_pre = open.contains_anywhere(GUMBO_TAG_PRE);
    const bool in_table = open.between_rows();
    const std::string_view chunk = doc.substr(i, m - i);
    // Text directly in a table stays there only when it is all whitespace.
    if (in_table && !std::all_of(chunk.begin(), chunk.end(), ascii::is_html_space))
      return std::nullopt;
    if (!text(chunk, in_pre, sink)) return std::nullopt;
    if (m == doc.size()) break;
    if (doc[m] == '&') {
      if (in_table) return std::nullopt;
      const auto next = reference(doc, m, sink);
      // A reference to a line break would end a line of preformatted text.
      if (!next || (in_pre && m + 1 < doc.size() && doc[m + 1] == '#')) {
        return std::nullopt;
      }
      i = *next;
      continue;
    }
    // '<': a tag, an end tag, a comment, or a literal '<'.
    const char c = m + 1 < doc.size() ? doc[m + 1] : '\0';
    if (ascii::is_alpha(c) || (c == '/' && m + 2 < doc.size() && ascii::is_alpha(doc[m + 2]))) {
      const bool end = c == '/';
      html::TagToken token;
      if (!html::read_tag(doc, m + (end ? 2 : 1), token, [](const html::Attribute&) {})) {
        return std::nullopt;
      }
      const GumboTag tag = html::tag_named(token.name);
      if (!(end ? end_tag(tag, open, sink) : start_tag(tag, open, sink))) return std::nullopt;
      i = token.end;
      if (tag == GUMBO_TAG_PRE && !end && i < doc.size()) {
        // The tree builder drops a line feed right after <pre>.
        if (doc[i] == '\n') ++i;
        if (i < doc.size() && (doc[i] == '\r' || doc[i] == '&')) return std::nullopt;
      }
    } else if (doc.substr(m).starts_with("<!--")) {
      const html::Comment comment = html::read_comment(doc, m);
      if (comment.abrupt || comment.bang) return std::nullopt;
      i = comment.end == html::npos ? doc.size() : comment.end;
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
