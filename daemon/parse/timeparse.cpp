#include "parse/timeparse.h"

#include <unicode/basictz.h>
#include <unicode/timezone.h>

#include <array>
#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "core/ascii.h"
#include "parse/text_util.h"

namespace newsd::parse {
namespace {

using namespace std::chrono;

// A tiny cursor over ASCII text.
struct Cursor {
  std::string_view s;
  std::size_t i = 0;

  bool done() const { return i >= s.size(); }
  char peek() const { return done() ? '\0' : s[i]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i;
    return true;
  }
  void skip_spaces() {
    while (!done() && (s[i] == ' ' || s[i] == '\t')) ++i;
  }
  // Exactly `n` digits, else nullopt (cursor unchanged).
  std::optional<int> digits(std::size_t n) {
    if (i + n > s.size()) return std::nullopt;
    int v = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const char c = s[i + k];
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    i += n;
    return v;
  }
  // 1..max digits.
  std::optional<int> number(std::size_t max) {
    std::size_t n = 0;
    int v = 0;
    while (n < max && i < s.size() && s[i] >= '0' && s[i] <= '9') {
      v = v * 10 + (s[i] - '0');
      ++i;
      ++n;
    }
    if (n == 0) return std::nullopt;
    return v;
  }
  std::string_view word() {
    const std::size_t start = i;
    while (!done() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
    return s.substr(start, i - start);
  }
};

struct Fields {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::optional<long> offset;  // seconds east of UTC; nullopt = no offset written
};

std::optional<Timestamp> to_utc(const Fields& f, std::string_view zone) {
  if (f.month < 1 || f.month > 12 || f.hour > 23 || f.minute > 59 || f.second > 60) {
    return std::nullopt;
  }
  const year_month_day ymd{year{f.year}, month{static_cast<unsigned>(f.month)},
                           day{static_cast<unsigned>(f.day)}};
  if (!ymd.ok()) return std::nullopt;
  // A leap second is read as the last second of its minute.
  const int sec = f.second == 60 ? 59 : f.second;
  const local_seconds local = local_days{ymd} + hours{f.hour} + minutes{f.minute} + seconds{sec};
  long offset = 0;
  if (f.offset) {
    offset = *f.offset;
  } else {
    const auto o = zone_offset_at_local(zone, local);
    if (!o) return std::nullopt;
    offset = *o;
  }
  const Timestamp utc{local.time_since_epoch() - seconds{offset}};
  // RFC 3339 has four-digit years; outside 1000-9999 a "date" is noise, not a time.
  const int utc_year = static_cast<int>(year_month_day{floor<days>(utc)}.year());
  if (utc_year < 1000 || utc_year > 9999) return std::nullopt;
  return utc;
}

// "+08:00", "+0800", "+08"; with `loose_hours`, also "+8" and "+8:00" (after "GMT").
bool parse_numeric_offset(Cursor& c, Fields& f, bool loose_hours = false) {
  const char sign = c.peek();
  if (sign != '+' && sign != '-') return false;
  ++c.i;
  auto h = c.digits(2);
  if (!h && loose_hours) h = c.digits(1);
  if (!h) return false;
  int m = 0;
  if (c.eat(':')) {
    const auto mm = c.digits(2);
    if (!mm) return false;
    m = *mm;
  } else if (const auto mm = c.digits(2)) {
    m = *mm;
  }
  if (*h > 23 || m > 59) return false;
  const long off = *h * 3600L + m * 60L;
  f.offset = sign == '-' ? -off : off;
  return true;
}

// "Z", "UTC", "GMT", "+08:00", "+0800", "+08". Returns false on anything else.
bool parse_offset(Cursor& c, Fields& f) {
  if (c.eat('Z') || c.eat('z')) {
    f.offset = 0;
    return true;
  }
  if (c.peek() == '+' || c.peek() == '-') return parse_numeric_offset(c, f);
  const std::string w = ascii::lowered(c.word());
  if (w == "utc" || w == "gmt" || w == "ut") {
    f.offset = 0;
    return true;
  }
  return false;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// hh:mm[:ss[.fraction]] (hours one or two digits). False on anything else.
bool parse_clock(Cursor& c, Fields& f) {
  const auto h = c.number(2);
  if (!h || !c.eat(':')) return false;
  const auto mi = c.digits(2);
  if (!mi) return false;
  f.hour = *h;
  f.minute = *mi;
  if (c.eat(':')) {
    const auto s = c.digits(2);
    if (!s) return false;
    f.second = *s;
    if (c.eat('.') || c.eat(',')) {
      if (!c.number(9)) return false;
      while (!c.done() && is_digit(c.peek())) ++c.i;
    }
  }
  return true;
}

// An optional offset and nothing else after it.
std::optional<Fields> finish_with_offset(Cursor& c, Fields f) {
  c.skip_spaces();
  if (c.done()) return f;
  if (!parse_offset(c, f)) return std::nullopt;
  c.skip_spaces();
  if (!c.done()) return std::nullopt;
  return f;
}

// ISO 8601 basic format: "20220126", "20220126T202725[Z|+0800]", "20220126T2027Z".
std::optional<Fields> parse_iso_basic(std::string_view text) {
  Cursor c{text};
  Fields f;
  const auto y = c.digits(4);
  const auto mo = c.digits(2);
  const auto d = c.digits(2);
  if (!y || !mo || !d) return std::nullopt;
  f.year = *y;
  f.month = *mo;
  f.day = *d;
  if (c.done()) return f;
  if (!(c.eat('T') || c.eat('t'))) return std::nullopt;
  const auto h = c.digits(2);
  const auto mi = c.digits(2);
  if (!h || !mi) return std::nullopt;
  f.hour = *h;
  f.minute = *mi;
  if (const auto s = c.digits(2)) {
    f.second = *s;
    if (c.eat('.') || c.eat(',')) {
      if (!c.number(9)) return std::nullopt;
      while (!c.done() && is_digit(c.peek())) ++c.i;
    }
  }
  return finish_with_offset(c, f);
}

// ISO 8601 / RFC 3339 / W3CDTF and the space-separated variants; '/' separators too
// ("2022/01/26 20:27"). Year first, so never ambiguous.
std::optional<Fields> parse_iso(std::string_view text) {
  Cursor c{text};
  Fields f;
  const auto y = c.digits(4);
  if (!y) return std::nullopt;
  f.year = *y;
  if (c.done()) {  // W3CDTF "YYYY": the year
    f.month = f.day = 1;
    return f;
  }
  const char sep = c.peek();
  if (sep != '-' && sep != '/') return std::nullopt;
  ++c.i;
  const auto mo = c.number(2);
  if (!mo) return std::nullopt;
  f.month = *mo;
  if (c.done()) {  // W3CDTF "YYYY-MM": the month
    f.day = 1;
    return f;
  }
  if (!c.eat(sep)) return std::nullopt;
  const auto d = c.number(2);
  if (!d) return std::nullopt;
  f.day = *d;
  if (c.done()) return f;  // a bare date: midnight in the zone
  if (!(c.eat('T') || c.eat('t') || c.eat(' '))) return std::nullopt;
  c.skip_spaces();
  if (!parse_clock(c, f)) return std::nullopt;
  return finish_with_offset(c, f);
}

int month_from_name(std::string_view w) {
  // Compared as three lower-cased letters packed in one number: every date of a feed comes
  // here, and twelve string comparisons showed in its profile.
  static constexpr std::string_view kMonths = "janfebmaraprmayjunjulaugsepoctnovdec";
  constexpr auto key = [](char a, char b, char c) {
    const auto lower = [](char x) {
      return static_cast<unsigned>(static_cast<unsigned char>(x) | 0x20);
    };
    return lower(a) << 16 | lower(b) << 8 | lower(c);
  };
  if (w.size() < 3) return 0;
  const unsigned k = key(w[0], w[1], w[2]);
  for (std::size_t m = 0; m < 12; ++m) {
    if (k == key(kMonths[3 * m], kMonths[3 * m + 1], kMonths[3 * m + 2])) {
      return static_cast<int>(m) + 1;
    }
  }
  return 0;
}

// Zones named in RFC 822 (UT, GMT, the US zones), the other North American ones, and a few
// European and Asian abbreviations that are unambiguous in practice. Abbreviations that
// name several zones (IST, BST, "CST" as China time) keep their RFC 822 meaning or are
// rejected. Single letters are the military zones.
std::optional<long> named_zone(std::string_view word) {
  static const std::map<std::string, int, std::less<>> kZones = {
      {"UT", 0},     {"UTC", 0},    {"GMT", 0},     {"Z", 0},       {"EST", -300}, {"EDT", -240},
      {"CST", -360}, {"CDT", -300}, {"MST", -420},  {"MDT", -360},  {"PST", -480}, {"PDT", -420},
      {"AST", -240}, {"ADT", -180}, {"AKST", -540}, {"AKDT", -480}, {"HST", -600}, {"NST", -210},
      {"NDT", -150}, {"CET", 60},   {"CEST", 120},  {"MET", 60},    {"MEST", 120}, {"EET", 120},
      {"EEST", 180}, {"WET", 0},    {"WEST", 60},   {"MSK", 180},   {"JST", 540},  {"KST", 540},
      {"HKT", 480},  {"SGT", 480},  {"AWST", 480},  {"ACST", 570},  {"ACDT", 630}, {"AEST", 600},
      {"AEDT", 660}, {"NZST", 720}, {"NZDT", 780}};
  std::string w(word);
  for (char& ch : w) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (w.size() == 1) {
    const char l = w[0];
    if (l == 'Z') return 0L;
    if (l >= 'A' && l <= 'I') return (l - 'A' + 1) * 3600L;
    if (l >= 'K' && l <= 'M') return (l - 'K' + 10) * 3600L;
    if (l >= 'N' && l <= 'Y') return -(l - 'N' + 1) * 3600L;
    return std::nullopt;  // J: local time, not a zone
  }
  const auto it = kZones.find(w);
  if (it == kZones.end()) return std::nullopt;
  return it->second * 60L;
}

// RFC 822 / 2822 / 850: "[Wed,] 26 Jan 2022 20:27[:25] [zone]", the month-first and 12-hour
// variants seen in real feeds ("Sat, Dec 16 2023 02:02:33 PM") and asctime
// ("Wed Jan 26 20:27:25 2022").
std::optional<Fields> parse_rfc822(std::string_view text) {
  Cursor c{text};
  Fields f;
  c.skip_spaces();
  const std::size_t word_start = c.i;
  if (std::isalpha(static_cast<unsigned char>(c.peek()))) {
    const std::string_view w = c.word();
    if (month_from_name(w) != 0) {
      c.i = word_start;  // month first, no day of week
    } else {
      if (w.size() < 3) return std::nullopt;  // a day of week
      c.eat(',');
      c.skip_spaces();
    }
  }
  // "26 Jan 2022", or month first as some feeds write it: "Jan 26 2022" / "Jan 26, 2022".
  std::optional<int> d;
  int mo = 0;
  bool asctime = false;
  if (std::isalpha(static_cast<unsigned char>(c.peek()))) {
    mo = month_from_name(c.word());
    c.skip_spaces();
    d = c.number(2);
    if (is_digit(c.peek())) return std::nullopt;  // "Jan 2022" has no day
    c.eat(',');
    c.skip_spaces();
    // asctime: the clock comes before the year.
    const std::size_t colon = c.s.find(':', c.i);
    const std::size_t space = c.s.find(' ', c.i);
    asctime = colon != std::string_view::npos && colon < space;
  } else {
    d = c.number(2);
    if (is_digit(c.peek())) return std::nullopt;
    c.skip_spaces();
    c.eat('-');
    mo = month_from_name(c.word());
    c.eat('-');
  }
  if (!d || mo == 0) return std::nullopt;
  f.month = mo;
  f.day = *d;
  const auto read_year = [&]() -> bool {
    c.skip_spaces();
    const std::size_t ystart = c.i;
    const auto y = c.number(4);
    if (!y) return false;
    if (c.i - ystart == 2) {
      f.year = *y + (*y < 50 ? 2000 : 1900);  // RFC 2822 section 4.3
    } else if (c.i - ystart == 4) {
      f.year = *y;
    } else {
      return false;
    }
    return c.done() || c.peek() == ' ' || c.peek() == '\t' || c.peek() == ',';
  };
  if (asctime) {
    if (!parse_clock(c, f)) return std::nullopt;
    c.skip_spaces();
    if (!read_year()) return std::nullopt;
    c.skip_spaces();
    return c.done() ? std::optional<Fields>(f) : std::nullopt;
  }
  if (!read_year()) return std::nullopt;
  c.eat(',');
  c.skip_spaces();
  if (c.done()) return f;
  if (!parse_clock(c, f)) return std::nullopt;
  c.skip_spaces();
  // A 12-hour clock: "02:02:33 PM".
  if (const std::string ampm = ascii::lowered(c.s.substr(c.i, 2)); ampm == "am" || ampm == "pm") {
    if (f.hour < 1 || f.hour > 12) return std::nullopt;
    f.hour = f.hour % 12 + (ampm == "pm" ? 12 : 0);
    c.i += 2;
    c.skip_spaces();
  }
  if (c.done()) return f;
  if (c.peek() == '+' || c.peek() == '-') {
    if (!parse_numeric_offset(c, f)) return std::nullopt;
  } else {
    const std::string_view w = c.word();
    const auto z = named_zone(w);
    if (!z) return std::nullopt;
    f.offset = *z;
    // "GMT+8", "UTC+08:00"
    if ((c.peek() == '+' || c.peek() == '-') && *z == 0 && w.size() > 1) {
      if (!parse_numeric_offset(c, f, /*loose_hours=*/true)) return std::nullopt;
    }
  }
  c.skip_spaces();
  // Tolerate a trailing comment such as "(CST)".
  if (c.peek() == '(' && text.back() == ')') return f;
  if (!c.done()) return std::nullopt;
  return f;
}

// "2022年01月26日 20:27[:25]", "2022年1月26日", optionally with an offset.
std::optional<Fields> parse_chinese(std::string_view text) {
  static constexpr std::string_view kYear = "\xE5\xB9\xB4";   // 年
  static constexpr std::string_view kMonth = "\xE6\x9C\x88";  // 月
  static constexpr std::string_view kDay = "\xE6\x97\xA5";    // 日
  Cursor c{text};
  Fields f;
  const auto y = c.digits(4);
  if (!y || c.s.substr(c.i, 3) != kYear) return std::nullopt;
  c.i += 3;
  c.skip_spaces();
  const auto mo = c.number(2);
  if (!mo || c.s.substr(c.i, 3) != kMonth) return std::nullopt;
  c.i += 3;
  c.skip_spaces();
  const auto d = c.number(2);
  if (!d || c.s.substr(c.i, 3) != kDay) return std::nullopt;
  c.i += 3;
  f.year = *y;
  f.month = *mo;
  f.day = *d;
  c.skip_spaces();
  if (c.done()) return f;
  if (!parse_clock(c, f)) return std::nullopt;
  return finish_with_offset(c, f);
}

// Epoch seconds (9-11 digits, optional fraction) or milliseconds (12-13 digits).
std::optional<Timestamp> parse_epoch(std::string_view t) {
  const std::size_t dot = t.find('.');
  const std::string_view whole = t.substr(0, dot);
  if (whole.empty()) return std::nullopt;
  for (char ch : whole) {
    if (!is_digit(ch)) return std::nullopt;
  }
  if (dot != std::string_view::npos) {
    const std::string_view frac = t.substr(dot + 1);
    if (frac.empty() || frac.size() > 9) return std::nullopt;
    for (char ch : frac) {
      if (!is_digit(ch)) return std::nullopt;
    }
  }
  if (whole.size() < 9 || whole.size() > 13) return std::nullopt;  // also bounds `v`
  long long v = 0;
  for (char ch : whole) v = v * 10 + (ch - '0');
  if (whole.size() <= 11) return Timestamp{seconds{v}};
  if (dot == std::string_view::npos) {
    return Timestamp{seconds{v / 1000}};
  }
  return std::nullopt;
}

bool is_utc_name(std::string_view zone) {
  return zone.empty() || zone == "UTC" || zone == "Etc/UTC" || zone == "GMT" || zone == "Etc/GMT" ||
         zone == "Z";
}

}  // namespace

std::optional<long> zone_offset_at_local(std::string_view zone, local_seconds local) {
  if (is_utc_name(zone)) return 0L;
  // ICU zones are immutable once built; one per name is cached for the process lifetime.
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<icu::BasicTimeZone>, std::less<>> cache;
  std::lock_guard lock(mutex);
  auto it = cache.find(zone);
  if (it == cache.end()) {
    std::unique_ptr<icu::TimeZone> tz(icu::TimeZone::createTimeZone(
        icu::UnicodeString::fromUTF8(icu::StringPiece(zone.data(), zone.size()))));
    icu::UnicodeString id;
    if (!tz || tz->getID(id) == icu::UnicodeString(u"Etc/Unknown")) {
      it = cache.emplace(std::string(zone), nullptr).first;
    } else {
      std::unique_ptr<icu::BasicTimeZone> basic;
      if (dynamic_cast<icu::BasicTimeZone*>(tz.get()) != nullptr) {
        basic.reset(static_cast<icu::BasicTimeZone*>(tz.release()));
      }
      it = cache.emplace(std::string(zone), std::move(basic)).first;
    }
  }
  if (!it->second) return std::nullopt;
  const UDate local_ms = static_cast<UDate>(local.time_since_epoch().count()) * 1000.0;
  int32_t raw = 0;
  int32_t dst = 0;
  UErrorCode status = U_ZERO_ERROR;
  it->second->getOffsetFromLocal(local_ms, UCAL_TZ_LOCAL_FORMER, UCAL_TZ_LOCAL_FORMER, raw, dst,
                                 status);
  if (U_FAILURE(status)) return std::nullopt;
  return (static_cast<long>(raw) + dst) / 1000;
}

std::optional<Timestamp> parse_time(std::string_view text, std::string_view zone) {
  const std::string_view t = trim(text);
  if (t.empty() || t.size() > 64) return std::nullopt;
  if (is_digit(t[0])) {
    if (t.size() == 8 || (t.size() > 8 && (t[8] == 'T' || t[8] == 't'))) {
      if (auto f = parse_iso_basic(t)) return to_utc(*f, zone);
    }
    if (auto ts = parse_epoch(t)) return ts;
    if (auto f = parse_iso(t)) return to_utc(*f, zone);
    if (auto f = parse_chinese(t)) return to_utc(*f, zone);
  }
  if (auto f = parse_rfc822(t)) return to_utc(*f, zone);
  return std::nullopt;
}

}  // namespace newsd::parse
