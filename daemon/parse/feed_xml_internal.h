// What the XML feed readers share: feed_xml.cpp reads the document and dispatches on its
// root element to the Atom (atom.cpp) and RSS (rss.cpp) entry readers, which use the helpers
// declared here (defined in feed_xml.cpp) and the namespace lookups of xml_ns.h.
#pragma once

#include <optional>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "parse/parser.h"
#include "parse/xml_ns.h"

namespace newsd::parse::xml {

// The element's content as written: character data when it has no child elements, else its
// inner markup (XHTML content, or HTML a feed forgot to escape).
std::string raw_content(pugi::xml_node n);
// raw_content() without a copy for the usual element, one run of character data (or none);
// anything else is built in `storage`.
std::string_view raw_view(pugi::xml_node n, std::string& storage);
// The trimmed content of `n`.
std::string text_of(pugi::xml_node n);
// Text that may be HTML (RSS description, content:encoded): gumbo only when there is markup
// or an entity to decode; plain text keeps its lines (NFC, like html_to_text's output).
// Most feed descriptions are plain, and gumbo is the costliest step of a feed parse.
std::string html_or_plain(std::string_view s);
// A one-line human string (title, author, category) that may carry markup or entities.
std::string one_line(std::string_view s);
// one_line() of an element's content.
std::string one_line_of(pugi::xml_node n);
// Resolves `ref` against the xml:base chain of `at` and the document URL.
std::string resolve_at(pugi::xml_node at, std::string_view ref, const Context& ctx);
// The time in `n`'s text (parse_time with ctx.timezone); nullopt for a null node.
std::optional<Timestamp> time_of(pugi::xml_node n, const Context& ctx);

// The xml:lang in scope of an entry; the parent's answer is looked up once for all its
// entries.
class LangScope {
 public:
  std::optional<std::string> of(pugi::xml_node n);

 private:
  pugi::xml_node parent_;
  std::optional<std::string> lang_;
};

// Category slugs of one document: feeds repeat a handful of categories over all their items,
// and ICU transliteration is the costliest per-item step, so each distinct value is
// slugified once per document.
using SlugCache = std::unordered_map<std::string, std::string>;

// Adds `values` to post.tags (once each, empties skipped); the first with a non-empty slug
// also becomes post.category unless the post has one.
void set_categories(Post& post, const std::vector<std::string>& values, SlugCache& slugs);

// What one document's entries share.
struct FeedScope {
  const Context& ctx;
  SlugCache slugs;
  NsResolver ns;
  LangScope langs;
};

// ---- Atom (atom.cpp) --------------------------------------------------------------------

// The name of the first atom:author of `n` (a feed or an entry's source), if any.
std::optional<std::string> atom_author(FeedScope& scope, pugi::xml_node n);
// One atom:entry; `feed_author` is the feed's atom:author, for entries without their own.
Post atom_entry(const std::optional<std::string>& feed_author, pugi::xml_node entry,
                FeedScope& scope);

// ---- RSS 0.9x / 2.0 and RSS 1.0 (rss.cpp) -----------------------------------------------

// Channel-level defaults, read once per document (a channel can hold thousands of items).
struct ChannelDefaults {
  std::optional<std::string> author;
  std::optional<std::string> lang;
};

ChannelDefaults channel_defaults(FeedScope& scope, pugi::xml_node channel);
// One RSS <item> (or RSS 1.0 item).
Post rss_item(const ChannelDefaults& channel, pugi::xml_node item, FeedScope& scope);

}  // namespace newsd::parse::xml
