#include "core/build_info.h"

namespace newsd::build {

std::string_view version() {
  return NEWSD_VERSION;
}

std::string_view commit() {
  return NEWSD_COMMIT;
}

}  // namespace newsd::build
