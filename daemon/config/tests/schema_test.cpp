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
      {"media", "m"},
      {"items", "/other"},
      {"fields", "{id: /j}"},
      {"detail", "{url: 'http://h/{id}', body: /b}"},
      {"max_pages", "3"},
      {"paging", "{param: pageindex, first: 1}"},
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

TEST(Schema, MaxPagesAndPagingDefaultToTenPagesByTheSourcesOwnLinks) {
  const Source s =
      load_string("kafka: {brokers: x:1}\nsources:\n  - {name: a, url: 'http://h/f'}\n", "t.yaml")
          .sources.at(0);
  EXPECT_EQ(s.max_pages, 10u);
  EXPECT_FALSE(s.paging);
}

TEST(Schema, BadMaxPagesAndPagingAreErrorsAtTheirLine) {
  try {
    load_string(
        "kafka: {brokers: x:1}\nsources:\n"
        "  - {name: a, url: 'http://h/f', max_pages: 0}\n"
        "  - {name: b, url: 'http://h/g', paging: {first: 2}}\n"
        "  - {name: c, url: 'http://h/h', paging: {param: 'p&q', first: 1, size: 20}}\n",
        "t.yaml");
    FAIL() << "accepted";
  } catch (const ConfigErrors& e) {
    std::vector<std::string> got;
    for (const auto& p : e.problems()) got.push_back(std::to_string(p.where.line) + " " + p.key);
    EXPECT_EQ(got,
              (std::vector<std::string>{"3 sources[0].max_pages", "4 sources[1].paging.param",
                                        "5 sources[2].paging.param", "5 sources[2].paging.size"}));
  }
}

}  // namespace
}  // namespace newsd::config
