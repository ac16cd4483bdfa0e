// A sitemap index between polls (docs/sources.md, "News sitemaps"): which child sitemaps a
// poll fetches, and what the source remembers of them once the poll has succeeded.
//
// A child is fetched when the index gives it a lastmod other than the one it had when it was
// last fetched, or when either lastmod is missing (parse::child_changed); the request is
// conditional on the validators of that fetch. What a poll learns (new lastmods, validators)
// is staged in a SitemapUpdate and applied to the source's SitemapMemory only when the poll
// succeeded: a child whose posts did not all reach Kafka is fetched again at the next poll.
// The memory lives as long as the process: after a restart every child is fetched once more
// and its URLs are judged against the seen-store, so nothing is published twice.
//
// Thread-safety: the event loop's thread only (a SourceState's member and a Poll's).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fetch/http_client.h"
#include "parse/parser.h"

namespace newsd::schedule {

struct SitemapChild {
  parse::SitemapRef ref;  // as the index named it when it was last fetched
  std::optional<std::string> etag, last_modified;
};

// What one poll learned of an index: the children it fetched (or found not modified), and
// every child the index names now (the others are forgotten).
struct SitemapUpdate {
  bool walked = false;  // the poll read an index
  // Some post was not fetched for a reason that passes (robots.txt unreachable): the children
  // stay as they were, to be read again at the next poll.
  bool incomplete = false;
  std::map<std::string, SitemapChild> fetched;
  std::set<std::string> named;
};

class SitemapMemory {
 public:
  // The children of `index` to fetch now, in the index's order; duplicates once.
  std::vector<parse::SitemapRef> changed(const std::vector<parse::SitemapRef>& index) const;
  // The request for `child`: conditional on what its last fetch answered, with the sitemap
  // body limit (at least 50 MiB, kMaxSitemapBytes) when the configured one is smaller.
  fetch::Request request(const config::Http& http, const std::string& child) const;
  void apply(SitemapUpdate update);
  // Every child is fetched again at the next poll (what this poll saw as seen was not kept).
  void forget() { children_.clear(); }
  std::size_t size() const { return children_.size(); }
  const SitemapChild* find(const std::string& url) const;

 private:
  std::map<std::string, SitemapChild> children_;
};

// `req`'s body limit raised to what a sitemap may be (sitemaps.org: 50 MiB uncompressed).
void allow_sitemap_body(fetch::Request& req);

}  // namespace newsd::schedule
