#include "parse/charset_convert.h"

#include <unicode/ucnv.h>
#include <unicode/ucnv_cb.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "core/ascii.h"
#include "parse/text_util.h"

namespace newsd::parse {
namespace {

// To-Unicode callback: every illegal, irregular or unassigned sequence becomes one U+FFFD
// (ICU's default would give U+001A for single-byte charsets).
void to_u_replacement(const void*, UConverterToUnicodeArgs* args, const char*, int32_t,
                      UConverterCallbackReason reason, UErrorCode* err) {
  if (reason > UCNV_IRREGULAR) return;
  *err = U_ZERO_ERROR;
  const UChar replacement = 0xFFFD;
  ucnv_cbToUWriteUChars(args, &replacement, 1, 0, err);
}

struct ConverterCloser {
  void operator()(UConverter* c) const { ucnv_close(c); }
};
using ConverterPtr = std::unique_ptr<UConverter, ConverterCloser>;

// Each byte's UTF-8 in a single-byte charset. A byte ICU maps to nothing reads as U+FFFD
// and is marked `unmapped` (strict conversion fails on it).
struct ByteTable {
  struct Entry {
    char utf8[4];
    std::uint8_t n;
    std::uint8_t unmapped;
  };
  std::array<Entry, 256> entries;
  bool ascii_identity = false;  // bytes below 0x80 are themselves (not so in EBCDIC)
};

struct PairTable;

struct CachedConverter {
  std::string name;
  ConverterPtr conv;
  // Single-byte charsets (windows-125x, ISO-8859-x, KOI8-R...) decode through a table built
  // once from ICU's own mapping: ICU's converter loop cost as much as the rest of a feed's
  // parse. nullptr for multi-byte and stateful charsets, and for single-byte ones whose
  // bytes do not each map to one code point.
  std::unique_ptr<ByteTable> table;
  // A multi-byte charset whose ASCII runs are copied as they are, ICU converting only the
  // stretches between them (most of a feed in GB18030 or Big5 is ASCII markup).
  bool ascii_runs = false;
  // With ascii_runs: the charset's two-byte characters (pair_table), shared by all threads.
  const PairTable* pairs = nullptr;
};

// The two-byte characters of a multi-byte charset with ascii_runs: lead 0x80-0xFF, trail
// 0x40-0xFF, each pair ICU reads on its own as exactly one BMP character. ICU's converters
// spent 100-150 instructions per character of GB18030 or Big5; a table lookup copies the
// UTF-8. Any other byte from 0x80 (GB18030's four-byte form, Shift_JIS's one-byte katakana,
// invalid or unmapped sequences) starts a stretch ICU converts as before. A pair that is one
// character on its own is one wherever it starts at a character boundary: these converters
// are state machines that emit a character on reaching a final state.
struct PairTable {
  static constexpr std::size_t kTrails = 0x100 - 0x40;
  struct Entry {
    char utf8[3];
    std::uint8_t n;  // 0: not a one-character pair
  };
  std::array<Entry, 0x80 * kTrails> entries;

  const Entry& at(unsigned char lead, unsigned char trail) const {
    return entries[(lead - 0x80u) * kTrails + (trail - 0x40u)];
  }
};

// The one character ICU reads `bytes` as on their own, in a fresh strict conversion:
// kUnmapped when they are invalid or unmapped, kNotOne when they make no character or
// several. The tables below are built from these answers.
constexpr UChar32 kUnmapped = -1;
constexpr UChar32 kNotOne = -2;

UChar32 read_alone(UConverter* conv, std::string_view bytes) {
  UErrorCode status = U_ZERO_ERROR;
  ucnv_reset(conv);
  ucnv_setToUCallBack(conv, UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);
  UChar units[4];
  const int32_t len =
      ucnv_toUChars(conv, units, 4, bytes.data(), static_cast<int32_t>(bytes.size()), &status);
  ucnv_reset(conv);
  if (U_FAILURE(status)) return kUnmapped;
  if (len == 1 && !U16_IS_SURROGATE(units[0])) return units[0];
  if (len == 2 && U16_IS_LEAD(units[0]) && U16_IS_TRAIL(units[1]))
    return U16_GET_SUPPLEMENTARY(units[0], units[1]);
  return kNotOne;
}

std::unique_ptr<PairTable> build_pair_table(const std::string& charset) {
  UErrorCode status = U_ZERO_ERROR;
  ConverterPtr conv(ucnv_open(charset.c_str(), &status));
  if (U_FAILURE(status) || !conv) return nullptr;
  auto table = std::make_unique<PairTable>();
  for (unsigned lead = 0x80; lead < 0x100; ++lead) {
    for (unsigned trail = 0x40; trail < 0x100; ++trail) {
      PairTable::Entry& e = table->entries[(lead - 0x80u) * PairTable::kTrails + (trail - 0x40u)];
      e.n = 0;
      const char pair[2] = {static_cast<char>(lead), static_cast<char>(trail)};
      const UChar32 cp = read_alone(conv.get(), std::string_view(pair, 2));
      if (cp < 0 || cp > 0xFFFF) continue;  // BMP only: 3 bytes of UTF-8 at most
      int32_t n = 0;
      UBool error = false;
      U8_APPEND(reinterpret_cast<std::uint8_t*>(e.utf8), n, 3, cp, error);
      if (!error) e.n = static_cast<std::uint8_t>(n);
    }
  }
  return table;
}

// pair_table() of `charset`, built on first use and kept for the process (about 100 KB per
// charset; only the handful of ascii_runs charsets get one).
const PairTable* pair_table(const std::string& charset) {
  static std::mutex mutex;
  static std::vector<std::pair<std::string, std::unique_ptr<PairTable>>> tables;
  const std::lock_guard lock(mutex);
  for (const auto& [name, table] : tables) {
    if (name == charset) return table.get();
  }
  tables.emplace_back(charset, build_pair_table(charset));
  return tables.back().second.get();
}

std::unique_ptr<ByteTable> byte_table(UConverter* conv) {
  const UConverterType type = ucnv_getType(conv);
  if (type != UCNV_SBCS && type != UCNV_LATIN_1 && type != UCNV_US_ASCII) return nullptr;
  auto table = std::make_unique<ByteTable>();
  for (int b = 0; b < 256; ++b) {
    ByteTable::Entry& e = table->entries[static_cast<std::size_t>(b)];
    const char byte = static_cast<char>(b);
    const UChar32 cp = read_alone(conv, std::string_view(&byte, 1));
    if (cp == kUnmapped) {
      e = {{'\xEF', '\xBF', '\xBD', 0}, 3, 1};  // strict fails on it, lenient writes U+FFFD
      continue;
    }
    // BMP only (3 bytes of UTF-8 at most), which convert_bytes() sizes its output for.
    if (cp == kNotOne || cp > 0xFFFF) return nullptr;
    UBool error = false;
    int32_t n = 0;
    U8_APPEND(reinterpret_cast<std::uint8_t*>(e.utf8), n, 4, cp, error);
    if (error) return nullptr;
    e.n = static_cast<std::uint8_t>(n);
    e.unmapped = 0;
  }
  table->ascii_identity = true;
  for (std::size_t b = 0; b < 0x80; ++b) {
    const ByteTable::Entry& e = table->entries[b];
    if (e.n != 1 || static_cast<unsigned char>(e.utf8[0]) != b) table->ascii_identity = false;
  }
  return table;
}

// Whether ICU may be given only the stretches between a multi-byte charset's ASCII runs.
// That needs every byte below 0x80 to be that ASCII character on its own, and no character
// to hold two bytes below 0x80 in a row: then two such bytes in a row always end at a
// character boundary, where a stretch can end without changing what ICU decodes (a lone
// byte below 0x80 may be a trail byte: 0x40-0x7E in Big5 and Shift_JIS, digits in
// GB18030's four-byte form). The charsets are listed because ICU cannot be asked about
// the second property; stateful ones (ISO-2022, HZ) must never be here.
bool ascii_runs_safe(const std::string& charset, UConverter* conv) {
  static constexpr std::array<std::string_view, 11> kSafe = {
      "gb18030",     "gbk",       "big5-hkscs", "big5",   "windows-950", "windows-31j",
      "windows-949", "shift_jis", "euc-kr",     "euc-jp", "euc-tw"};
  if (std::find(kSafe.begin(), kSafe.end(), ascii::lowered(charset)) == kSafe.end()) return false;
  for (int b = 0; b < 0x80; ++b) {
    const char byte = static_cast<char>(b);
    if (read_alone(conv, std::string_view(&byte, 1)) != b) return false;
  }
  return true;
}

// A converter for `charset`, reset, from a small per-thread cache: opening one per document
// (ICU's name lookup and allocation) cost as much as converting a small feed. nullptr for a
// charset ICU does not know.
CachedConverter* cached_converter(const std::string& charset) {
  thread_local std::vector<std::unique_ptr<CachedConverter>> cache;
  for (auto& c : cache) {
    if (c->name == charset) {
      ucnv_reset(c->conv.get());
      return c.get();
    }
  }
  UErrorCode status = U_ZERO_ERROR;
  ConverterPtr conv(ucnv_open(charset.c_str(), &status));
  if (U_FAILURE(status) || !conv) return nullptr;
  if (cache.size() >= 8) cache.erase(cache.begin());
  auto entry = std::make_unique<CachedConverter>();
  entry->name = charset;
  entry->table = byte_table(conv.get());
  if (!entry->table) entry->ascii_runs = ascii_runs_safe(charset, conv.get());
  if (entry->ascii_runs) entry->pairs = pair_table(charset);
  entry->conv = std::move(conv);
  cache.push_back(std::move(entry));
  return cache.back().get();
}

UConverter* utf8_converter() {
  thread_local ConverterPtr conv = [] {
    UErrorCode status = U_ZERO_ERROR;
    return ConverterPtr(ucnv_open("UTF-8", &status));
  }();
  if (conv) ucnv_reset(conv.get());
  return conv.get();
}

std::optional<std::string> convert_bytes(std::string_view bytes, const ByteTable& table,
                                         bool strict) {
  std::string out;
  // At most 3 bytes are kept per entry, but 4 are written: room for the last one's spare.
  out.resize(bytes.size() * 3 + 4);
  char* o = out.data();
  // Eight bytes at a time: all ASCII (markup) are copied whole; otherwise each goes through
  // the table without a branch on the byte (Greek or Cyrillic text alternates letters and
  // ASCII spaces too often for a branch predictor).
  std::uint8_t unmapped = 0;
  const auto one = [&](char c) {
    const ByteTable::Entry& e = table.entries[static_cast<unsigned char>(c)];
    std::memcpy(o, e.utf8, 4);
    o += e.n;
    unmapped |= e.unmapped;
  };
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
    if (table.ascii_identity && (word & 0x8080808080808080ULL) == 0) {
      std::memcpy(o, bytes.data() + i, 8);
      o += 8;
      continue;
    }
    for (std::size_t k = 0; k < 8; ++k) one(bytes[i + k]);
  }
  for (; i < bytes.size(); ++i) one(bytes[i]);
  if (strict && unmapped != 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(o - out.data()));
  return out;
}

// The first i >= from where s[i] and s[i + 1] are both below 0x80, or npos; eight bytes at a
// time (the bytes are a mix a branch per byte mispredicts).
std::size_t ascii_pair(std::string_view s, std::size_t from) {
  std::size_t i = from;
  // The shift below pairs byte k with byte k + 1 in little-endian order only.
  for (; std::endian::native == std::endian::little && i + 8 <= s.size();
       i += 7) {  // overlapping words: pairs across word ends too
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    const std::uint64_t ascii = ~w & 0x8080808080808080ULL;  // high bit of each byte < 0x80
    const std::uint64_t pairs = ascii & (ascii >> 8);        // ... and of the byte after it
    if (pairs != 0) return i + static_cast<std::size_t>(std::countr_zero(pairs) >> 3);
  }
  for (; i + 1 < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) < 0x80 && static_cast<unsigned char>(s[i + 1]) < 0x80) {
      return i;
    }
  }
  return std::string_view::npos;
}

// Through UTF-16 with ICU's plain string function, for UTF-16/32 sources: unpaired surrogates
// become U+FFFD there.
std::optional<std::string> convert_via_utf16(std::string_view bytes, UConverter* conv) {
  UErrorCode status = U_ZERO_ERROR;
  std::u16string utf16;
  utf16.resize(bytes.size() * 2 + 16);  // UTF-16 never needs more than 2 units per byte
  const char* src = bytes.data();
  const char* src_end = bytes.data() + bytes.size();
  UChar* dst = utf16.data();
  ucnv_toUnicode(conv, &dst, utf16.data() + utf16.size(), &src, src_end, nullptr, true, &status);
  if (U_FAILURE(status)) return std::nullopt;
  utf16.resize(static_cast<std::size_t>(dst - utf16.data()));
  std::string out;
  out.resize(utf16.size() * 3 + 16);
  int32_t length = 0;
  u_strToUTF8WithSub(out.data(), static_cast<int32_t>(out.size()), &length, utf16.data(),
                     static_cast<int32_t>(utf16.size()), 0xFFFD, nullptr, &status);
  if (U_FAILURE(status)) return std::nullopt;
  out.resize(static_cast<std::size_t>(length));
  return out;
}

}  // namespace

std::optional<std::string> convert_charset(std::string_view bytes, const std::string& charset,
                                           bool strict) {
  CachedConverter* cached = cached_converter(charset);
  if (cached == nullptr) return std::nullopt;
  if (cached->table) return convert_bytes(bytes, *cached->table, strict);
  UConverter* conv = cached->conv.get();
  UErrorCode status = U_ZERO_ERROR;
  if (strict) {
    ucnv_setToUCallBack(conv, UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &status);
  } else {
    ucnv_setToUCallBack(conv, to_u_replacement, nullptr, nullptr, nullptr, &status);
  }
  if (U_FAILURE(status)) return std::nullopt;
  const std::string_view name = ucnv_getName(conv, &status);
  UConverter* utf8 = utf8_converter();
  if (U_FAILURE(status) || utf8 == nullptr || name.starts_with("UTF-16") ||
      name.starts_with("UTF-32")) {
    return convert_via_utf16(bytes, conv);
  }
  // Straight into UTF-8 through a small pivot: no document-sized UTF-16 copy. 3 bytes of
  // UTF-8 per source byte is the most any of these charsets needs (U+FFFD included).
  std::string out;
  out.resize(bytes.size() * 3 + 16);
  char* dst = out.data();
  char* const dst_end = out.data() + out.size();
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t stop = bytes.size();
    if (cached->ascii_runs) {
      if (static_cast<unsigned char>(bytes[pos]) < 0x80) {
        const std::size_t ascii = ascii_run(bytes, pos);
        std::memcpy(dst, bytes.data() + pos, ascii);
        dst += ascii;
        pos += ascii;
        if (pos == bytes.size()) break;
      }
      // At a character boundary, on a byte from 0x80.
      if (cached->pairs != nullptr && pos + 1 < bytes.size() &&
          static_cast<unsigned char>(bytes[pos + 1]) >= 0x40) {
        const PairTable::Entry& e = cached->pairs->at(static_cast<unsigned char>(bytes[pos]),
                                                      static_cast<unsigned char>(bytes[pos + 1]));
        if (e.n != 0) {
          std::memcpy(dst, e.utf8, 3);  // dst has room: 3 bytes per source byte
          dst += e.n;
          pos += 2;
          continue;
        }
      }
      // The stretch ends after the first two bytes below 0x80 in a row (ascii_runs_safe).
      if (const std::size_t pair = ascii_pair(bytes, pos + 1); pair != std::string_view::npos) {
        stop = pair + 2;
      }
    }
    const char* src = bytes.data() + pos;
    UChar pivot[1024];
    UChar* pivot_source = pivot;
    UChar* pivot_target = pivot;
    ucnv_convertEx(utf8, conv, &dst, dst_end, &src, bytes.data() + stop, pivot, &pivot_source,
                   &pivot_target, pivot + std::size(pivot), true, true, &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) {
      ucnv_reset(conv);
      return convert_via_utf16(bytes, conv);
    }
    if (U_FAILURE(status)) return std::nullopt;
    pos = stop;
  }
  out.resize(static_cast<std::size_t>(dst - out.data()));
  return out;
}

}  // namespace newsd::parse
