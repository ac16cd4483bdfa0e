#include "parse/sitemap.h"

#include <algorithm>
#include <pugixml.hpp>

#include "core/ascii.h"
#include "parse/charset.h"
#include "parse/gunzip.h"
#include "parse/text_util.h"
#include "parse/timeparse.h"

namespace newsd::parse {
namespace {

// Sitemaps are matched by local name: files use the sitemaps.org namespace as the default,
// under a prefix (`sit:urlset`), or the old Google namespace, and nothing else in the
// protocol shares these names at these places.
std::string_view local_name(pugi::xml_node n) {
  const std::string_view name = n.name();
  const auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node child(pugi::xml_node parent, std::string_view local) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && local_name(c) == local) return c;
  }
  return {};
}

std::string text_of(pugi::xml_node n) {
  if (!n) return {};
  return normalize_ws(n.child_value());
}

std::string location(pugi::xml_node entry, const Context& ctx) {
  std::string loc(trim(child(entry, "loc").child_value()));
  if (loc.empty() || is_absolute_http(loc) || !ctx.url) return loc;
  return resolve_url(*ctx.url, loc);
}

std::optional<Timestamp> time_of(pugi::xml_node n, const Context& ctx) {
  const std::string t = text_of(n);
  if (t.empty()) return std::nullopt;
  return parse_time(t, ctx.timezone);
}

void read_news(pugi::xml_node news, const Context& ctx, Post& post) {
  post.title = text_of(child(news, "title"));
  post.published_at = time_of(child(news, "publication_date"), ctx);
  const pugi::xml_node publication = child(news, "publication");
  if (std::string name = text_of(child(publication, "name")); !name.empty()) {
    post.media = std::move(name);
  }
  if (std::string lang = text_of(child(publication, "language")); !lang.empty()) {
    post.lang = std::move(lang);
  }
  std::string_view keywords = child(news, "keywords").child_value();
  while (!keywords.empty()) {
    const auto comma = keywords.find(',');
    std::string tag = normalize_ws(keywords.substr(0, comma));
    if (!tag.empty() && std::find(post.tags.begin(), post.tags.end(), tag) == post.tags.end()) {
      post.tags.push_back(std::move(tag));
    }
    keywords = comma == std::string_view::npos ? std::string_view{} : keywords.substr(comma + 1);
  }
}

Parsed url_entry(pugi::xml_node entry, std::string loc, const Context& ctx) {
  Post post;
  post.id = loc;
  post.url = loc;
  post.updated_at = time_of(child(entry, "lastmod"), ctx);
  if (const pugi::xml_node news = child(entry, "news")) read_news(news, ctx, post);
  if (!post.published_at) post.published_at = post.updated_at;
  if (post.title.empty()) post.title = derive_title(post.summary, post.body_text, post.url);
  return Parsed{std::move(post), std::move(loc), std::nullopt};
}

// The DOCTYPE (if any) declares entities: the door to billion-laughs and XXE.
bool declares_entities(const pugi::xml_document& doc) {
  for (pugi::xml_node n : doc.children()) {
    if (n.type() == pugi::node_doctype &&
        ascii::lowered(n.value()).find("<!entity") != std::string::npos)
      return true;
  }
  return false;
}

std::string too_many(std::string_view what) {
  return "sitemap: more than " + std::to_string(kMaxSitemapUrls) + " " + std::string(what) +
         " (the sitemap protocol's limit; split the file)";
}

}  // namespace

Expected<Sitemap> read_sitemap(std::string_view bytes, const Context& ctx) {
  std::string inflated;
  std::string_view content_type = ctx.content_type;
  if (is_gzip(bytes)) {
    auto out = gunzip(bytes, kMaxSitemapBytes);
    if (!out) {
      return make_error("sitemap: " + out.error().message + " (the limit is " +
                        std::to_string(kMaxSitemapBytes) + " bytes uncompressed)");
    }
    inflated = std::move(*out);
    bytes = inflated;
    content_type = {};  // the header described the compressed file
  } else if (bytes.size() > kMaxSitemapBytes) {
    return make_error("sitemap: " + std::to_string(bytes.size()) + " bytes; the limit is " +
                      std::to_string(kMaxSitemapBytes) + " bytes uncompressed");
  }
  std::string text = to_utf8(bytes, content_type);
  std::string().swap(inflated);
  pugi::xml_document doc;
  const pugi::xml_parse_result res = doc.load_buffer_inplace(
      text.data(), text.size(), pugi::parse_default | pugi::parse_doctype, pugi::encoding_utf8);
  if (!res) {
    const std::size_t offset =
        res.status == pugi::status_no_document_element ? text.size() : res.offset;
    return make_error("sitemap: XML error at byte " + std::to_string(offset) + ": " +
                      res.description());
  }
  if (declares_entities(doc)) {
    return make_error("sitemap: DOCTYPE declares entities; refused (entity expansion attack)");
  }
  const pugi::xml_node root = doc.document_element();
  const std::string_view root_name = local_name(root);
  Sitemap out;
  if (root_name == "urlset") {
    for (pugi::xml_node entry = root.first_child(); entry; entry = entry.next_sibling()) {
      if (entry.type() != pugi::node_element || local_name(entry) != "url") continue;
      std::string loc = location(entry, ctx);
      if (loc.empty()) continue;  // no <loc>: nothing to fetch or name
      if (out.urls.size() == kMaxSitemapUrls) return make_error(too_many("URLs"));
      out.urls.push_back(url_entry(entry, std::move(loc), ctx));
    }
  } else if (root_name == "sitemapindex") {
    out.index = true;
    for (pugi::xml_node entry = root.first_child(); entry; entry = entry.next_sibling()) {
      if (entry.type() != pugi::node_element || local_name(entry) != "sitemap") continue;
      std::string loc = location(entry, ctx);
      if (loc.empty()) continue;
      if (out.sitemaps.size() == kMaxSitemapUrls) return make_error(too_many("sitemaps"));
      out.sitemaps.push_back(SitemapRef{std::move(loc), time_of(child(entry, "lastmod"), ctx)});
    }
  } else {
    return make_error("sitemap: not a sitemap (root element <" + std::string(root.name()) +
                      ">; expected <urlset> or <sitemapindex>)");
  }
  return out;
}

bool child_changed(const SitemapRef& child, const SitemapRef* last) {
  if (!last || !child.lastmod || !last->lastmod) return true;
  return *child.lastmod != *last->lastmod;
}

}  // namespace newsd::parse
