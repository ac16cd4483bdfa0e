// Helpers for the parse tests: fixture and seed loading.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>

#include "parse/parser.h"

namespace newsd::parse::testing {

inline std::filesystem::path data_dir() {
  return std::filesystem::path(NEWSD_SOURCE_DIR) / "daemon/parse/tests/data";
}

inline std::filesystem::path shared_dir() {
  return std::filesystem::path(NEWSD_SHARED_DIR);
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << p;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string fixture(const std::string& name) {
  return read_file(data_dir() / name);
}

inline Context context_for(const std::string& url, const std::string& timezone = "UTC") {
  Context ctx;
  ctx.source = "test";
  ctx.url = url;
  ctx.timezone = timezone;
  return ctx;
}

// Parses and asserts success; the vector is empty (and the test failed) otherwise.
inline std::vector<Parsed> parse_ok(std::string_view bytes, Format format, const Context& ctx) {
  auto result = parse(bytes, format, ctx);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  if (!result.ok()) return {};
  return std::move(result).value();
}

inline std::string rfc3339(const std::optional<Timestamp>& t) {
  return t ? format_rfc3339(*t) : std::string("null");
}

}  // namespace newsd::parse::testing
