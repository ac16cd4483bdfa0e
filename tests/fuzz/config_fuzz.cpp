// The YAML config loader: any input either loads or throws ConfigErrors (or another
// std::exception from the YAML library) naming what is wrong; nothing else escapes.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  try {
    (void)newsd::config::load_string(yaml, "fuzz.yaml");
  } catch (const newsd::config::ConfigErrors& e) {
    if (e.problems().empty()) std::abort();
  } catch (const std::exception&) {
  }
  return 0;
}
