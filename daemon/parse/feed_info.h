// XML feeds with their document-level facts. parse() passes its DocumentInfo through here so
// a feed's refresh hints reach the scheduler.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "parse/parser.h"

namespace newsd::parse {

// RSS 0.9x/2.0, RSS 1.0 (RDF) and Atom 0.3/1.0, in the terms of formats.h; `expected` is the
// format asked for, and a document of another feed flavour is still read (the root element
// decides). When `info` is given it also receives the feed's TTL: RSS <ttl> (minutes), else
// sy:updatePeriod / sy:updateFrequency (the period divided by the frequency; period "daily"
// and frequency 1 when absent). Invalid or non-positive values are ignored; `info->ttl` is
// left unset when the feed names no TTL.
Expected<std::vector<Parsed>> parse_feed(std::string_view text, Format expected, const Context& ctx,
                                         DocumentInfo* info);

// The same, parsing `text` where it is: pugixml decodes entities and ends names in the buffer
// itself, so `text` is garbage afterwards. parse() hands over the document it converted to
// UTF-8, which saves pugixml's own copy of it (a copy and an allocation of the whole document
// per poll).
Expected<std::vector<Parsed>> parse_feed_in_place(std::string& text, Format expected,
                                                  const Context& ctx, DocumentInfo* info);

}  // namespace newsd::parse
