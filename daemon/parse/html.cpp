// Article pages: metadata from JSON-LD (NewsArticle, Article, BlogPosting, also inside
// @graph), OpenGraph/article: meta tags, <title>, <time>, <link rel=canonical>; the main text
// from a readability-style extraction (html/readability.h); body_html is its cleaned HTML
// (html/clean.h) and body_text its text.
#include <gumbo.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/ascii.h"
#include "parse/formats.h"
#include "parse/html/clean.h"
#include "parse/html/gumbo_tree.h"
#include "parse/html/metadata.h"
#include "parse/html/node.h"
#include "parse/html/prepass.h"
#include "parse/html/readability.h"
#include "parse/html/text.h"
#include "parse/slug.h"
#include "parse/text_util.h"
#include "parse/timeparse.h"

namespace newsd::parse {
namespace {

// True when `text` carries its own UTC offset (the zone it is read in does not matter).
bool has_offset(std::string_view text) {
  const auto a = parse_time(text, "UTC");
  return a && a == parse_time(text, "Pacific/Kiritimati");
}

// The first candidate that carries an offset, else the first that parses at all.
std::optional<Timestamp> best_time(const std::vector<std::string>& candidates,
                                   std::string_view zone) {
  for (const std::string& c : candidates) {
    if (has_offset(c)) return parse_time(c, zone);
  }
  for (const std::string& c : candidates) {
    if (auto t = parse_time(c, zone)) return t;
  }
  return std::nullopt;
}

// "en_GB" -> "en-GB".
std::string bcp47(std::string_view locale) {
  std::string out(trim(locale));
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

// Pages nested deeper than gumbo can take in reasonable time are refused (text.h).
std::optional<Error> too_deep(std::string_view text) {
  if (html_depth_estimate(text) <= kMaxHtmlDepth) return std::nullopt;
  return Error{"html: elements nested deeper than " + std::to_string(kMaxHtmlDepth)};
}

Expected<std::vector<Parsed>> read_page(std::string_view text, const Context& ctx) {
  const GumboTree tree(text);
  const GumboOutput* output = tree.output();
  if (output == nullptr) return make_error("html: gumbo could not parse the document");
  const html::Page page = html::scan(output->document);
  const html::LdArticle ld = html::json_ld_article(page.ld_json);

  Post post;
  // Title: JSON-LD headline, og:title, <title> (the latter two without a site-name suffix).
  post.title = ld.headline;
  if (post.title.empty()) {
    std::string t = normalize_ws(page.meta_value("og:title"));
    if (t.empty()) t = normalize_ws(page.meta_value("twitter:title"));
    if (t.empty() && page.title) t = normalize_ws(gumbo_node_text(page.title));
    post.title = html::strip_site_name(t, page);
  }

  std::string url = page.canonical.empty() ? page.meta_value("og:url") : page.canonical;
  if (!url.empty()) {
    url = ctx.url ? resolve_url(*ctx.url, url) : url;
    if (is_absolute_http(url)) post.url = url;
  }
  if (!post.url) post.url = ctx.url;

  std::vector<std::string> published = page.meta_values("article:published_time");
  for (const char* key : {"og:article:published_time", "datepublished"}) {
    for (std::string& v : page.meta_values(key)) published.push_back(std::move(v));
  }
  if (!ld.published.empty()) published.push_back(ld.published);
  std::vector<std::string> modified = page.meta_values("article:modified_time");
  for (const char* key : {"og:article:modified_time", "datemodified"}) {
    for (std::string& v : page.meta_values(key)) modified.push_back(std::move(v));
  }
  if (!ld.modified.empty()) modified.push_back(ld.modified);
  for (const GumboNode* t : page.times) {
    const std::string prop = ascii::lowered(trim(html::attr(t, "itemprop")));
    (prop == "datemodified" ? modified : published).emplace_back(trim(html::attr(t, "datetime")));
  }
  post.published_at = best_time(published, ctx.timezone);
  post.updated_at = best_time(modified, ctx.timezone);
  if (!post.published_at) post.published_at = post.updated_at;

  std::string summary = page.meta_value("og:description");
  if (summary.empty()) summary = page.meta_value("description");
  if (summary.empty()) summary = ld.description;
  if (!summary.empty()) post.summary = normalize_ws(summary);

  std::string author = ld.author;
  for (const char* key : {"author", "article:author", "og:article:author", "dc.creator"}) {
    if (!author.empty()) break;
    const std::string v = page.meta_value(key);
    if (!v.empty() && !is_absolute_http(v)) author = normalize_ws(v);  // profile URLs are no name
  }
  if (author.empty() && page.author) author = html::microdata_name(page.author);
  if (!author.empty()) post.author = std::move(author);

  if (page.html) {
    if (const std::string_view lang = trim(html::attr(page.html, "lang")); !lang.empty()) {
      post.lang = std::string(lang);
    } else if (const std::string_view xml_lang = trim(html::attr(page.html, "xml:lang"));
               !xml_lang.empty()) {
      post.lang = std::string(xml_lang);
    }
  }
  if (!post.lang && !ld.lang.empty()) post.lang = bcp47(ld.lang);
  if (!post.lang) {
    if (std::string locale = page.meta_value("og:locale"); !locale.empty()) {
      post.lang = bcp47(locale);
    }
  }

  std::string section = page.meta_value("article:section");
  if (section.empty()) section = page.meta_value("og:article:section");
  if (section.empty()) section = ld.section;
  if (!section.empty()) {
    if (std::string slug = slugify(section); !slug.empty()) post.category = std::move(slug);
  }
  for (const std::string& tags : page.meta_values("article:tag")) {
    // One tag per meta, or one meta with a comma-separated list.
    std::size_t i = 0;
    while (i <= tags.size()) {
      const std::size_t end = std::min(tags.find(',', i), tags.size());
      if (std::string t = normalize_ws(std::string_view(tags).substr(i, end - i)); !t.empty()) {
        if (std::find(post.tags.begin(), post.tags.end(), t) == post.tags.end()) {
          post.tags.push_back(std::move(t));
        }
      }
      i = end + 1;
    }
  }

  // Main text.
  if (page.body) {
    html::Extractor ex(page.body);
    std::vector<const GumboNode*> nodes = ex.run();
    if (nodes.empty()) nodes.push_back(page.body);
    html::CleanArticle article = html::clean_article(ex, nodes, post.title, post.url);
    post.body_text = std::move(article.text);
    if (!post.body_text.empty()) post.body_html = std::move(article.html);
  }
  if (post.body_text.empty() && post.summary) post.body_text = *post.summary;
  if (post.title.empty()) post.title = derive_title(post.summary, post.body_text, post.url);
  post.id = post.url && post.url != ctx.url ? *post.url : fallback_id(ctx);
  if (post.id.empty() && post.url) post.id = *post.url;
  std::vector<Parsed> out;
  out.push_back(Parsed{std::move(post), std::nullopt, std::nullopt});
  return out;
}

}  // namespace

Expected<std::vector<Parsed>> parse_html(std::string_view text, const Context& ctx) {
  if (std::optional<Error> e = too_deep(text)) return std::move(*e);
  // Most of a page is bytes the reader never looks at (scripts, styles, unused attributes);
  // gumbo spends most of the time on them unless the pre-pass takes them out first.
  return read_page(shrink_html(text), ctx);
}

Expected<std::vector<Parsed>> read_html_page(std::string_view text, const Context& ctx) {
  if (std::optional<Error> e = too_deep(text)) return std::move(*e);
  return read_page(text, ctx);
}

}  // namespace newsd::parse
