// XML sitemaps (sitemaps.org 0.9) with the Google News extension: `format: sitemap`.
//
// A <urlset> gives one post per <url>: id and url from <loc>; title, publication date,
// language, keywords (as tags) and the publication's name (as media) from <news:news> when
// present; <lastmod> as updated_at, and as published_at when the news block gives none. The
// body comes later, from fetching the page. A <sitemapindex> gives no posts but its child
// sitemaps with their <lastmod>, for the engine to fetch (conditionally, when it changed).
//
// The protocol's limits are enforced with an error naming them: at most 50,000 URLs (or
// child sitemaps) and 50 MiB uncompressed per file; gzip is recognised by its magic number
// and inflated up to that limit, so a gzip bomb costs at most 50 MiB.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "parse/parser.h"

namespace newsd::parse {

inline constexpr std::size_t kMaxSitemapUrls = 50'000;
inline constexpr std::size_t kMaxSitemapBytes = 50u << 20;  // 52,428,800: sitemaps.org

struct Sitemap {
  bool index = false;                // a <sitemapindex>
  std::vector<Parsed> urls;          // a <urlset>'s entries (not sealed)
  std::vector<SitemapRef> sitemaps;  // a <sitemapindex>'s children
};

// `bytes` as fetched: gzip or not, in any charset the XML declaration names.
Expected<Sitemap> read_sitemap(std::string_view bytes, const Context& ctx);

// Whether a child sitemap an index names must be fetched (conditionally) again, given what the
// index said about it when it was last fetched (`last`, null when never): when either index
// gives no lastmod it cannot tell, so yes; otherwise only when lastmod changed.
bool child_changed(const SitemapRef& child, const SitemapRef* last);

}  // namespace newsd::parse
