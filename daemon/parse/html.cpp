// Minimal article pages: metadata from <title>/OpenGraph/<time>, text from <article>, <main>
// or <body>. Main-content extraction (readability) and JSON-LD come in a later issue.
#include <gumbo.h>

#include <memory>
#include <string>
#include <vector>

#include "parse/formats.h"
#include "parse/html_text.h"
#include "parse/text_util.h"
#include "parse/timeparse.h"

namespace newsd::parse {
namespace {

std::string_view attr(const GumboNode* n, const char* name) {
  const GumboAttribute* a = gumbo_get_attribute(&n->v.element.attributes, name);
  return a != nullptr ? std::string_view(a->value) : std::string_view{};
}

struct Page {
  const GumboNode* html = nullptr;
  const GumboNode* title = nullptr;
  const GumboNode* article = nullptr;
  const GumboNode* main = nullptr;
  const GumboNode* body = nullptr;
  const GumboNode* time = nullptr;
  std::string canonical;
  std::vector<std::pair<std::string, std::string>> meta;  // (property or name, content)

  std::string meta_value(std::string_view key) const {
    for (const auto& [k, v] : meta) {
      if (k == key && !trim(v).empty()) return std::string(trim(v));
    }
    return {};
  }
};

// One iterative pass collecting the elements the metadata rules need.
Page scan(const GumboNode* root) {
  Page page;
  std::vector<const GumboNode*> stack{root};
  while (!stack.empty()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    const GumboVector* kids = nullptr;
    if (n->type == GUMBO_NODE_DOCUMENT) {
      kids = &n->v.document.children;
    } else if (n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE) {
      kids = &n->v.element.children;
      switch (n->v.element.tag) {
        case GUMBO_TAG_HTML:
          if (!page.html) page.html = n;
          break;
        case GUMBO_TAG_TITLE:
          if (!page.title) page.title = n;
          break;
        case GUMBO_TAG_ARTICLE:
          if (!page.article) page.article = n;
          break;
        case GUMBO_TAG_MAIN:
          if (!page.main) page.main = n;
          break;
        case GUMBO_TAG_BODY:
          if (!page.body) page.body = n;
          break;
        case GUMBO_TAG_TIME:
          if (!page.time && !attr(n, "datetime").empty()) page.time = n;
          break;
        case GUMBO_TAG_LINK:
          if (page.canonical.empty() && ascii_lower(attr(n, "rel")) == "canonical") {
            page.canonical = attr(n, "href");
          }
          break;
        case GUMBO_TAG_META: {
          std::string key = ascii_lower(attr(n, "property"));
          if (key.empty()) key = ascii_lower(attr(n, "name"));
          if (!key.empty()) page.meta.emplace_back(std::move(key), attr(n, "content"));
          break;
        }
        default:
          break;
      }
    } else {
      continue;
    }
    // Push in reverse so that document order is kept ("first" means first in the page).
    for (unsigned k = kids->length; k > 0; --k) {
      stack.push_back(static_cast<const GumboNode*>(kids->data[k - 1]));
    }
  }
  return page;
}

}  // namespace

Expected<std::vector<Parsed>> parse_html(std::string_view text, const Context& ctx) {
  if (html_depth_estimate(text) > kMaxHtmlDepth) {
    return make_error("html: elements nested deeper than " + std::to_string(kMaxHtmlDepth));
  }
  GumboOptions options = kGumboDefaultOptions;
  options.max_errors = 0;
  std::unique_ptr<GumboOutput, void (*)(GumboOutput*)> output(
      gumbo_parse_with_options(&options, text.data(), text.size()),
      [](GumboOutput* o) { gumbo_destroy_output(&kGumboDefaultOptions, o); });
  if (!output) return make_error("html: gumbo could not parse the document");
  const Page page = scan(output->document);

  Post post;
  post.title = normalize_ws(page.meta_value("og:title"));
  if (post.title.empty() && page.title) post.title = normalize_ws(gumbo_node_text(page.title));
  std::string url = page.canonical.empty() ? page.meta_value("og:url") : page.canonical;
  if (!url.empty()) {
    url = ctx.url ? resolve_url(*ctx.url, url) : url;
    if (is_absolute_http(url)) post.url = url;
  }
  if (!post.url) post.url = ctx.url;
  std::string published = page.meta_value("article:published_time");
  if (published.empty() && page.time) published = attr(page.time, "datetime");
  if (!published.empty()) post.published_at = parse_time(published, ctx.timezone);
  if (std::string updated = page.meta_value("article:modified_time"); !updated.empty()) {
    post.updated_at = parse_time(updated, ctx.timezone);
  }
  if (!post.published_at) post.published_at = post.updated_at;
  std::string summary = page.meta_value("og:description");
  if (summary.empty()) summary = page.meta_value("description");
  if (!summary.empty()) post.summary = normalize_ws(summary);
  if (std::string author = page.meta_value("author"); !author.empty()) {
    post.author = normalize_ws(author);
  }
  if (page.html) {
    if (const std::string_view lang = trim(attr(page.html, "lang")); !lang.empty()) {
      post.lang = std::string(lang);
    }
  }
  const GumboNode* content = page.article ? page.article : page.main ? page.main : page.body;
  post.body_text = gumbo_node_text(content);
  if (post.body_text.empty() && post.summary) post.body_text = *post.summary;
  if (post.title.empty()) post.title = derive_title(post.summary, post.body_text, post.url);
  post.id = post.url && post.url != ctx.url ? *post.url : fallback_id(ctx);
  if (post.id.empty() && post.url) post.id = *post.url;
  std::vector<Parsed> out;
  out.push_back(Parsed{std::move(post), std::nullopt, std::nullopt});
  return out;
}

}  // namespace newsd::parse
