// XML feeds with pugixml: Atom 1.0/0.3, RSS 0.9x/2.0 and RSS 1.0 (RDF).
//
// pugixml never loads external entities and expands only the predefined and numeric
// references; documents whose DOCTYPE declares entities are rejected outright. pugixml has no
// namespace support, so element namespaces are resolved here from xmlns attributes.
#include <algorithm>
#include <array>
#include <chrono>
#include <initializer_list>
#include <pugixml.hpp>
#include <span>
#include <sstream>
#include <string>
#include <unordered_map>

#include "core/ascii.h"
#include "core/log.h"
#include "parse/feed_info.h"
#include "parse/formats.h"
#include "parse/html/text.h"
#include "parse/slug.h"
#include "parse/text_util.h"
#include "parse/timeparse.h"

namespace newsd::parse {
namespace {

constexpr std::array<std::string_view, 3> kAtomNs = {"http://www.w3.org/2005/Atom",
                                                     "http://purl.org/atom/ns#", ""};
constexpr std::array<std::string_view, 4> kRssNs = {"", "http://purl.org/rss/1.0/",
                                                    "http://my.netscape.com/rdf/simple/0.9/",
                                                    "http://backend.userland.com/rss2"};
constexpr std::array<std::string_view, 1> kDcNs = {"http://purl.org/dc/elements/1.1/"};
constexpr std::array<std::string_view, 1> kContentNs = {"http://purl.org/rss/1.0/modules/content/"};
constexpr std::array<std::string_view, 1> kDcTermsNs = {"http://purl.org/dc/terms/"};
constexpr std::array<std::string_view, 1> kSyNs = {"http://purl.org/rss/1.0/modules/syndication/"};
constexpr std::array<std::string_view, 1> kAtom10Ns = {"http://www.w3.org/2005/Atom"};

// Prefixes that feeds use without declaring them (pugixml does not mind): read with their
// conventional meaning rather than dropping the element.
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kConventionalPrefixes = {{
    {"dc", kDcNs[0]},
    {"content", kContentNs[0]},
    {"dcterms", kDcTermsNs[0]},
    {"sy", kSyNs[0]},
    {"atom", kAtom10Ns[0]},
    {"rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"},
}};

using NsSet = std::span<const std::string_view>;

std::string_view local_name(pugi::xml_node n) {
  const std::string_view name = n.name();
  const auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// The namespace URI bound to the node's prefix in scope; for an unbound prefix its
// conventional URI (kConventionalPrefixes) or "". The answers for a parent's scope are kept
// while its children are looked at: an item's dozen children share one lookup per prefix
// instead of each walking up to the root, attribute by attribute.
class NsResolver {
 public:
  std::string_view uri(pugi::xml_node n) {
    const std::string_view name = n.name();
    const auto colon = name.find(':');
    // "xmlns" or "xmlns:<prefix>"; prefixes longer than the buffer are looked up as written.
    char attr[64] = "xmlns";
    std::size_t len = 5;
    if (colon != std::string_view::npos) {
      if (colon + 7 > sizeof attr) return {};
      attr[len++] = ':';
      name.copy(attr + len, colon);
      len += colon;
    }
    attr[len] = '\0';
    const std::string_view prefix =
        colon == std::string_view::npos ? std::string_view{} : name.substr(0, colon);
    if (n.first_attribute()) {
      if (const pugi::xml_attribute a = n.attribute(attr)) return a.value();
    }
    const pugi::xml_node parent = n.parent();
    if (parent != parent_) {
      parent_ = parent;
      cache_.clear();
    }
    for (const auto& [pre, uri] : cache_) {
      if (pre == prefix) return uri;
    }
    const std::string_view uri = lookup(parent, attr, colon != std::string_view::npos, prefix);
    cache_.emplace_back(prefix, uri);
    return uri;
  }

 private:
  static std::string_view lookup(pugi::xml_node from, const char* attr, bool prefixed,
                                 std::string_view prefix) {
    for (pugi::xml_node p = from; p; p = p.parent()) {
      if (const pugi::xml_attribute a = p.attribute(attr)) return a.value();
    }
    if (!prefixed) return {};
    for (const auto& [pre, uri] : kConventionalPrefixes) {
      if (pre == prefix) return uri;
    }
    return {};
  }

  pugi::xml_node parent_;
  std::vector<std::pair<std::string_view, std::string_view>> cache_;  // prefix -> URI
};

bool is(NsResolver& scope, pugi::xml_node n, NsSet ns, std::string_view local) {
  if (n.type() != pugi::node_element || local_name(n) != local) return false;
  const std::string_view uri = scope.uri(n);
  return std::find(ns.begin(), ns.end(), uri) != ns.end();
}

pugi::xml_node child(NsResolver& scope, pugi::xml_node parent, NsSet ns, std::string_view local) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (is(scope, c, ns, local)) return c;
  }
  return {};
}

std::vector<pugi::xml_node> children(NsResolver& scope, pugi::xml_node parent, NsSet ns,
                                     std::string_view local) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (is(scope, c, ns, local)) out.push_back(c);
  }
  return out;
}

// The element's content as written: character data when it has no child elements, else its
// inner markup (XHTML content, or HTML a feed forgot to escape).
std::string raw_content(pugi::xml_node n) {
  bool has_elements = false;
  for (pugi::xml_node c : n.children()) {
    if (c.type() == pugi::node_element) has_elements = true;
  }
  std::string out;
  if (!has_elements) {
    for (pugi::xml_node c : n.children()) {
      if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) out += c.value();
    }
    return out;
  }
  std::ostringstream os;
  for (pugi::xml_node c : n.children()) c.print(os, "", pugi::format_raw);
  return os.str();
}

// raw_content() without a copy for the usual element, one run of character data (or none);
// anything else is built in `storage`.
std::string_view raw_view(pugi::xml_node n, std::string& storage) {
  const pugi::xml_node first = n.first_child();
  if (!first) return {};
  const pugi::xml_node_type type = first.type();
  if ((type == pugi::node_pcdata || type == pugi::node_cdata) && !first.next_sibling()) {
    return first.value();
  }
  storage = raw_content(n);
  return storage;
}

std::string text_of(pugi::xml_node n) {
  std::string storage;
  return std::string(trim(raw_view(n, storage)));
}

// Text that may be HTML (RSS description, content:encoded): gumbo only when there is markup
// or an entity to decode; plain text keeps its lines (NFC, like html_to_text's output).
// Most feed descriptions are plain, and gumbo is the costliest step of a feed parse.
std::string html_or_plain(std::string_view s) {
  return looks_like_html(s) ? html_to_text(s) : to_nfc(text_lines(s));
}

// A one-line human string (title, author, category) that may carry markup or entities.
std::string one_line(std::string_view s) {
  return looks_like_html(s) ? normalize_ws(html_to_text(s)) : normalize_ws(s);
}

// one_line() of an element's content.
std::string one_line_of(pugi::xml_node n) {
  std::string storage;
  return one_line(raw_view(n, storage));
}

// Resolves `ref` against the xml:base chain of `at` and the document URL.
std::string resolve_at(pugi::xml_node at, std::string_view ref, const Context& ctx) {
  // An absolute http(s) reference comes back as it is whatever the bases (resolve_url).
  if (const std::string_view r = trim(ref); is_absolute_http(r)) return std::string(r);
  std::vector<std::string_view> bases;
  for (pugi::xml_node p = at; p; p = p.parent()) {
    if (const pugi::xml_attribute a = p.attribute("xml:base")) bases.push_back(a.value());
  }
  std::string base = ctx.url.value_or(std::string{});
  for (auto it = bases.rbegin(); it != bases.rend(); ++it) {
    base = base.empty() ? std::string(*it) : resolve_url(base, *it);
  }
  const std::string_view r = trim(ref);
  if (r.empty()) return {};
  return base.empty() ? std::string(r) : resolve_url(base, r);
}

std::optional<std::string> inherited_lang(pugi::xml_node n) {
  for (pugi::xml_node p = n; p; p = p.parent()) {
    if (const pugi::xml_attribute a = p.attribute("xml:lang")) {
      const std::string_view v = trim(a.value());
      if (!v.empty()) return std::string(v);
    }
  }
  return std::nullopt;
}

// inherited_lang() for the entries of one parent: the parent's answer is looked up once.
class LangScope {
 public:
  std::optional<std::string> of(pugi::xml_node n) {
    if (const pugi::xml_attribute a = n.attribute("xml:lang")) {
      const std::string_view v = trim(a.value());
      if (!v.empty()) return std::string(v);
    }
    if (n.parent() != parent_) {
      parent_ = n.parent();
      lang_ = inherited_lang(parent_);
    }
    return lang_;
  }

 private:
  pugi::xml_node parent_;
  std::optional<std::string> lang_;
};

// Category slugs of one document: feeds repeat a handful of categories over all their items,
// and ICU transliteration is the costliest per-item step, so each distinct value is
// slugified once per document.
using SlugCache = std::unordered_map<std::string, std::string>;

void set_categories(Post& post, const std::vector<std::string>& values, SlugCache& slugs) {
  for (const std::string& v : values) {
    if (v.empty() || std::find(post.tags.begin(), post.tags.end(), v) != post.tags.end()) continue;
    post.tags.push_back(v);
    if (!post.category) {
      auto it = slugs.find(v);
      if (it == slugs.end()) it = slugs.emplace(v, slugify(v)).first;
      if (!it->second.empty()) post.category = it->second;
    }
  }
}

void finish(Post post, std::vector<Parsed>& out) {
  if (post.body_text.empty() && post.summary) post.body_text = *post.summary;
  if (post.title.empty()) post.title = derive_title(post.summary, post.body_text, post.url);
  std::optional<std::string> link = post.url;
  out.push_back(Parsed{std::move(post), std::move(link), std::nullopt});
}

// ---- Atom -------------------------------------------------------------------------------

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

// ---- one pass over an entry's children --------------------------------------------------

// A child element a parser reads: its namespaces and local name; `repeated` ones are all
// kept, the others only the first.
struct ChildSpec {
  NsSet ns;
  std::string_view local;
  bool repeated = false;
};

template <std::size_t N>
struct ChildNodes {
  std::array<pugi::xml_node, N> first{};
  std::array<std::vector<pugi::xml_node>, N> all{};  // for repeated specs, in document order
};

// The children of `parent` matching `specs`, in one pass: the same nodes as child() /
// children() per spec, without walking the children (and their namespaces) once per field.
template <std::size_t N>
ChildNodes<N> collect_children(NsResolver& scope, pugi::xml_node parent,
                               const std::array<ChildSpec, N>& specs) {
  ChildNodes<N> out;
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    const std::string_view local = local_name(c);
    std::optional<std::string_view> uri;  // resolved once, when some spec wants the name
    for (std::size_t i = 0; i < N; ++i) {
      const ChildSpec& spec = specs[i];
      if (spec.local != local || (!spec.repeated && out.first[i])) continue;
      if (!uri) uri = scope.uri(c);
      if (std::find(spec.ns.begin(), spec.ns.end(), *uri) == spec.ns.end()) continue;
      if (spec.repeated) {
        out.all[i].push_back(c);
      } else {
        out.first[i] = c;
      }
    }
  }
  return out;
}

// What one document's entries share.
struct FeedScope {
  const Context& ctx;
  SlugCache slugs;
  NsResolver ns;
  LangScope langs;
};

// ---- Atom (entries) ---------------------------------------------------------------------

std::optional<std::string> atom_author_name(FeedScope& scope, pugi::xml_node author) {
  if (!author) return std::nullopt;
  if (std::string name = one_line(text_of(child(scope.ns, author, kAtomNs, "name")));
      !name.empty()) {
    return name;
  }
  return std::nullopt;
}

std::optional<std::string> atom_author(FeedScope& scope, pugi::xml_node n) {
  return atom_author_name(scope, child(scope.ns, n, kAtomNs, "author"));
}

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

std::optional<Timestamp> time_of(pugi::xml_node n, const Context& ctx) {
  if (!n) return std::nullopt;
  return parse_time(text_of(n), ctx.timezone);
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

// ---- RSS 0.9x / 2.0 and RSS 1.0 ----------------------------------------------------------

// Channel-level defaults, read once per document (a channel can hold thousands of items).
struct ChannelDefaults {
  std::optional<std::string> author;
  std::optional<std::string> lang;
};

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

// A positive whole number of at most 9 digits, else nullopt.
std::optional<long> positive_int(std::string_view s) {
  s = trim(s);
  if (s.empty() || s.size() > 9) return std::nullopt;
  long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v <= 0) return std::nullopt;
  return v;
}

// RSS <ttl> (minutes) wins; else the syndication module's period / frequency. `scopes` are
// the elements that may carry them (the channel, and the root for RDF and Atom).
std::optional<std::chrono::seconds> feed_ttl(NsResolver& ns,
                                             std::initializer_list<pugi::xml_node> scopes) {
  using std::chrono::seconds;
  for (pugi::xml_node scope : scopes) {
    if (!scope) continue;
    if (pugi::xml_node ttl = child(ns, scope, kRssNs, "ttl")) {
      if (const auto minutes = positive_int(raw_content(ttl))) return seconds{*minutes * 60};
    }
  }
  for (pugi::xml_node scope : scopes) {
    if (!scope) continue;
    const pugi::xml_node period = child(ns, scope, kSyNs, "updatePeriod");
    const pugi::xml_node frequency = child(ns, scope, kSyNs, "updateFrequency");
    if (!period && !frequency) continue;
    long period_s = 86400;  // the module's default: daily
    if (period) {
      const std::string p = ascii::lowered(trim(raw_content(period)));
      if (p == "hourly") {
        period_s = 3600;
      } else if (p == "daily") {
        period_s = 86400;
      } else if (p == "weekly") {
        period_s = 7 * 86400;
      } else if (p == "monthly") {
        period_s = 30 * 86400;
      } else if (p == "yearly") {
        period_s = 365 * 86400;
      } else {
        continue;
      }
    }
    long freq = 1;
    if (frequency) {
      const auto f = positive_int(raw_content(frequency));
      if (!f) continue;
      freq = *f;
    }
    return seconds{std::max(1L, period_s / freq)};
  }
  return std::nullopt;
}

// The DOCTYPE (if any) declares entities: the door to billion-laughs and XXE.
bool declares_entities(const pugi::xml_document& doc) {
  for (pugi::xml_node n : doc.children()) {
    if (n.type() != pugi::node_doctype) continue;
    const std::string v = ascii::lowered(n.value());
    if (v.find("<!entity") != std::string::npos) return true;
  }
  return false;
}

}  // namespace

Expected<std::vector<Parsed>> parse_feed(std::string_view text, Format expected,
                                         const Context& ctx) {
  return parse_feed(text, expected, ctx, nullptr);
}

Expected<std::vector<Parsed>> parse_feed(std::string_view text, Format expected, const Context& ctx,
                                         DocumentInfo* info) {
  std::string copy(text);
  return parse_feed_in_place(copy, expected, ctx, info);
}

Expected<std::vector<Parsed>> parse_feed_in_place(std::string& text, Format expected,
                                                  const Context& ctx, DocumentInfo* info) {
  pugi::xml_document doc;
  const unsigned options = pugi::parse_default | pugi::parse_doctype;
  const pugi::xml_parse_result res =
      doc.load_buffer_inplace(text.data(), text.size(), options, pugi::encoding_utf8);
  if (!res) {
    // In place, pugixml reports a missing root one byte before the end of the document.
    const std::size_t offset =
        res.status == pugi::status_no_document_element ? text.size() : res.offset;
    return make_error(std::string(to_string(expected)) + ": XML error at byte " +
                      std::to_string(offset) + ": " + res.description());
  }
  if (declares_entities(doc)) {
    return make_error(std::string(to_string(expected)) +
                      ": DOCTYPE declares entities; refused (entity expansion attack)");
  }
  const pugi::xml_node root = doc.document_element();
  const std::string_view root_name = local_name(root);
  std::vector<Parsed> out;
  FeedScope scope{ctx, {}, {}, {}};
  std::size_t dropped = 0;
  // Entries past the cap are counted, not parsed.
  const auto full = [&] {
    if (out.size() < kMaxEntries) return false;
    ++dropped;
    return true;
  };

  if (root_name == "feed") {
    const std::optional<std::string> feed_author = atom_author(scope, root);  // read once
    for (pugi::xml_node entry : children(scope.ns, root, kAtomNs, "entry")) {
      if (!full()) finish(atom_entry(feed_author, entry, scope), out);
    }
    if (info) {
      if (auto ttl = feed_ttl(scope.ns, {root})) info->ttl = ttl;
    }
  } else if (root_name == "rss" || root_name == "RDF") {
    pugi::xml_node channel = child(scope.ns, root, kRssNs, "channel");
    std::vector<pugi::xml_node> items = children(scope.ns, root, kRssNs, "item");  // RDF: siblings
    if (channel) {
      for (pugi::xml_node item : children(scope.ns, channel, kRssNs, "item")) items.push_back(item);
    }
    const ChannelDefaults defaults = channel_defaults(scope, channel);
    for (pugi::xml_node item : items) {
      if (!full()) finish(rss_item(defaults, item, scope), out);
    }
    if (info) {
      if (auto ttl = feed_ttl(scope.ns, {channel, root})) info->ttl = ttl;
    }
  } else {
    return make_error(std::string(to_string(expected)) + ": not a feed (root element <" +
                      root.name() + ">)");
  }
  if (dropped > 0) {
    log::get("parse")->warn("{}: {} entries beyond the limit of {} dropped", ctx.source, dropped,
                            kMaxEntries);
  }
  return out;
}

}  // namespace newsd::parse
