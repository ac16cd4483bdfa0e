// The operator's view as documents: JSON (the status API, schema newsd.sources/v1, described
// in docs/status-api.md and schema/newsd.sources.v1.schema.json) and HTML (the /sources
// page). Pure functions of the board's records and the time; the loop's thread (they read
// the board).
#pragma once

#include <string>
#include <string_view>

#include "status/board.h"

namespace newsd::status {

inline constexpr std::string_view kSchema = "newsd.sources/v1";

// GET /api/v1/sources
std::string sources_json(const Page& page, const Query& q, SysTime now);
// GET /api/v1/sources/{name}: the source with its recent polls.
std::string source_json(const SourceRecord& r, SysTime now);

// GET /sources: the page of `page`, with the filter that made it.
std::string sources_html(const Page& page, const Query& q, SysTime now);
// GET /sources/{name}
std::string source_html(const SourceRecord& r, SysTime now);

// &, <, >, " and ' as character references: safe in text and in quoted attributes.
std::string html_escape(std::string_view s);

}  // namespace newsd::status
