#include "parse/timeparse.h"

#include <unicode/basictz.h>
#include <unicode/timezone.h>

#include <array>
#include <cctype>
#include <map>
#include <memory>
#include <mutex>
#include <string>

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
  return Timestamp{local.time_since_epoch() - seconds{offset}};
}

// "Z", "UTC", "GMT", "+08:00", "+0800", "+08". Returns false on anything else.
bool parse_offset(Cursor& c, Fields& f) {
  if (c.eat('Z') || c.eat('z')) {
    f.offset = 0;
    return true;
  }
  const char sign = c.peek();
  if (sign == '+' || sign == '-') {
    ++c.i;
    const auto h = c.digits(2);
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
  const std::string_view w = c.word();
  if (w == "UTC" || w == "GMT" || w == "UT") {
    f.offset = 0;
    return true;
  }
  return false;
}

// ISO 8601 / RFC 3339 and the space-separated variants.
std::optional<Fields> parse_iso(std::string_view text) {
  Cursor c{text};
  Fields f;
  const auto y = c.digits(4);
  if (!y || !c.eat('-')) return std::nullopt;
  const auto mo = c.digits(2);
  if (!mo || !c.eat('-')) return std::nullopt;
  const auto d = c.digits(2);
  if (!d) return std::nullopt;
  f.year = *y;
  f.month = *mo;
  f.day = *d;
  if (c.done()) return f;  // a bare date: midnight in the zone
  if (!(c.eat('T') || c.eat('t') || c.eat(' '))) return std::nullopt;
  c.skip_spaces();
  const auto h = c.digits(2);
  if (!h || !c.eat(':')) return std::nullopt;
  const auto mi = c.digits(2);
  if (!mi) return std::nullopt;
  f.hour = *h;
  f.minute = *mi;
  if (c.eat(':')) {
    const auto s = c.digits(2);
    if (!s) return std::nullopt;
    f.second = *s;
    if (c.eat('.') || c.eat(',')) {
      if (!c.number(9)) return std::nullopt;
      while (!c.done() && std::isdigit(static_cast<unsigned char>(c.peek()))) ++c.i;
    }
  }
  c.skip_spaces();
  if (c.done()) return f;
  if (!parse_offset(c, f)) return std::nullopt;
  c.skip_spaces();
  if (!c.done()) return std::nullopt;
  return f;
}

int month_from_name(std::string_view w) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  if (w.size() < 3) return 0;
  const std::string lw = ascii_lower(w);
  for (std::size_t k = 0; k < kMonths.size(); ++k) {
    if (lw.starts_with(kMonths[k])) return static_cast<int>(k) + 1;
  }
  return 0;
}

// Zones named in RFC 822 plus a few that are unambiguous in practice.
std::optional<long> named_zone(std::string_view w) {
  static const std::map<std::string, int, std::less<>> kZones = {
      {"UT", 0},   {"UTC", 0},  {"GMT", 0},  {"Z", 0},     {"EST", -5}, {"EDT", -4},
      {"CST", -6}, {"CDT", -5}, {"MST", -7}, {"MDT", -6},  {"PST", -8}, {"PDT", -7},
      {"CET", 1},  {"CEST", 2}, {"EET", 2},  {"EEST", 3},  {"WET", 0},  {"WEST", 1},
      {"JST", 9},  {"KST", 9},  {"HKT", 8},  {"AEST", 10}, {"AEDT", 11}};
  const auto it = kZones.find(w);
  if (it == kZones.end()) return std::nullopt;
  return it->second * 3600L;
}

// RFC 822 / 2822: "[Wed,] 26 Jan 2022 20:27[:25] [zone]", plus the month-first and 12-hour
// variants seen in real feeds ("Sat, Dec 16 2023 02:02:33 PM").
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
  if (std::isalpha(static_cast<unsigned char>(c.peek()))) {
    mo = month_from_name(c.word());
    c.skip_spaces();
    d = c.number(2);
    c.eat(',');
  } else {
    d = c.number(2);
    c.skip_spaces();
    c.eat('-');
    mo = month_from_name(c.word());
    c.eat('-');
  }
  if (!d || mo == 0) return std::nullopt;
  c.skip_spaces();
  const std::size_t ystart = c.i;
  const auto y = c.number(4);
  if (!y) return std::nullopt;
  int year = *y;
  if (c.i - ystart == 2)
    year += year < 50 ? 2000 : 1900;  // RFC 2822 section 4.3
  else if (c.i - ystart != 4)
    return std::nullopt;
  f.year = year;
  f.month = mo;
  f.day = *d;
  c.skip_spaces();
  if (c.done()) return f;
  const auto h = c.number(2);
  if (!h || !c.eat(':')) return std::nullopt;
  const auto mi = c.digits(2);
  if (!mi) return std::nullopt;
  f.hour = *h;
  f.minute = *mi;
  if (c.eat(':')) {
    const auto s = c.digits(2);
    if (!s) return std::nullopt;
    f.second = *s;
  }
  c.skip_spaces();
  // A 12-hour clock: "02:02:33 PM".
  if (const std::string ampm = ascii_lower(c.s.substr(c.i, 2)); ampm == "am" || ampm == "pm") {
    if (f.hour < 1 || f.hour > 12) return std::nullopt;
    f.hour = f.hour % 12 + (ampm == "pm" ? 12 : 0);
    c.i += 2;
    c.skip_spaces();
  }
  if (c.done()) return f;
  if (c.peek() == '+' || c.peek() == '-') {
    if (!parse_offset(c, f)) return std::nullopt;
  } else {
    const std::string_view w = c.word();
    const auto z = named_zone(w);
    if (!z) return std::nullopt;
    f.offset = *z;
  }
  c.skip_spaces();
  // Tolerate a trailing comment such as "(CST)".
  if (c.peek() == '(' && text.back() == ')') return f;
  if (!c.done()) return std::nullopt;
  return f;
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
      auto* basic = dynamic_cast<icu::BasicTimeZone*>(tz.get());
      if (basic != nullptr) tz.release();
      it = cache.emplace(std::string(zone), std::unique_ptr<icu::BasicTimeZone>(basic)).first;
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
  if (auto f = parse_iso(t)) return to_utc(*f, zone);
  if (auto f = parse_rfc822(t)) return to_utc(*f, zone);
  return std::nullopt;
}

}  // namespace newsd::parse
