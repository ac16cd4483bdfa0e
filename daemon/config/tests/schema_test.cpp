#include "config/schema.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace newsd::config {
namespace {

std::string source_list(const std::map<std::string, std::string>& keys, int blank_lines) {
  std::string yaml = "kafka: {brokers: x:1}\n" + std::string(blank_lines, '\n') + "sources:\n  - ";
  for (const auto& [k, v] : keys) yaml += k + ": " + v + "\n    ";
  return yaml + "\n";
}

// A reload keeps a source's state only while Source::same_settings holds; a key that it does
// not compare would leave a changed source polled as before.
TEST(Schema, EverySourceKeyCountsInSameSettings) {
  const std::map<std::string, std::string> base = {
      {"name", "a"},         {"url", "'http://h/f'"}, {"format", "json_api"},
      {"items", "/records"}, {"fields", "{id: /i}"},
  };
  const std::map<std::string, std::string> another = {
      {"name", "b"},
      {"url", "'http://h/g'"},
      {"format", "rss"},
      {"interval", "7m"},
      {"adapt", "{min: 2m, max: 3h}"},
      {"follow", "true"},
      {"timezone", "Asia/Tokyo"},
      {"category", "c"},
      {"robots", "ignore"},
      {"media", "m"},
      {"items", "/other"},
      {"fields", "{id: /j}"},
      {"detail", "{url: 'http://h/{id}', body: /b}"},
  };
  const Source a = load_string(source_list(base, 0), "t.yaml").sources.at(0);
  EXPECT_TRUE(a.same_settings(load_string(source_list(base, 3), "t.yaml").sources.at(0)))
      << "where a source is declared is not one of its settings";

  std::vector<std::string> keys;
  for (const auto& f : schema::source_keys())
    if (f.documented) keys.push_back(f.key);
  for (const auto& f : schema::json_api_keys()) keys.push_back(f.key);
  for (const auto& key : keys) {
    const auto value = another.find(key);
    if (value == another.end()) {
      ADD_FAILURE() << "sources[]." << key
                    << ": give it a second value in this test, and compare it in "
                       "Source::same_settings";
      continue;
    }
    auto changed = base;
    changed[key] = value->second;
    const Source b = load_string(source_list(changed, 0), "t.yaml").sources.at(0);
    EXPECT_FALSE(a.same_settings(b)) << "sources[]." << key << " is not compared";
  }
}

}  // namespace
}  // namespace newsd::config
