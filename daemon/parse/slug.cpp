#include "parse/slug.h"

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "core/log.h"
#include "core/transliterator.h"

namespace newsd::parse {
namespace {

// One instance serves the process (core/transliterator.h); a failure is logged once.
const Transliterator& han_latin() {
  static const Transliterator t("Han-Latin; Latin-ASCII; [:Separator:] Remove; Lower");
  static const bool logged = [] {
    if (t.error())
      log::get("parse")->error("ICU transliterator unavailable ({}); slugs keep ASCII only",
                               t.error());
    return true;
  }();
  (void)logged;
  return t;
}

}  // namespace

bool is_slug(std::string_view s) {
  if (s.empty() || s.front() == '-' || s.back() == '-') return false;
  if (s.find("--") != std::string_view::npos) return false;
  for (const char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

namespace {

// Lower case, [a-z0-9-] kept, runs of '-' collapsed, no '-' at either end.
std::string clean_slug(std::string_view latin) {
  std::string out;
  out.reserve(latin.size());
  for (char c : latin) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!keep) continue;
    if (c == '-' && (out.empty() || out.back() == '-')) continue;
    out.push_back(c);
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

}  // namespace

std::string slugify(std::string_view text) {
  if (is_slug(text)) return std::string(text);
  // The transliterator leaves ASCII as it is (but for case, which clean_slug handles): no
  // lock, no cache, no ICU.
  if (is_ascii(text)) return clean_slug(text);
  // Categories repeat (a handful of outlets per source) and transliteration is the costly
  // part of parsing a feed, so results are remembered; the cache is bounded.
  static std::mutex cache_mutex;
  static std::unordered_map<std::string, std::string> cache;
  {
    std::lock_guard lock(cache_mutex);
    if (auto it = cache.find(std::string(text)); it != cache.end()) return it->second;
  }
  std::string out = clean_slug(han_latin().apply(text));
  std::lock_guard lock(cache_mutex);
  if (cache.size() >= 4096) cache.clear();
  cache.emplace(std::string(text), out);
  return out;
}

}  // namespace newsd::parse
