// The parse stage: bytes of one fetched document -> newsd.post/v1 records.
//
// Error policy: a document that cannot be parsed is an expected failure and comes back as
// an Error value naming what is wrong; parsers never throw on untrusted input.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/post.h"
#include "core/result.h"

namespace newsd::parse {

enum class Format { automatic, rss, rdf, atom, jsonfeed, json_api, jekyll, html, text, sitemap };

// "auto", "rss", ...; nullopt for an unknown name.
std::optional<Format> format_from_string(std::string_view name);
std::string_view to_string(Format f);

// How a `json_api` source is read: the shape of the seed pipeline's list endpoint.
struct JsonApiMapping {
  std::string items;                          // JSON pointer to the array of items ("" = root)
  std::map<std::string, std::string> fields;  // record field -> JSON pointer within an item;
                                              // fields: id title url origin_url published_at
                                              // updated_at category tags media author summary
                                              // body body_html lang; url and origin_url
                                              // may be templates (json_template.h)
  std::optional<std::string> detail_url;      // template (json_template.h): {id} names a
                                              // record field, {infoCode} or {/infoCode} the
                                              // item's member; values URL-encoded
  std::optional<std::string> detail_body;     // JSON pointer to the body in the detail response
};

struct Context {
  std::string source;                        // the source's configured name -> Post::source
  std::optional<std::string> url;            // where the document came from (or --url)
  std::optional<std::string> file_name;      // local file (newsd parse): its slug can be the id
  std::string timezone = "UTC";              // IANA zone for times written without an offset
  std::string content_type;                  // HTTP Content-Type, may be empty
  Timestamp fetched_at{};                    // -> Post::fetched_at
  const JsonApiMapping* json_api = nullptr;  // required for Format::json_api
};

// A child sitemap named by a sitemap index, and when it last changed.
struct SitemapRef {
  std::string url;
  std::optional<Timestamp> lastmod;
};

// What a document says about itself, beyond its entries.
struct DocumentInfo {
  std::optional<std::chrono::seconds> ttl;  // RSS <ttl> (minutes in the feed), sy:updatePeriod
  std::vector<SitemapRef> sitemaps;         // a sitemap index's children (sitemap.h)
  // Where older entries are (RFC 5005): a feed's atom:link rel="next", else rel="prev-archive",
  // resolved against xml:base and the document's URL.
  std::optional<std::string> next_page;
};

// One entry of a parsed document. Feeds give many, an article or a post gives one.
// `link` is the entry's article link, used when the source follows links.
struct Parsed {
  Post post;
  std::optional<std::string> link;
  std::optional<std::string> detail_url;  // json_api: the rendered detail request, if mapped
  // Why the entry cannot be completed (json_api: its detail template names a value the item
  // lacks). Such an entry is counted and logged, never published.
  std::optional<std::string> error = std::nullopt;
};

// Detects the format when `format` is automatic (Content-Type, then the first bytes).
Format detect(std::string_view bytes, std::string_view content_type);

// Parses a document into posts. Each returned post is sealed (content_sha256 set).
// `info`, when given, receives document-level facts (e.g. the feed's TTL).
Expected<std::vector<Parsed>> parse(std::string_view bytes, Format format, const Context& ctx,
                                    DocumentInfo* info = nullptr);

// json_api: completes `post` from its detail response (body at mapping.detail_body: HTML
// becomes body_html + body_text; other mapped fields fill what the list lacked). Resealed.
Expected<Post> apply_detail(const Post& post, std::string_view bytes, const JsonApiMapping& mapping,
                            const Context& ctx);

// Merges an article fetched by following a feed entry's link into that entry: the entry keeps
// its id, url and (non-empty) title and times; the article supplies body, media, origin, ...
// The result is sealed again.
Post merge_followed(const Post& entry, const Post& article);

}  // namespace newsd::parse
