#include "config/reference.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace newsd::config {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The line where two texts first differ, for a message that says where to look.
std::string first_difference(const std::string& a, const std::string& b) {
  std::istringstream x(a), y(b);
  std::string l, r;
  for (int n = 1;; ++n) {
    const bool more_l = static_cast<bool>(std::getline(x, l));
    const bool more_r = static_cast<bool>(std::getline(y, r));
    if (!more_l && !more_r) return "";
    if (!more_l || !more_r || l != r)
      return "line " + std::to_string(n) + ":\n  checked in: " + (more_l ? l : "(end)") +
             "\n  generated:  " + (more_r ? r : "(end)");
  }
}

TEST(Reference, TheCheckedInConfigurationDocIsTheGeneratedOne) {
  const std::string checked_in = read(std::string(NEWSD_SOURCE_DIR) + "/docs/configuration.md");
  const std::string generated = reference();
  EXPECT_TRUE(checked_in == generated)
      << "docs/configuration.md differs from what daemon/config/schema.cpp and "
         "configuration.md.in make; regenerate it with\n"
         "  build/daemon/app/newsd config-reference > docs/configuration.md\n"
         "first difference at "
      << first_difference(checked_in, generated);
}

TEST(Reference, ShowsEachDefaultAsTheStructsHoldIt) {
  const std::string doc = reference();
  EXPECT_NE(doc.find("| `retention` | duration ≥ 1h | `90d` |"), std::string::npos);
  EXPECT_NE(doc.find("| `max_body` | size | `16MiB` |"), std::string::npos);
  EXPECT_NE(doc.find("| `user_agent` | string | `newsd/0.1` |"), std::string::npos);
  EXPECT_NE(doc.find("| `parse_threads` | integer 0–64 | `0` |"), std::string::npos);
  EXPECT_NE(doc.find("| `brokers` | string | required |"), std::string::npos);
  EXPECT_NE(doc.find("| `detail.url` | string |  |"), std::string::npos);
}

TEST(Reference, LeavesNoPlaceholderOfTheTemplate) {
  EXPECT_EQ(reference().find("{{"), std::string::npos);
}

}  // namespace
}  // namespace newsd::config
