// Hooks into the loader for its tests and fuzzer: the two ways it reads a `sources:` list.
#pragma once

#include <string>

#include "config/config.h"

namespace newsd::config::detail {

// load_string without reading a large `sources:` list item by item: the reference the
// split reader is tested against.
Config load_whole(const std::string& yaml, const std::string& name);
// Whether load_string reads this document's `sources:` list item by item (else it reads the
// document whole): lets tests see that the split is taken where it should be.
bool reads_list_in_items(const std::string& yaml);

}  // namespace newsd::config::detail
