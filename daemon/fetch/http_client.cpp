#include "fetch/http_client.h"

namespace newsd::fetch {

std::string_view to_string(ErrorClass c) {
  switch (c) {
    case ErrorClass::none:
      return "none";
    case ErrorClass::dns:
      return "dns";
    case ErrorClass::connect:
      return "connect";
    case ErrorClass::timeout:
      return "timeout";
    case ErrorClass::tls:
      return "tls";
    case ErrorClass::too_large:
      return "too_large";
    case ErrorClass::protocol:
      return "protocol";
    case ErrorClass::aborted:
      return "aborted";
  }
  return "unknown";  // not reached: the switch is exhaustive
}

}  // namespace newsd::fetch
