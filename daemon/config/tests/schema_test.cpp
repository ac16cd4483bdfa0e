#include "config/schema.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "config/tests/errors_of.h"

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

TEST(Schema, StateIsSqliteAndDeliveryAtLeastOnceByDefault) {
  const Config c = load_string("kafka: {brokers: x:1}\n", "t.yaml");
  EXPECT_EQ(c.state.backend, "sqlite");
  EXPECT_EQ(c.state.topic, "newsd.state");
  EXPECT_EQ(c.state.partitions, 12u);
  EXPECT_EQ(c.state.replication_factor, 0u);  // the broker's
  EXPECT_EQ(c.kafka.delivery, "at_least_once");
  EXPECT_EQ(c.kafka.transactional_id, "");  // the per-instance default, made at start
  EXPECT_EQ(c.kafka.transaction_interval, std::chrono::milliseconds(100));
}

TEST(Schema, ReadsTheKafkaStateAndExactlyOnceSettings) {
  const Config c = load_string(
      "kafka: {brokers: x:1, delivery: exactly_once, transactional_id: ingest-1,\n"
      "        transaction_interval: 250ms}\n"
      "state: {backend: kafka, topic: my.state, partitions: 3, replication_factor: 2}\n",
      "t.yaml");
  EXPECT_EQ(c.state.backend, "kafka");
  EXPECT_EQ(c.state.topic, "my.state");
  EXPECT_EQ(c.state.partitions, 3u);
  EXPECT_EQ(c.state.replication_factor, 2u);
  EXPECT_EQ(c.kafka.delivery, "exactly_once");
  EXPECT_EQ(c.kafka.transactional_id, "ingest-1");
  EXPECT_EQ(c.kafka.transaction_interval, std::chrono::milliseconds(250));
}

TEST(Schema, ExactlyOnceWithTheSqliteBackendIsAnErrorAtKafkaDelivery) {
  const auto errs = errors_of("kafka:\n  brokers: x:1\n  delivery: exactly_once\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].rfind("t.yaml:3:", 0), 0u) << errs[0];
  EXPECT_NE(errs[0].find("kafka.delivery: exactly_once needs state.backend: kafka"),
            std::string::npos)
      << errs[0];
  EXPECT_EQ(
      errors_of("kafka: {brokers: x:1, delivery: exactly_once}\nstate: {backend: kafka}\n").size(),
      0u);
}

TEST(Schema, RefusesUnknownBackendsDeliveriesAndBadStateValues) {
  for (const auto& [yaml, expected] : std::vector<std::pair<std::string, std::string>>{
           {"kafka: {brokers: x:1, delivery: twice}\n", "kafka.delivery: expected at_least_once"},
           {"kafka: {brokers: x:1}\nstate: {backend: redis}\n", "state.backend: expected sqlite"},
           {"kafka: {brokers: x:1}\nstate: {topic: 'a b'}\n", "state.topic: expected a Kafka"},
           {"kafka: {brokers: x:1}\nstate: {partitions: 0}\n", "state.partitions: expected"},
           {"kafka: {brokers: x:1}\nstate: {colour: red}\n", "state.colour: unknown key"},
           {"kafka: {brokers: x:1, transaction_interval: 0ms}\n", "kafka.transaction_interval"},
       }) {
    const auto errs = errors_of(yaml);
    ASSERT_EQ(errs.size(), 1u) << yaml;
    EXPECT_NE(errs[0].find(expected), std::string::npos) << errs[0];
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
