// XML feeds with pugixml: Atom 1.0/0.3, RSS 0.9x/2.0 and RSS 1.0 (RDF).
//
// pugixml never loads external entities and expands only the predefined and numeric
// references; documents whose DOCTYPE declares entities are rejected outright. pugixml has no
// namespace support, so element namespaces are resolved from xmlns attributes (xml_ns.h).
//
// This file reads the document, refuses entity declarations, hands each entry to the Atom
// (atom.cpp) or RSS (rss.cpp) reader by the root element, and reads the feed's TTL; it also
// defines the helpers those readers share (feed_xml_internal.h).
#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <pugixml.hpp>
#include <sstream>
#include <string>

#include "core/ascii.h"
#include "core/log.h"
#include "parse/feed_info.h"
#include "parse/feed_xml_internal.h"
#include "parse/formats.h"
#include "parse/html/text.h"
#include "parse/slug.h"
#include "parse/text_util.h"
#include "parse/timeparse.h"

namespace newsd::parse {
namespace xml {

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

std::string html_or_plain(std::string_view s) {
  return looks_like_html(s) ? html_to_text(s) : to_nfc(text_lines(s));
}

std::string one_line(std::string_view s) {
  return looks_like_html(s) ? normalize_ws(html_to_text(s)) : normalize_ws(s);
}

std::string one_line_of(pugi::xml_node n) {
  std::string storage;
  return one_line(raw_view(n, storage));
}

std::string resolve_at(pugi::xml_node at, std::string_view ref, const Context& ctx) {
  // An absolute http(s) reference comes back as it is whatever the bases (resolve_url).
  if (const std::string_view r = trim(ref); is_absolute_http(r)) return std::string(r);
  std::vector<std::string_view> bases;
  for (pugi::xml_node p = at; p; p = p.parent()) {
    if (const pugi::xml_attribute a = p.attribute("xml:base")) bases.emplace_back(a.value());
  }
  std::string base = ctx.url.value_or(std::string{});
  for (auto it = bases.rbegin(); it != bases.rend(); ++it) {
    base = base.empty() ? std::string(*it) : resolve_url(base, *it);
  }
  const std::string_view r = trim(ref);
  if (r.empty()) return {};
  return base.empty() ? std::string(r) : resolve_url(base, r);
}

std::optional<Timestamp> time_of(pugi::xml_node n, const Context& ctx) {
  if (!n) return std::nullopt;
  return parse_time(text_of(n), ctx.timezone);
}

namespace {

std::optional<std::string> inherited_lang(pugi::xml_node n) {
  for (pugi::xml_node p = n; p; p = p.parent()) {
    if (const pugi::xml_attribute a = p.attribute("xml:lang")) {
      const std::string_view v = trim(a.value());
      if (!v.empty()) return std::string(v);
    }
  }
  return std::nullopt;
}

// Emits a parsed entry: the body falls back to the summary, the title to one derived.
void finish(Post post, std::vector<Parsed>& out) {
  if (post.body_text.empty() && post.summary) post.body_text = *post.summary;
  if (post.title.empty()) post.title = derive_title(post.summary, post.body_text, post.url);
  std::optional<std::string> link = post.url;
  out.push_back(Parsed{std::move(post), std::move(link), std::nullopt});
}

}  // namespace

std::optional<std::string> LangScope::of(pugi::xml_node n) {
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

namespace {

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

// RFC 5005: the feed-level atom:link that leads to older entries. A paged feed's "next" wins
// over an archived feed's "prev-archive"; the first of each counts.
std::optional<std::string> feed_next_page(NsResolver& ns, pugi::xml_node scope,
                                          const Context& ctx) {
  if (!scope) return std::nullopt;
  pugi::xml_node next, archive;
  for (pugi::xml_node link : children(ns, scope, kAtomNs, "link")) {
    const std::string_view rel = trim(link.attribute("rel").value());
    if (!next && ascii::equals_lower(rel, "next")) next = link;
    if (!archive && ascii::equals_lower(rel, "prev-archive")) archive = link;
  }
  for (pugi::xml_node link : {next, archive}) {
    if (!link) continue;
    std::string href = resolve_at(link, trim(link.attribute("href").value()), ctx);
    if (!href.empty()) return href;
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
}  // namespace xml

using namespace xml;

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
      info->next_page = feed_next_page(scope.ns, root, ctx);
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
      info->next_page = feed_next_page(scope.ns, channel ? channel : root, ctx);
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
