// Date-time parsing for feeds and front matter. Accepts RFC 3339 / ISO 8601
// ("2022-01-26T12:27:25+08:00", "2022-01-26 20:27:25 +0800", "2022-01-26 20:27:25"),
// RFC 822/2822 with numeric or named zones ("Wed, 26 Jan 2022 20:27:25 GMT") and a bare
// date ("2022-01-26"). A time written without an offset is read in an IANA zone.
// Anything else yields nullopt: a time is never guessed.
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
