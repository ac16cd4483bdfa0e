#include "parse/html/names.h"

#include <array>
#include <cstdint>

#include "core/ascii.h"

namespace newsd::parse {
namespace {

enum class Kind : std::uint8_t {
  negative_anywhere,    // furniture, matched anywhere (camelCase compounds: "shareButtons")
  negative_word_start,  // furniture, matched at the start of a word (split on non-alphanumerics)
  negative_word,        // furniture, matched as a whole word only
  positive_word_start,  // weighs a candidate up
  keep_word_start,      // overrides furniture ("comment-content" may hold the article)
};

struct Pattern {
  std::string_view text;  // lower-case ASCII letters
  Kind kind;
};

constexpr std::array<Pattern, 43> kPatterns = {{
    {"comment", Kind::negative_anywhere},
    {"share", Kind::negative_anywhere},
    {"social", Kind::negative_anywhere},
    {"related", Kind::negative_anywhere},
    {"promo", Kind::negative_anywhere},
    {"advert", Kind::negative_anywhere},
    {"sidebar", Kind::negative_anywhere},
    {"footer", Kind::negative_anywhere},
    {"breadcrumb", Kind::negative_anywhere},
    {"subscri", Kind::negative_anywhere},
    {"newsletter", Kind::negative_anywhere},
    {"cookie", Kind::negative_anywhere},
    {"popup", Kind::negative_anywhere},
    {"sponsor", Kind::negative_anywhere},
    {"outbrain", Kind::negative_anywhere},
    {"taboola", Kind::negative_anywhere},
    {"disqus", Kind::negative_anywhere},
    {"nav", Kind::negative_word_start},
    {"menu", Kind::negative_word_start},
    {"masthead", Kind::negative_word_start},
    {"banner", Kind::negative_word_start},
    {"skip", Kind::negative_word_start},
    {"ad", Kind::negative_word},
    {"ads", Kind::negative_word},
    {"adv", Kind::negative_word},
    {"article", Kind::positive_word_start},
    {"body", Kind::positive_word_start},
    {"content", Kind::positive_word_start},
    {"entry", Kind::positive_word_start},
    {"main", Kind::positive_word_start},
    {"post", Kind::positive_word_start},
    {"text", Kind::positive_word_start},
    {"story", Kind::positive_word_start},
    {"hentry", Kind::positive_word_start},
    {"blog", Kind::positive_word_start},
    {"column", Kind::positive_word_start},
    {"articlebody", Kind::positive_word_start},
    {"article", Kind::keep_word_start},
    {"body", Kind::keep_word_start},
    {"content", Kind::keep_word_start},
    {"main", Kind::keep_word_start},
    {"story", Kind::keep_word_start},
    {"entry", Kind::keep_word_start},
}};

// The patterns by their first two letters: every class name of a page passes here (the
// pre-pass asks for each), so a position is compared only with the patterns that can start
// there, mostly none.
struct Candidates {
  std::array<std::uint8_t, 6> index{};
  std::uint8_t count = 0;
};

constexpr std::size_t pair_slot(char a, char b) {
  return static_cast<std::size_t>(a - 'a') * 26 + static_cast<std::size_t>(b - 'a');
}

constexpr std::array<Candidates, 26 * 26> kByFirstLetters = [] {
  std::array<Candidates, 26 * 26> t{};
  for (std::size_t k = 0; k < kPatterns.size(); ++k) {
    Candidates& c = t[pair_slot(kPatterns[k].text[0], kPatterns[k].text[1])];
    c.index[c.count++] = static_cast<std::uint8_t>(k);  // overflow fails the constant evaluation
  }
  return t;
}();

// `text` at s[i], ASCII case-insensitively.
bool matches_at(std::string_view s, std::size_t i, std::string_view text) {
  return ascii::equals_lower(s.substr(i, text.size()), text);
}

}  // namespace

NameSignal name_signal(std::string_view names) {
  NameSignal sig;
  for (std::size_t i = 0; i + 1 < names.size(); ++i) {
    const char a = ascii::to_lower(names[i]);
    const char b = ascii::to_lower(names[i + 1]);
    if (a < 'a' || a > 'z' || b < 'a' || b > 'z') continue;
    const Candidates& c = kByFirstLetters[pair_slot(a, b)];
    if (c.count == 0) continue;
    const bool word_start = i == 0 || !ascii::is_alnum(names[i - 1]);
    for (std::uint8_t k = 0; k < c.count; ++k) {
      const Pattern& p = kPatterns[c.index[k]];
      if (p.kind != Kind::negative_anywhere && !word_start) continue;
      if (!matches_at(names, i, p.text)) continue;
      switch (p.kind) {
        case Kind::negative_anywhere:
        case Kind::negative_word_start:
          sig.negative = true;
          break;
        case Kind::negative_word: {
          const std::size_t end = i + p.text.size();
          if (end == names.size() || !ascii::is_alnum(names[end])) sig.negative = true;
          break;
        }
        case Kind::positive_word_start:
          sig.positive = true;
          break;
        case Kind::keep_word_start:
          sig.keep = true;
          break;
      }
    }
  }
  return sig;
}

}  // namespace newsd::parse
