#include "schedule/sitemap_walk.h"

#include <algorithm>

#include "parse/sitemap.h"
#include "schedule/host_queue.h"

namespace newsd::schedule {

std::vector<parse::SitemapRef> SitemapMemory::changed(
    const std::vector<parse::SitemapRef>& index) const {
  std::vector<parse::SitemapRef> out;
  std::set<std::string> listed;
  for (const auto& child : index) {
    if (!listed.insert(child.url).second) continue;
    const SitemapChild* last = find(child.url);
    if (parse::child_changed(child, last ? &last->ref : nullptr)) out.push_back(child);
  }
  return out;
}

const SitemapChild* SitemapMemory::find(const std::string& url) const {
  const auto it = children_.find(url);
  return it == children_.end() ? nullptr : &it->second;
}

fetch::Request SitemapMemory::request(const config::Http& http, const std::string& child) const {
  fetch::Request req = request_for(http, child);
  allow_sitemap_body(req);
  if (const SitemapChild* last = find(child)) {
    if (last->etag) req.headers.push_back("If-None-Match: " + *last->etag);
    if (last->last_modified) req.headers.push_back("If-Modified-Since: " + *last->last_modified);
  }
  return req;
}

void SitemapMemory::apply(SitemapUpdate update) {
  if (!update.walked || update.incomplete) return;
  std::erase_if(children_, [&](const auto& kv) { return !update.named.contains(kv.first); });
  for (auto& [url, child] : update.fetched) children_[url] = std::move(child);
}

void allow_sitemap_body(fetch::Request& req) {
  req.max_body_bytes = std::max(req.max_body_bytes, parse::kMaxSitemapBytes);
}

}  // namespace newsd::schedule
