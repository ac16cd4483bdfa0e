#include "parse/text_util.h"

#include <simdjson.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <boost/url.hpp>
#include <cstdint>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/ascii.h"

namespace newsd::parse {
namespace {

// Length of the well-formed UTF-8 sequence at s[i], or 0 when it is ill-formed.
std::size_t seq_len(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  const std::size_t left = s.size() - i;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return left >= 2 && (b(i + 1) & 0xC0) == 0x80 ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3) return 0;
    const unsigned char c1 = b(i + 1);
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = c == 0xED ? 0x9F : 0xBF;
    if (c1 < lo || c1 > hi || (b(i + 2) & 0xC0) != 0x80) return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4) return 0;
    const unsigned char c1 = b(i + 1);
    const unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
    if (c1 < lo || c1 > hi || (b(i + 2) & 0xC0) != 0x80 || (b(i + 3) & 0xC0) != 0x80) return 0;
    return 4;
  }
  return 0;
}

// Byte length of the whitespace character at s[i] (ASCII or Unicode space), else 0.
std::size_t space_len(std::string_view s, std::size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') return 1;
  const std::string_view rest = s.substr(i);
  if (rest.starts_with("\xC2\xA0")) return 2;      // U+00A0
  if (rest.starts_with("\xE3\x80\x80")) return 3;  // U+3000 ideographic space
  if (rest.size() >= 3 && c == 0xE2 && static_cast<unsigned char>(rest[1]) == 0x80) {
    const unsigned char c2 = static_cast<unsigned char>(rest[2]);
    if ((c2 >= 0x80 && c2 <= 0x8A) || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF) return 3;
  }
  if (rest.starts_with("\xE2\x81\x9F")) return 3;  // U+205F
  if (rest.starts_with("\xEF\xBB\xBF")) return 3;  // stray BOM / ZWNBSP
  return 0;
}

// Bytes at which space_len() can be non-zero: ASCII whitespace and the lead bytes of the
// Unicode spaces it knows. Every other byte is copied as is by normalize_ws().
constexpr std::array<bool, 256> kMaySpace = [] {
  std::array<bool, 256> t{};
  for (const unsigned char c : {' ', '\t', '\n', '\r', '\f', '\v'}) t[c] = true;
  for (const unsigned char c : {0xC2, 0xE2, 0xE3, 0xEF}) t[c] = true;
  return t;
}();

// Length of the run from s[i] (not a whitespace candidate) that normalize_ws() copies as it
// is: bytes that are not whitespace candidates, and single ' ' between two of them. Most text
// is words separated by one space, so this covers whole paragraphs.
std::size_t plain_run(std::string_view s, std::size_t i) {
  const std::size_t start = i;
  // A lead byte of a character that is not a space (CJK punctuation starts with 0xE3 / 0xEF
  // too) stays in the run rather than ending it.
  const auto plain = [&](std::size_t k) {
    const auto c = static_cast<unsigned char>(s[k]);
    return !kMaySpace[c] || (c >= 0x80 && space_len(s, k) == 0);
  };
  while (i < s.size()) {
#ifdef __SSE2__
    // Sixteen bytes at once while none is a whitespace candidate, except single spaces
    // between two bytes that are not: words of 5-6 letters would otherwise end every block.
    // A space first or last in the block is left to the byte-wise loop below, which knows
    // its neighbours. The block is taken up to its first other candidate.
    if (i + 16 <= s.size()) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
      const __m128i space = _mm_cmpeq_epi8(v, _mm_set1_epi8(' '));
      // 0x09-0x0D: (v - 0x09) as unsigned is below 5.
      const __m128i shifted = _mm_sub_epi8(v, _mm_set1_epi8(0x09));
      const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(shifted, _mm_set1_epi8(4)), shifted);
      const __m128i lead =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(0xC2))),
                                    _mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(0xE2)))),
                       _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(0xE3))),
                                    _mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(0xEF)))));
      const auto m = static_cast<unsigned>(
          _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(space, control), lead)));
      const auto sp = static_cast<unsigned>(_mm_movemask_epi8(space));
      // (A candidate before a space stops the block before the space is looked at.)
      const unsigned lone = sp & ~(m >> 1) & 0x7FFEu;
      const unsigned bad = m & ~lone;
      if (bad == 0) {
        i += 16;
        continue;
      }
      i += static_cast<std::size_t>(__builtin_ctz(bad));
    }
#endif
    if (plain(i)) {
      ++i;
    } else if (s[i] == ' ' && i > start && i + 1 < s.size() && plain(i + 1)) {
      i += 2;
    } else {
      break;
    }
  }
  return i - start;
}

}  // namespace

std::size_t ascii_run(std::string_view s, std::size_t i) {
  const std::size_t start = i;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    if ((word & 0x8080808080808080ULL) != 0) break;
  }
  while (i < s.size() && static_cast<unsigned char>(s[i]) < 0x80) ++i;
  return i - start;
}

bool is_valid_utf8(std::string_view s) {
  return simdjson::validate_utf8(s.data(), s.size());
}

std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    if (const std::size_t ascii = ascii_run(s, i); ascii > 0) {
      out.append(s.substr(i, ascii));
      i += ascii;
      continue;
    }
    const std::size_t n = seq_len(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string_view strip_bom(std::string_view s) {
  if (s.starts_with("\xEF\xBB\xBF")) s.remove_prefix(3);
  return s;
}

std::string_view trim(std::string_view s) {
  for (;;) {
    if (s.empty()) return s;
    const std::size_t n = space_len(s, 0);
    if (n == 0) break;
    s.remove_prefix(n);
  }
  // Trailing: step back over whole characters; spaces are at most 3 bytes long.
  for (;;) {
    bool removed = false;
    for (std::size_t n = 1; n <= 3 && n <= s.size(); ++n) {
      if (space_len(s, s.size() - n) == n) {
        s.remove_suffix(n);
        removed = true;
        break;
      }
    }
    if (!removed) return s;
  }
}

std::string normalize_ws(std::string_view s) {
  std::string out;
  append_normalized_ws(out, s);
  return out;
}

std::vector<std::string> split_ws(std::string_view s) {
  std::vector<std::string> out;
  std::string norm = normalize_ws(s);
  std::size_t start = 0;
  while (start < norm.size()) {
    std::size_t end = norm.find(' ', start);
    if (end == std::string::npos) end = norm.size();
    if (end > start) out.push_back(norm.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

void append_normalized_ws(std::string& out, std::string_view s) {
  out.reserve(out.size() + s.size());
  const std::size_t start = out.size();
  bool pending_space = false;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = plain_run(s, i);
    if (n == 0) {
      n = space_len(s, i);
      if (n > 0) {
        pending_space = out.size() > start;
        i += n;
        continue;
      }
      n = 1;  // a lead byte that does not start a space
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.append(s.substr(i, n));
    i += n;
  }
}

std::string text_lines(std::string_view s) {
  // Normalized straight into the output, line by line: no vector of lines and no string per
  // line (plain feed descriptions go through here once per item).
  std::string out;
  out.reserve(s.size());
  for (std::size_t start = 0; start <= s.size();) {
    std::size_t end = s.find('\n', start);
    if (end == std::string_view::npos) end = s.size();
    std::string_view line = s.substr(start, end - start);
    if (line.ends_with('\r')) line.remove_suffix(1);
    const std::size_t before = out.size();
    if (before > 0) out.push_back('\n');
    const std::size_t mark = out.size();
    append_normalized_ws(out, line);
    if (out.size() == mark) out.resize(before);  // a blank line is dropped
    start = end + 1;
  }
  return out;
}

std::string cut_chars(std::string_view s, std::size_t max_chars) {
  std::size_t i = 0;
  for (std::size_t count = 0; i < s.size() && count < max_chars; ++count) {
    const std::size_t n = seq_len(s, i);
    i += n == 0 ? 1 : n;
  }
  return std::string(s.substr(0, i));
}

std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find('\n', start);
    if (end == std::string_view::npos) end = s.size();
    std::string_view line = s.substr(start, end - start);
    if (line.ends_with('\r')) line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

std::string derive_title(const std::optional<std::string>& summary, std::string_view body,
                         const std::optional<std::string>& url) {
  const auto first_line = [](std::string_view text) -> std::string {
    for (std::string_view line : split_lines(text)) {
      std::string norm = normalize_ws(line);
      if (!norm.empty()) return cut_chars(norm, 100);
    }
    return {};
  };
  if (summary) {
    if (std::string t = first_line(*summary); !t.empty()) return t;
  }
  if (std::string t = first_line(body); !t.empty()) return t;
  return url.value_or(std::string{});
}

std::string file_slug(std::string_view url) {
  if (const auto q = url.find_first_of("?#"); q != std::string_view::npos) url = url.substr(0, q);
  if (const auto slash = url.find_last_of("/\\"); slash != std::string_view::npos) {
    url = url.substr(slash + 1);
  }
  if (const auto dot = url.rfind('.'); dot != std::string_view::npos && dot > 0) {
    url = url.substr(0, dot);
  }
  return std::string(url);
}

bool is_absolute_http(std::string_view url) {
  return ascii::starts_with_lower(url, "http://") || ascii::starts_with_lower(url, "https://");
}

std::string resolve_url(std::string_view base, std::string_view ref) {
  const std::string_view r = trim(ref);
  if (r.empty()) return std::string(base);
  // Most links in feeds are absolute already, and a reference with a scheme comes back as it
  // is whether or not it parses: no need to parse it (or the base).
  if (is_absolute_http(r)) return std::string(r);
  auto ref_url = boost::urls::parse_uri_reference(r);
  if (!ref_url) return std::string(r);
  if (ref_url->has_scheme()) return std::string(r);
  auto base_url = boost::urls::parse_uri(trim(base));
  if (!base_url) return std::string(r);
  boost::urls::url out(*base_url);
  if (!out.resolve(*ref_url)) return std::string(r);
  // RFC 3986 5.2.4: ".." segments above the root are dropped; Boost.URL 1.81 keeps them.
  std::string path(out.encoded_path());
  bool changed = false;
  while (path.starts_with("/../") || path == "/..") {
    path = path.size() == 3 ? "/" : path.substr(3);
    changed = true;
  }
  if (changed) out.set_encoded_path(path);
  return std::string(out.buffer());
}

namespace {

// One bit per BMP code point: set when ICU calls it NFC_Quick_Check=Yes with canonical
// combining class 0. Such a character is NFC on its own and nothing composes with what
// precedes it (the second character of every composition has NFC_QC=Maybe), so a string of
// only these is NFC. Greek and Cyrillic letters qualify although they are not "inert" (a
// combining accent after them would compose), which is why a table of inert characters did
// not help: ICU's own check costs about 4 ns per character outside Latin-1.
class NfcStable {
 public:
  NfcStable() {
    for (UChar32 c = 0x80; c < 0x10000; ++c) {
      if (u_getIntPropertyValue(c, UCHAR_NFC_QUICK_CHECK) == UNORM_YES &&
          u_getCombiningClass(c) == 0) {
        bits_[static_cast<std::size_t>(c) >> 6] |= std::uint64_t{1} << (c & 63);
      }
    }
    // A three-byte lead all of whose characters are stable (E4-E9: CJK ideographs) lets the
    // check skip the character without decoding it. (Two-byte characters are always looked
    // up: see nfc_by_table.)
    for (unsigned lead = 0xE0; lead < 0xF0; ++lead) {
      whole_[lead] =
          std::all_of(bits_.begin() + (lead - 0xE0) * 64, bits_.begin() + (lead - 0xE0) * 64 + 64,
                      [](std::uint64_t w) { return w == ~std::uint64_t{0}; });
    }
  }
  bool has(char32_t c) const { return (bits_[c >> 6] >> (c & 63)) & 1; }
  bool whole(char32_t lead) const { return whole_[lead]; }

 private:
  std::array<std::uint64_t, 1024> bits_{};
  std::array<bool, 256> whole_{};
};

// True when valid UTF-8 `s` holds only NfcStable characters (so it is NFC); false means
// "ask ICU", not "not NFC".
bool nfc_by_table(std::string_view s) {
  static const NfcStable stable;
  const auto b = [&](std::size_t k) {
    return static_cast<char32_t>(static_cast<unsigned char>(s[k]));
  };
  for (std::size_t i = 0; i < s.size();) {
    const char32_t c = b(i);
    if (c < 0x80) {
      i += ascii_run(s, i);
    } else if (c < 0xE0) {
      // Always looked up: skipping whole lead bytes here mispredicted on most Greek letters
      // (CF is whole, CE is not), costing more than the lookup.
      if (!stable.has(((c & 0x1F) << 6) | (b(i + 1) & 0x3F))) return false;
      i += 2;
    } else if (stable.whole(c)) {
      i += 3;
    } else if (c < 0xF0) {
      if (!stable.has(((c & 0x0F) << 12) | ((b(i + 1) & 0x3F) << 6) | (b(i + 2) & 0x3F))) {
        return false;
      }
      i += 3;
    } else {
      return false;  // outside the BMP: rare enough for ICU
    }
  }
  return true;
}

}  // namespace

std::string to_nfc(std::string s) {
  if (ascii_run(s, 0) == s.size()) return s;
  std::string valid = is_valid_utf8(s) ? std::move(s) : sanitize_utf8(s);
  if (nfc_by_table(valid)) return valid;
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status) || nfc == nullptr) return valid;
  // Checked on the UTF-8 itself: most text is already NFC, and converting it to UTF-16 just
  // to find that out was the costly part.
  if (nfc->isNormalizedUTF8(icu::StringPiece(valid), status) && U_SUCCESS(status)) return valid;
  status = U_ZERO_ERROR;
  const icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(valid));
  const icu::UnicodeString normalized = nfc->normalize(u, status);
  if (U_FAILURE(status)) return valid;
  std::string out;
  normalized.toUTF8String(out);
  return out;
}

}  // namespace newsd::parse
