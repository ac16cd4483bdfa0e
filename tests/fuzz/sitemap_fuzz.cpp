// The sitemap reader through parse(): plain or gzip, as `format: sitemap` and detected. Any
// input gives records that keep the record's invariants or an error; never a crash, and a
// gzip input never inflates past the protocol's 50 MiB.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_util.h"
#include "parse/sitemap.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto ctx = newsd::fuzz::context();
  newsd::parse::DocumentInfo info;
  const auto posts = newsd::parse::parse(bytes, newsd::parse::Format::sitemap, ctx, &info);
  newsd::fuzz::check(posts);
  if (posts) {
    newsd::fuzz::require(posts->size() <= newsd::parse::kMaxSitemapUrls, "too many URLs");
    for (const auto& p : *posts) {
      newsd::fuzz::require(p.post.url && !p.post.url->empty(), "sitemap record without url");
      newsd::fuzz::require(p.link == p.post.url, "link is not the url");
    }
    newsd::fuzz::require(posts->empty() || info.sitemaps.empty(), "both URLs and sitemaps");
  }
  newsd::fuzz::check(newsd::parse::parse(bytes, newsd::parse::Format::automatic, ctx));
  return 0;
}
