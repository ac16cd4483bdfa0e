// The configuration reference (docs/configuration.md), generated from the key tables of
// schema.cpp and the prose of configuration.md.in; `newsd config-reference` prints it.
#pragma once

#include <string>

namespace newsd::config {

std::string reference();

}  // namespace newsd::config
