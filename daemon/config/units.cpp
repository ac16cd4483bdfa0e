// Units of configuration values: durations and sizes, read and written.
#include <charconv>
#include <string>

#include "config/config.h"
#include "config/schema.h"

namespace newsd::config {

std::optional<std::chrono::milliseconds> parse_duration(const std::string& text) {
  if (text == "0") return std::chrono::milliseconds(0);  // zero needs no unit
  double value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr == begin || value < 0) return std::nullopt;
  const std::string unit(ptr, end);
  double ms = 0;
  if (unit == "ms")
    ms = value;
  else if (unit == "s")
    ms = value * 1e3;
  else if (unit == "m")
    ms = value * 60e3;
  else if (unit == "h")
    ms = value * 3600e3;
  else if (unit == "d")
    ms = value * 86400e3;
  else
    return std::nullopt;
  if (ms > 1e15) return std::nullopt;
  return std::chrono::milliseconds(static_cast<long long>(ms));
}

std::optional<std::size_t> parse_size(const std::string& text) {
  double value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr == begin || value < 0) return std::nullopt;
  static const std::pair<const char*, double> kUnits[] = {
      {"", 1},     {"B", 1},        {"KB", 1e3},        {"MB", 1e6},
      {"GB", 1e9}, {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}};
  const std::string unit(ptr, end);
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) {
      const double bytes = value * factor;
      if (bytes > 1e15) return std::nullopt;
      return static_cast<std::size_t>(bytes);
    }
  }
  return std::nullopt;
}

namespace schema {

std::string format_duration(std::chrono::milliseconds d) {
  static const std::pair<const char*, long long> kUnits[] = {
      {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}};
  const long long ms = d.count();
  if (ms == 0) return "0";
  for (const auto& [unit, factor] : kUnits)
    if (ms % factor == 0) return std::to_string(ms / factor) + unit;
  return std::to_string(ms) + "ms";
}

std::string format_size(std::size_t bytes) {
  static const std::pair<const char*, std::size_t> kUnits[] = {
      {"GiB", std::size_t{1} << 30}, {"MiB", std::size_t{1} << 20}, {"KiB", std::size_t{1} << 10}};
  for (const auto& [unit, factor] : kUnits)
    if (bytes != 0 && bytes % factor == 0) return std::to_string(bytes / factor) + unit;
  return std::to_string(bytes);
}

}  // namespace schema

}  // namespace newsd::config
