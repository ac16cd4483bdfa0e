// Atom 1.0 and 0.3 entries.
#include <array>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <vector>

#include "core/ascii.h"
#include "parse/feed_xml_internal.h"
#include "parse/html/text.h"
#include "parse/text_util.h"

namespace newsd::parse::xml {
namespace {

enum class TextKind { text, html, xhtml, other };

TextKind atom_kind(pugi::xml_node n) {
  const std::string_view type = trim(n.attribute("type").value());
  const std::string_view mode = trim(n.attribute("mode").value());  // Atom 0.3
  const auto eq = [](std::string_view v, std::string_view lower) {
    return ascii::equals_lower(v, lower);
  };
  if (eq(mode, "base64")) return TextKind::other;  // Atom 0.3 binary content: not text
  if (eq(type, "xhtml") || eq(type, "application/xhtml+xml") || eq(mode, "xml")) {
    return TextKind::xhtml;
  }
  if (eq(type, "html") || eq(type, "text/html") || eq(mode, "escaped")) return TextKind::html;
  if (type.empty() || eq(type, "text") || eq(type, "text/plain")) return TextKind::text;
  return TextKind::other;
}

// An Atom text construct: (html for body_html when marked up, plain text).
std::pair<std::optional<std::string>, std::string> atom_text(pugi::xml_node n) {
  switch (atom_kind(n)) {
    case TextKind::text:
      return {std::nullopt, text_lines(raw_content(n))};
    case TextKind::html: {
      std::string html = raw_content(n);
      std::string text = html_to_text(html);
      return {std::move(html), std::move(text)};
    }
    case TextKind::xhtml: {
      // The content is one xhtml:div whose children are the markup.
      pugi::xml_node div = n.find_child([](pugi::xml_node c) {
        return c.type() == pugi::node_element && local_name(c) == "div";
      });
      std::string html = raw_content(div ? div : n);
      std::string text = html_to_text(html);
      return {std::move(html), std::move(text)};
    }
    case TextKind::other:
      return {std::nullopt, std::string{}};
  }
  return {std::nullopt, std::string{}};
}

std::optional<std::string> atom_author_name(FeedScope& scope, pugi::xml_node author) {
  if (!author) return std::nullopt;
  if (std::string name = one_line(text_of(child(scope.ns, author, kAtomNs, "name")));
      !name.empty()) {
    return name;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> atom_author(FeedScope& scope, pugi::xml_node n) {
  return atom_author_name(scope, child(scope.ns, n, kAtomNs, "author"));
}

namespace {

std::optional<std::string> atom_link(const std::vector<pugi::xml_node>& links, const Context& ctx) {
  pugi::xml_node best;
  for (pugi::xml_node link : links) {
    const std::string_view rel = trim(link.attribute("rel").value());
    if (!rel.empty() && !ascii::equals_lower(rel, "alternate")) continue;
    const std::string_view type = trim(link.attribute("type").value());
    if (!best) best = link;
    if (type.empty() || ascii::equals_lower(type, "text/html") ||
        ascii::equals_lower(type, "application/xhtml+xml")) {
      best = link;
      break;
    }
  }
  if (!best) return std::nullopt;
  std::string href = resolve_at(best, best.attribute("href").value(), ctx);
  if (href.empty()) return std::nullopt;
  return href;
}

enum AtomChild {
  kAtomId,
  kAtomLink,
  kAtomTitle,
  kAtomUpdated,
  kAtomModified,
  kAtomPublished,
  kAtomIssued,
  kAtomCreated,
  kAtomAuthor,
  kAtomSource,
  kAtomSummary,
  kAtomContent,
  kAtomCategory,
  kAtomChildCount
};

constexpr std::array<ChildSpec, kAtomChildCount> kAtomEntryChildren = {{
    {kAtomNs, "id"},
    {kAtomNs, "link", true},
    {kAtomNs, "title"},
    {kAtomNs, "updated"},
    {kAtomNs, "modified"},
    {kAtomNs, "published"},
    {kAtomNs, "issued"},
    {kAtomNs, "created"},
    {kAtomNs, "author"},
    {kAtomNs, "source"},
    {kAtomNs, "summary"},
    {kAtomNs, "content"},
    {kAtomNs, "category", true},
}};

}  // namespace

Post atom_entry(const std::optional<std::string>& feed_author, pugi::xml_node entry,
                FeedScope& scope) {
  const Context& ctx = scope.ctx;
  const auto nodes = collect_children(scope.ns, entry, kAtomEntryChildren);
  const auto& f = nodes.first;
  Post post;
  post.id = text_of(f[kAtomId]);
  post.url = atom_link(nodes.all[kAtomLink], ctx);
  if (f[kAtomTitle]) post.title = normalize_ws(atom_text(f[kAtomTitle]).second);
  post.updated_at = time_of(f[kAtomUpdated], ctx);
  if (!post.updated_at) post.updated_at = time_of(f[kAtomModified], ctx);
  post.published_at = time_of(f[kAtomPublished], ctx);
  if (!post.published_at) post.published_at = time_of(f[kAtomIssued], ctx);
  if (!post.published_at) post.published_at = time_of(f[kAtomCreated], ctx);
  if (!post.published_at) post.published_at = post.updated_at;
  post.author = atom_author_name(scope, f[kAtomAuthor]);
  if (!post.author && f[kAtomSource]) post.author = atom_author(scope, f[kAtomSource]);
  if (!post.author) post.author = feed_author;
  if (f[kAtomSummary]) {
    if (std::string s = atom_text(f[kAtomSummary]).second; !s.empty()) post.summary = std::move(s);
  }
  if (f[kAtomContent]) {
    auto [html, text] = atom_text(f[kAtomContent]);
    post.body_html = std::move(html);
    post.body_text = std::move(text);
    if (post.body_text.empty()) post.body_html.reset();
  }
  std::vector<std::string> cats;
  for (pugi::xml_node c : nodes.all[kAtomCategory]) {
    std::string term = one_line(c.attribute("term").value());
    if (term.empty()) term = one_line(c.attribute("label").value());
    cats.push_back(std::move(term));
  }
  set_categories(post, cats, scope.slugs);
  post.lang = scope.langs.of(entry);
  if (post.id.empty() && post.url) post.id = *post.url;
  return post;
}

}  // namespace newsd::parse::xml
