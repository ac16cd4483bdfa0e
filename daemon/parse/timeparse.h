// Date-time parsing for feeds, list APIs and front matter. Accepts
//  - RFC 3339 / ISO 8601 / W3CDTF: "2022-01-26T12:27:25+08:00", "2022-01-26T20:27Z",
//    fractions, "2022-01-26", "2022-01", "2022", the basic form "20220126T202725Z";
//  - "2022-01-26 20:27:25" and "2022/01/26 20:27" (optionally with an offset);
//  - RFC 822/2822/850 and asctime: "Wed, 26 Jan 2022 20:27:25 GMT", day of week optional,
//    seconds optional, two-digit years (RFC 2822 4.3: < 50 -> 20xx), numeric offsets, the
//    named US/European/Asian zones and the single-letter military zones (A..M east, N..Y
//    west, Z = UTC; J is "local time" and rejected);
//  - Chinese forms: "2022年01月26日 20:27[:25]", "2022年1月26日";
//  - epoch numbers: 9-11 digits are seconds, 12-13 digits milliseconds (optional fraction).
// A time written without an offset is read in an IANA zone. Anything else yields nullopt:
// a time is never guessed.
#pragma once

#include <optional>
#include <string_view>

#include "core/post.h"

namespace newsd::parse {

// `text` as a UTC instant; `zone` (IANA name, e.g. "Asia/Shanghai") applies when the text
// carries no offset. nullopt when the text or the zone cannot be understood.
std::optional<Timestamp> parse_time(std::string_view text, std::string_view zone);

// The UTC offset in seconds of `zone` at the given local wall time (the earlier offset for
// ambiguous or skipped times); nullopt for an unknown zone. Thread-safe.
std::optional<long> zone_offset_at_local(std::string_view zone, std::chrono::local_seconds local);

}  // namespace newsd::parse
