// gzip decompression with a ceiling on the output, for sitemaps served as .xml.gz.
//
// A gzip bomb (a few KiB that inflate to gigabytes) stops at `limit` bytes of output with an
// error; memory use never exceeds the limit plus one buffer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace newsd::parse {

// Whether `bytes` begin with the gzip magic number (1f 8b).
bool is_gzip(std::string_view bytes);

// The decompressed bytes of a gzip stream (members written one after another are joined),
// or an error naming what is wrong: corrupt data, a truncated stream, more than `limit`.
Expected<std::string> gunzip(std::string_view bytes, std::size_t limit);

}  // namespace newsd::parse
