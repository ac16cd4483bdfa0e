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

#include "core/log.h"
#include "parse/feed_info.h"
#include "parse/formats.h"
#include "parse/html_text.h"
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
// conventional URI (kConventionalPrefixes) or "" .
std::string_view ns_uri(pugi::xml_node n) {
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
  for (pugi::xml_node p = n; p; p = p.parent()) {
    if (const pugi::xml_attribute a = p.attribute(attr)) return a.value();
  }
  if (colon == std::string_view::npos) return {};
  const std::string_view prefix = name.substr(0, colon);
  for (const auto& [pre, uri] : kConventionalPrefixes) {
    if (pre == prefix) return uri;
  }
  return {};
}

bool is(pugi::xml_node n, NsSet ns, std::string_view local) {
  if (n.type() != pugi::node_element || local_name(n) != local) return false;
  const std::string_view uri = ns_uri(n);
  return std::find(ns.begin(), ns.end(), uri) != ns.end();
}

pugi::xml_node child(pugi::xml_node parent, NsSet ns, std::string_view local) {
  for (pugi::xml_node c : parent.children()) {
    if (is(c, ns, local)) return c;
  }
  return {};
}

std::vector<pugi::xml_node> children(pugi::xml_node parent, NsSet ns, std::string_view local) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node c : parent.children()) {
    if (is(c, ns, local)) out.push_back(c);
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

std::string text_of(pugi::xml_node n) {
  return std::string(trim(raw_content(n)));
}

// Plain text with its line structure: lines trimmed, empty lines dropped.
std::string plain_lines(std::string_view s) {
  std::string out;
  for (std::string_view line : split_lines(s)) {
    const std::string norm = normalize_ws(line);
    if (norm.empty()) continue;
    if (!out.empty()) out.push_back('\n');
    out += norm;
  }
  return out;
}

// Text that may be HTML (RSS description, content:encoded): gumbo only when there is markup
// or an entity to decode; plain text keeps its lines (NFC, like html_to_text's output).
// Most feed descriptions are plain, and gumbo is the costliest step of a feed parse.
std::string html_or_plain(std::string_view s) {
  return looks_like_html(s) ? html_to_text(s) : to_nfc(plain_lines(s));
}

// A one-line human string (title, author, category) that may carry markup or entities.
std::string one_line(std::string_view s) {
  return normalize_ws(looks_like_html(s) ? html_to_text(s) : std::string(s));
}

// Resolves `ref` against the xml:base chain of `at` and the document URL.
std::string resolve_at(pugi::xml_node at, std::string_view ref, const Context& ctx) {
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
  const std::string type = ascii_lower(trim(n.attribute("type").value()));
  const std::string mode = ascii_lower(trim(n.attribute("mode").value()));  // Atom 0.3
  if (mode == "base64") return TextKind::other;  // Atom 0.3 binary content: not text
  if (type == "xhtml" || type == "application/xhtml+xml" || mode == "xml") return TextKind::xhtml;
  if (type == "html" || type == "text/html" || mode == "escaped") return TextKind::html;
  if (type.empty() || type == "text" || type == "text/plain") return TextKind::text;
  return TextKind::other;
}

// An Atom text construct: (html for body_html when marked up, plain text).
std::pair<std::optional<std::string>, std::string> atom_text(pugi::xml_node n) {
  switch (atom_kind(n)) {
    case TextKind::text:
      return {std::nullopt, plain_lines(raw_content(n))};
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

std::optional<std::string> atom_author(pugi::xml_node n) {
  if (pugi::xml_node author = child(n, kAtomNs, "author")) {
    if (std::string name = one_line(text_of(child(author, kAtomNs, "name"))); !name.empty()) {
      return name;
    }
  }
  return std::nullopt;
}

std::optional<std::string> atom_link(pugi::xml_node entry, const Context& ctx) {
  pugi::xml_node best;
  for (pugi::xml_node link : children(entry, kAtomNs, "link")) {
    const std::string rel = ascii_lower(trim(link.attribute("rel").value()));
    if (!rel.empty() && rel != "alternate") continue;
    const std::string type = ascii_lower(trim(link.attribute("type").value()));
    if (!best) best = link;
    if (type.empty() || type == "text/html" || type == "application/xhtml+xml") {
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

Post atom_entry(const std::optional<std::string>& feed_author, pugi::xml_node entry,
                const Context& ctx, SlugCache& slugs) {
  Post post;
  post.id = text_of(child(entry, kAtomNs, "id"));
  post.url = atom_link(entry, ctx);
  if (pugi::xml_node title = child(entry, kAtomNs, "title")) {
    post.title = normalize_ws(atom_text(title).second);
  }
  post.updated_at = time_of(child(entry, kAtomNs, "updated"), ctx);
  if (!post.updated_at) post.updated_at = time_of(child(entry, kAtomNs, "modified"), ctx);
  post.published_at = time_of(child(entry, kAtomNs, "published"), ctx);
  if (!post.published_at) post.published_at = time_of(child(entry, kAtomNs, "issued"), ctx);
  if (!post.published_at) post.published_at = time_of(child(entry, kAtomNs, "created"), ctx);
  if (!post.published_at) post.published_at = post.updated_at;
  post.author = atom_author(entry);
  if (!post.author) {
    if (pugi::xml_node source = child(entry, kAtomNs, "source")) post.author = atom_author(source);
  }
  if (!post.author) post.author = feed_author;
  if (pugi::xml_node summary = child(entry, kAtomNs, "summary")) {
    if (std::string s = atom_text(summary).second; !s.empty()) post.summary = std::move(s);
  }
  if (pugi::xml_node content = child(entry, kAtomNs, "content")) {
    auto [html, text] = atom_text(content);
    post.body_html = std::move(html);
    post.body_text = std::move(text);
    if (post.body_text.empty()) post.body_html.reset();
  }
  std::vector<std::string> cats;
  for (pugi::xml_node c : children(entry, kAtomNs, "category")) {
    std::string term = one_line(c.attribute("term").value());
    if (term.empty()) term = one_line(c.attribute("label").value());
    cats.push_back(std::move(term));
  }
  set_categories(post, cats, slugs);
  post.lang = inherited_lang(entry);
  if (post.id.empty() && post.url) post.id = *post.url;
  return post;
}

// ---- RSS 0.9x / 2.0 and RSS 1.0 ----------------------------------------------------------

// Channel-level defaults, read once per document (a channel can hold thousands of items).
struct ChannelDefaults {
  std::optional<std::string> author;
  std::optional<std::string> lang;
};

ChannelDefaults channel_defaults(pugi::xml_node channel) {
  ChannelDefaults d;
  if (!channel) return d;
  if (std::string name = one_line(raw_content(child(channel, kDcNs, "creator"))); !name.empty()) {
    d.author = std::move(name);
  }
  for (pugi::xml_node l : {child(channel, kRssNs, "language"), child(channel, kDcNs, "language")}) {
    if (std::string v = text_of(l); !v.empty()) {
      d.lang = std::move(v);
      break;
    }
  }
  return d;
}

Post rss_item(const ChannelDefaults& channel, pugi::xml_node item, const Context& ctx,
              SlugCache& slugs) {
  Post post;
  if (pugi::xml_node link = child(item, kRssNs, "link")) {
    if (std::string href = resolve_at(item, text_of(link), ctx); !href.empty()) post.url = href;
  }
  if (pugi::xml_node guid = child(item, kRssNs, "guid")) {
    post.id = text_of(guid);
    const std::string perma = ascii_lower(trim(guid.attribute("isPermaLink").value()));
    if (!post.url && perma != "false" && is_absolute_http(post.id)) post.url = post.id;
  }
  if (post.id.empty()) {
    if (const pugi::xml_attribute about = item.attribute("rdf:about"))
      post.id = trim(about.value());
  }
  if (post.id.empty() && post.url) post.id = *post.url;
  post.title = one_line(raw_content(child(item, kRssNs, "title")));

  post.published_at = time_of(child(item, kRssNs, "pubDate"), ctx);
  if (!post.published_at) post.published_at = time_of(child(item, kDcNs, "date"), ctx);
  if (!post.published_at) post.published_at = time_of(child(item, kDcTermsNs, "issued"), ctx);
  if (!post.published_at) post.published_at = time_of(child(item, kDcTermsNs, "created"), ctx);
  post.updated_at = time_of(child(item, kDcTermsNs, "modified"), ctx);
  if (!post.updated_at) post.updated_at = time_of(child(item, kAtom10Ns, "updated"), ctx);
  if (!post.published_at) post.published_at = post.updated_at;

  for (pugi::xml_node a : {child(item, kDcNs, "creator"), child(item, kRssNs, "author")}) {
    if (std::string name = one_line(raw_content(a)); !name.empty() && !post.author) {
      post.author = std::move(name);
    }
  }
  if (!post.author) post.author = channel.author;
  if (pugi::xml_node desc = child(item, kRssNs, "description")) {
    if (std::string s = html_or_plain(raw_content(desc)); !s.empty()) post.summary = std::move(s);
  }
  if (pugi::xml_node encoded = child(item, kContentNs, "encoded")) {
    std::string html = raw_content(encoded);
    post.body_text = html_or_plain(html);
    if (!post.body_text.empty()) post.body_html = std::move(html);
  }
  std::vector<std::string> cats;
  for (pugi::xml_node c : children(item, kRssNs, "category"))
    cats.push_back(one_line(raw_content(c)));
  for (pugi::xml_node c : children(item, kDcNs, "subject"))
    cats.push_back(one_line(raw_content(c)));
  set_categories(post, cats, slugs);

  post.lang = inherited_lang(item);
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
std::optional<std::chrono::seconds> feed_ttl(std::initializer_list<pugi::xml_node> scopes) {
  using std::chrono::seconds;
  for (pugi::xml_node scope : scopes) {
    if (!scope) continue;
    if (pugi::xml_node ttl = child(scope, kRssNs, "ttl")) {
      if (const auto minutes = positive_int(raw_content(ttl))) return seconds{*minutes * 60};
    }
  }
  for (pugi::xml_node scope : scopes) {
    if (!scope) continue;
    const pugi::xml_node period = child(scope, kSyNs, "updatePeriod");
    const pugi::xml_node frequency = child(scope, kSyNs, "updateFrequency");
    if (!period && !frequency) continue;
    long period_s = 86400;  // the module's default: daily
    if (period) {
      const std::string p = ascii_lower(trim(raw_content(period)));
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
    const std::string v = ascii_lower(n.value());
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
  pugi::xml_document doc;
  const unsigned options = pugi::parse_default | pugi::parse_doctype;
  const pugi::xml_parse_result res =
      doc.load_buffer(text.data(), text.size(), options, pugi::encoding_utf8);
  if (!res) {
    return make_error(std::string(to_string(expected)) + ": XML error at byte " +
                      std::to_string(res.offset) + ": " + res.description());
  }
  if (declares_entities(doc)) {
    return make_error(std::string(to_string(expected)) +
                      ": DOCTYPE declares entities; refused (entity expansion attack)");
  }
  const pugi::xml_node root = doc.document_element();
  const std::string_view root_name = local_name(root);
  std::vector<Parsed> out;
  SlugCache slugs;
  std::size_t dropped = 0;
  // Entries past the cap are counted, not parsed.
  const auto full = [&] {
    if (out.size() < kMaxEntries) return false;
    ++dropped;
    return true;
  };

  if (root_name == "feed") {
    const std::optional<std::string> feed_author = atom_author(root);  // read once
    for (pugi::xml_node entry : children(root, kAtomNs, "entry")) {
      if (!full()) finish(atom_entry(feed_author, entry, ctx, slugs), out);
    }
    if (info) {
      if (auto ttl = feed_ttl({root})) info->ttl = ttl;
    }
  } else if (root_name == "rss" || root_name == "RDF") {
    pugi::xml_node channel = child(root, kRssNs, "channel");
    std::vector<pugi::xml_node> items = children(root, kRssNs, "item");  // RDF: siblings
    if (channel) {
      for (pugi::xml_node item : children(channel, kRssNs, "item")) items.push_back(item);
    }
    const ChannelDefaults defaults = channel_defaults(channel);
    for (pugi::xml_node item : items) {
      if (!full()) finish(rss_item(defaults, item, ctx, slugs), out);
    }
    if (info) {
      if (auto ttl = feed_ttl({channel, root})) info->ttl = ttl;
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
