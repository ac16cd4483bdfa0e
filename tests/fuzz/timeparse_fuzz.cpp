// Date parsing: never crashes, and whatever it accepts formats back to a valid RFC 3339 time
// that parses to the same instant.
#include <array>
#include <cstddef>
#include <cstdint>

#include "parse/timeparse.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace newsd;
  static constexpr std::array<std::string_view, 4> kZones = {"UTC", "Asia/Shanghai",
                                                             "America/New_York", "No/Such_Zone"};
  if (size == 0) return 0;
  const std::string_view zone = kZones[data[0] % kZones.size()];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (const auto t = parse::parse_time(text, zone)) {
    const std::string back = format_rfc3339(*t);
    const auto again = parse::parse_time(back, "UTC");
    fuzz::require(again && *again == *t, "formatted time does not parse back");
  }
  return 0;
}
