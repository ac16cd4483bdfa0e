// Dispatch: size limit, charset, format detection, per-format parser, sealing.
#include "parse/parser.h"

#include <algorithm>
#include <array>
#include <exception>
#include <utility>

#include "core/ascii.h"
#include "core/log.h"
#include "parse/binary.h"
#include "parse/charset.h"
#include "parse/feed_info.h"
#include "parse/formats.h"
#include "parse/gunzip.h"
#include "parse/sitemap.h"
#include "parse/text_util.h"

namespace newsd::parse {
namespace {

constexpr std::size_t kMaxDocumentBytes = 32u << 20;  // 32 MiB

constexpr std::array<std::pair<Format, std::string_view>, 10> kNames = {{
    {Format::automatic, "auto"},
    {Format::rss, "rss"},
    {Format::rdf, "rdf"},
    {Format::atom, "atom"},
    {Format::jsonfeed, "jsonfeed"},
    {Format::json_api, "json_api"},
    {Format::jekyll, "jekyll"},
    {Format::html, "html"},
    {Format::text, "text"},
    {Format::sitemap, "sitemap"},
}};

std::string mime_of(std::string_view content_type) {
  const auto semi = content_type.find(';');
  return ascii::lowered(trim(content_type.substr(0, semi)));
}

// Skips whitespace, comments, processing instructions and DOCTYPE; returns the name of the
// root element, or empty when there is none in the first 64 KiB.
std::string xml_root_name(std::string_view s) {
  s = s.substr(0, 64 * 1024);
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t lt = s.find('<', i);
    if (lt == std::string_view::npos || lt + 1 >= s.size()) return {};
    const std::string_view rest = s.substr(lt);
    if (rest.starts_with("<?")) {
      const auto end = s.find("?>", lt);
      if (end == std::string_view::npos) return {};
      i = end + 2;
    } else if (rest.starts_with("<!--")) {
      const auto end = s.find("-->", lt);
      if (end == std::string_view::npos) return {};
      i = end + 3;
    } else if (rest.starts_with("<!")) {
      // DOCTYPE, possibly with an internal subset in [...].
      const auto bracket = s.find('[', lt);
      const auto gt = s.find('>', lt);
      if (gt == std::string_view::npos) return {};
      if (bracket != std::string_view::npos && bracket < gt) {
        const auto end = s.find("]>", bracket);
        if (end == std::string_view::npos) return {};
        i = end + 2;
      } else {
        i = gt + 1;
      }
    } else {
      std::size_t end = lt + 1;
      while (end < s.size() && s[end] != ' ' && s[end] != '>' && s[end] != '/' && s[end] != '\t' &&
             s[end] != '\n' && s[end] != '\r') {
        ++end;
      }
      return std::string(s.substr(lt + 1, end - lt - 1));
    }
  }
  return {};
}

Format format_of_xml_root(std::string_view root) {
  const auto colon = root.find(':');
  const std::string local =
      ascii::lowered(colon == std::string_view::npos ? root : root.substr(colon + 1));
  if (local == "feed") return Format::atom;
  if (local == "rdf") return Format::rdf;
  if (local == "html") return Format::html;
  if (local == "urlset" || local == "sitemapindex") return Format::sitemap;
  return Format::rss;  // rss, or an unknown root that the RSS parser will name in its error
}

Format sniff_json(std::string_view s) {
  const std::string_view head = s.substr(0, 4096);
  const auto version = head.find("\"version\"");
  if (version != std::string_view::npos &&
      head.find("https://jsonfeed.org/", version) != std::string_view::npos) {
    return Format::jsonfeed;
  }
  return Format::json_api;
}

// An unmistakable JSON document: an object, or an array of objects/arrays/strings, closed.
bool is_json_document(std::string_view bytes) {
  const std::string_view t = trim(strip_bom(bytes));
  if (t.size() < 2) return false;
  if (t.front() == '{') return t.back() == '}';
  if (t.front() != '[' || t.back() != ']') return false;
  const std::string_view inner = trim(t.substr(1));
  return !inner.empty() && (inner.front() == '{' || inner.front() == '[' || inner.front() == '"' ||
                            inner.front() == ']');
}

Format sniff(std::string_view bytes) {
  std::string_view s = strip_bom(bytes);
  // Leading blank lines (front matter may be preceded by them) and spaces.
  const std::size_t start = s.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return Format::text;
  const std::string_view t = s.substr(start);
  if (t.starts_with("---")) {
    const std::string_view line = t.substr(0, t.find('\n'));
    if (trim(line) == "---") return Format::jekyll;
  }
  if (t.starts_with('{')) return sniff_json(t);
  if (t.starts_with('[')) return Format::json_api;
  if (t.starts_with('<')) {
    // Compared in place: a lowered copy of the first 512 bytes per document was measurable.
    const auto head = [&t](std::string_view lower) { return ascii::starts_with_lower(t, lower); };
    if (head("<!doctype html") || head("<html") || head("<head") || head("<body") ||
        head("<meta") || head("<title")) {
      return Format::html;
    }
    if (head("<?xml") || head("<feed") || head("<rss") || head("<rdf:rdf") || head("<!--") ||
        head("<!doctype") || head("<urlset") || head("<sitemapindex")) {
      const std::string root = xml_root_name(t);
      if (!root.empty()) return format_of_xml_root(root);
    }
    return Format::html;
  }
  return Format::text;
}

}  // namespace

std::optional<Format> format_from_string(std::string_view name) {
  const std::string lower = ascii::lowered(name);
  for (const auto& [format, text] : kNames) {
    if (lower == text) return format;
  }
  if (lower == "automatic") return Format::automatic;
  return std::nullopt;
}

std::string_view to_string(Format f) {
  for (const auto& [format, text] : kNames) {
    if (format == f) return text;
  }
  return "unknown";
}

Format detect(std::string_view bytes, std::string_view content_type) {
  if (is_gzip(bytes)) return Format::sitemap;  // .xml.gz: the only compressed format read
  const std::string mime = mime_of(content_type);
  if (mime == "application/atom+xml") return Format::atom;
  if (mime == "application/rss+xml") return Format::rss;
  if (mime == "application/rdf+xml") return Format::rdf;
  if (mime == "application/feed+json") return Format::jsonfeed;
  if (mime == "application/json" || mime.ends_with("+json")) {
    return sniff_json(strip_bom(bytes).substr(0, 64 * 1024));
  }
  // List APIs are often served as text/plain or text/html: JSON is JSON.
  if (mime.starts_with("text/") && is_json_document(bytes)) return sniff_json(strip_bom(bytes));
  if (mime == "text/html" || mime == "application/xhtml+xml") {
    // Servers label feeds text/html surprisingly often; trust an unmistakable feed root.
    const Format sniffed = sniff(bytes);
    if (sniffed == Format::atom || sniffed == Format::rss || sniffed == Format::rdf) {
      return sniffed;
    }
    return Format::html;
  }
  if (mime == "text/markdown" || mime == "text/x-markdown") {
    return sniff(bytes) == Format::jekyll ? Format::jekyll : Format::text;
  }
  if (mime == "text/plain") {
    // Jekyll posts are often served as text/plain (.txt, .md).
    return sniff(bytes) == Format::jekyll ? Format::jekyll : Format::text;
  }
  // text/xml, application/xml, octet-stream, missing or unknown: the bytes decide.
  return sniff(bytes);
}

std::string fallback_id(const Context& ctx) {
  // A local file's name is the most specific: `newsd parse seeds/000_defc41a5.txt`.
  if (ctx.file_name) {
    if (std::string slug = file_slug(*ctx.file_name); !slug.empty()) return slug;
  }
  if (!ctx.url) return {};
  std::string slug = file_slug(*ctx.url);
  return slug.empty() ? *ctx.url : slug;
}

namespace {

// Sitemaps read their own bytes: they may be gzip and have limits of their own (sitemap.h).
Expected<std::vector<Parsed>> parse_sitemap(std::string_view bytes, const Context& ctx,
                                            DocumentInfo* info) {
  auto sitemap = read_sitemap(bytes, ctx);
  if (!sitemap) return sitemap.error();
  if (info) info->sitemaps = std::move(sitemap->sitemaps);
  return std::move(sitemap->urls);
}

}  // namespace

Expected<std::vector<Parsed>> parse(std::string_view bytes, Format format, const Context& ctx,
                                    DocumentInfo* info) {
  // A gzip file can only be a sitemap (.xml.gz); HTTP's own compression is undone by curl.
  // Any other gzip file is an archive where a document was expected.
  if (format == Format::automatic && is_gzip(bytes)) {
    auto sitemap = parse(bytes, Format::sitemap, ctx, info);
    if (!sitemap) {
      return make_error("binary content (gzip archive), not a document: " +
                        sitemap.error().message);
    }
    return sitemap;
  }
  if (bytes.size() > kMaxDocumentBytes && format != Format::sitemap) {
    return make_error("document of " + std::to_string(bytes.size()) +
                      " bytes exceeds the 32 MiB limit");
  }
  // A sitemap may be gzip, which is an archive signature to everything else.
  if (format != Format::sitemap) {
    if (auto what = binary_signature(bytes, ctx.content_type)) {
      return make_error("binary content (" + *what + "), not a document");
    }
  }
  try {
    std::string text = format == Format::sitemap ? std::string() : to_utf8(bytes, ctx.content_type);
    if (has_nul_bytes(text)) return make_error("binary content (NUL bytes), not a document");
    const Format f = format == Format::automatic ? detect(text, ctx.content_type) : format;
    Expected<std::vector<Parsed>> result = make_error("unreachable");
    switch (f) {
      case Format::sitemap:
        result = parse_sitemap(bytes, ctx, info);
        break;
      case Format::jekyll:
        result = parse_jekyll(text, ctx);
        break;
      case Format::text:
        result = parse_text(text, ctx);
        break;
      case Format::rss:
      case Format::rdf:
      case Format::atom:
        result = parse_feed_in_place(text, f, ctx, info);  // text is not read after this
        break;
      case Format::html:
        result = parse_html(text, ctx);
        break;
      case Format::jsonfeed:
        result = parse_jsonfeed(text, ctx);
        break;
      case Format::json_api:
        result = parse_json_api(text, ctx);
        break;
      case Format::automatic:
        return make_error("format detection failed");
    }
    if (!result) return result;
    for (Parsed& p : *result) {
      Post& post = p.post;
      post.source = ctx.source;
      post.fetched_at = ctx.fetched_at;
      seal(post);
      // A post must have an id (DESIGN.md); the content digest is the last resort.
      if (post.id.empty()) post.id = post.url.value_or(post.content_sha256);
    }
    return result;
  } catch (const std::exception& e) {
    log::get("parse")->warn("parser failed on a document from {}: {}", ctx.source, e.what());
    return make_error(std::string("parse failed: ") + e.what());
  } catch (...) {
    return make_error("parse failed: unknown exception");
  }
}

Post merge_followed(const Post& entry, const Post& article) {
  Post out = article;
  out.id = entry.id;
  out.source = entry.source;
  if (entry.url) out.url = entry.url;
  // An entry titled by its URL only (a sitemap <url> without news:title, a feed item with
  // neither title nor text) says less than the page's own title.
  const bool url_for_title = entry.url && entry.title == *entry.url && !trim(out.title).empty();
  if (!trim(entry.title).empty() && !url_for_title) out.title = entry.title;
  if (entry.published_at) out.published_at = entry.published_at;
  if (entry.updated_at) out.updated_at = entry.updated_at;
  // What the article lacks, the entry may still know.
  if (!out.origin_url) out.origin_url = entry.origin_url;
  if (!out.category) out.category = entry.category;
  if (out.tags.empty()) out.tags = entry.tags;
  if (!out.media) out.media = entry.media;
  if (!out.author) out.author = entry.author;
  if (!out.summary) out.summary = entry.summary;
  if (!out.lang) out.lang = entry.lang;
  if (trim(out.body_text).empty()) {
    out.body_text = entry.body_text;
    out.body_html = entry.body_html;
  }
  out.fetched_at = std::max(entry.fetched_at, article.fetched_at);
  seal(out);
  return out;
}

}  // namespace newsd::parse
