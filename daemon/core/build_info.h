// What this build is: one source for `newsd --version` and the newsd_build_info metric.
#pragma once

#include <string_view>

namespace newsd::build {

// The project version ("0.1.0").
std::string_view version();

// The commit the build was made from (git's abbreviated hash), or "unknown" when it was built
// outside a git checkout without -DNEWSD_COMMIT.
std::string_view commit();

}  // namespace newsd::build
