// OPML subscription lists (OPML 1.0/2.0) as newsd sources: `newsd import-opml` prints them as
// YAML, and `source_files` entries ending in .opml are read through load_opml_file().
//
// Each <outline> with an xmlUrl (any case) is a feed and becomes one Source:
//  - name: the outline's text (else title) as an ASCII slug ("Daring Fireball" ->
//    "daring-fireball", 新华财经 -> "xin-hua-cai-jing"), else the URL's host; a name met again
//    gets "-2", "-3"... in document order, so importing the same file gives the same names.
//  - url: xmlUrl (http or https; non-ASCII bytes percent-encoded).
//  - format: from `type`: atom, rdf, jsonfeed as such; "rss" and anything else -> auto
//    (OPML 2.0 writes type="rss" for every subscription, whatever the feed's format).
//  - category: the nearest enclosing outline without xmlUrl (a folder), as a slug; else the
//    last segment of the outline's own `category` attribute.
//  - where: the outline's file:line:column.
// Everything else keeps Source's defaults: the loader applies the including file's defaults.
// Outlines that cannot be sources (a URL that is not http(s), a URL already imported, an
// included list or link) are skipped and reported in `skipped`, not as errors.
//
// A file that is not an OPML document (not well-formed XML, root not <opml>, no <body>)
// throws ConfigErrors naming file:line:column, like the YAML loader.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace newsd::config {

struct OpmlImport {
  std::vector<Source> sources;
  std::vector<Problem> skipped;  // outlines that are not sources, with where and why
};

OpmlImport load_opml_file(const std::string& path);
// Same, from bytes; `name` stands for the file in locations and messages.
OpmlImport load_opml_string(std::string_view bytes, const std::string& name);

// `sources:` with each source's name, url, format (unless auto) and category (when set): a
// document `newsd check-config` accepts once a `kafka:` section is added.
std::string sources_to_yaml(const std::vector<Source>& sources);

// An ASCII slug of any text: transliterated (ICU Any-Latin, Latin-ASCII), lower case, runs of
// other characters as one '-', at most `max` characters; empty when nothing is left.
std::string ascii_slug(std::string_view text, std::size_t max = 64);

}  // namespace newsd::config
