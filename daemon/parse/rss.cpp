// RSS 0.9x / 2.0 items and RSS 1.0 (RDF) items.
#include <array>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <vector>

#include "core/ascii.h"
#include "parse/feed_xml_internal.h"
#include "parse/text_util.h"

namespace newsd::parse::xml {

ChannelDefaults channel_defaults(FeedScope& scope, pugi::xml_node channel) {
  ChannelDefaults d;
  if (!channel) return d;
  if (std::string name = one_line_of(child(scope.ns, channel, kDcNs, "creator")); !name.empty()) {
    d.author = std::move(name);
  }
  for (pugi::xml_node l : {child(scope.ns, channel, kRssNs, "language"),
                           child(scope.ns, channel, kDcNs, "language")}) {
    if (std::string v = text_of(l); !v.empty()) {
      d.lang = std::move(v);
      break;
    }
  }
  return d;
}

namespace {

enum RssChild {
  kRssLink,
  kRssGuid,
  kRssTitle,
  kRssPubDate,
  kRssDcDate,
  kRssIssued,
  kRssCreated,
  kRssModified,
  kRssAtomUpdated,
  kRssDcCreator,
  kRssAuthor,
  kRssDescription,
  kRssEncoded,
  kRssCategory,
  kRssDcSubject,
  kRssChildCount
};

constexpr std::array<ChildSpec, kRssChildCount> kRssItemChildren = {{
    {kRssNs, "link"},
    {kRssNs, "guid"},
    {kRssNs, "title"},
    {kRssNs, "pubDate"},
    {kDcNs, "date"},
    {kDcTermsNs, "issued"},
    {kDcTermsNs, "created"},
    {kDcTermsNs, "modified"},
    {kAtom10Ns, "updated"},
    {kDcNs, "creator"},
    {kRssNs, "author"},
    {kRssNs, "description"},
    {kContentNs, "encoded"},
    {kRssNs, "category", true},
    {kDcNs, "subject", true},
}};

}  // namespace

Post rss_item(const ChannelDefaults& channel, pugi::xml_node item, FeedScope& scope) {
  const Context& ctx = scope.ctx;
  const auto nodes = collect_children(scope.ns, item, kRssItemChildren);
  const auto& f = nodes.first;
  Post post;
  if (f[kRssLink]) {
    if (std::string href = resolve_at(item, text_of(f[kRssLink]), ctx); !href.empty()) {
      post.url = std::move(href);
    }
  }
  if (const pugi::xml_node guid = f[kRssGuid]) {
    post.id = text_of(guid);
    const bool perma = !ascii::equals_lower(trim(guid.attribute("isPermaLink").value()), "false");
    if (!post.url && perma && is_absolute_http(post.id)) post.url = post.id;
  }
  if (post.id.empty()) {
    if (const pugi::xml_attribute about = item.attribute("rdf:about"))
      post.id = trim(about.value());
  }
  if (post.id.empty() && post.url) post.id = *post.url;
  post.title = one_line_of(f[kRssTitle]);

  post.published_at = time_of(f[kRssPubDate], ctx);
  if (!post.published_at) post.published_at = time_of(f[kRssDcDate], ctx);
  if (!post.published_at) post.published_at = time_of(f[kRssIssued], ctx);
  if (!post.published_at) post.published_at = time_of(f[kRssCreated], ctx);
  post.updated_at = time_of(f[kRssModified], ctx);
  if (!post.updated_at) post.updated_at = time_of(f[kRssAtomUpdated], ctx);
  if (!post.published_at) post.published_at = post.updated_at;

  for (pugi::xml_node a : {f[kRssDcCreator], f[kRssAuthor]}) {
    if (post.author) break;
    if (std::string name = one_line_of(a); !name.empty()) post.author = std::move(name);
  }
  if (!post.author) post.author = channel.author;
  std::string storage;
  if (f[kRssDescription]) {
    if (std::string s = html_or_plain(raw_view(f[kRssDescription], storage)); !s.empty()) {
      post.summary = std::move(s);
    }
  }
  if (f[kRssEncoded]) {
    const std::string_view html = raw_view(f[kRssEncoded], storage);
    post.body_text = html_or_plain(html);
    if (!post.body_text.empty()) post.body_html = std::string(html);
  }
  std::vector<std::string> cats;
  for (const RssChild k : {kRssCategory, kRssDcSubject}) {
    for (pugi::xml_node c : nodes.all[k]) cats.push_back(one_line_of(c));
  }
  set_categories(post, cats, scope.slugs);

  post.lang = scope.langs.of(item);
  if (!post.lang) post.lang = channel.lang;
  return post;
}

}  // namespace newsd::parse::xml
