// The `cluster:` section: off unless present; its keys and their errors at file:line.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.h"

namespace newsd::config {
namespace {

using namespace std::chrono_literals;

const std::string kBase = R"(kafka: {brokers: 127.0.0.1:9092}
state: {backend: kafka}
sources:
  - {name: a, url: http://example.org/feed.xml}
)";

std::string errors_of(const std::string& yaml) {
  try {
    load_string(yaml, "t.yaml");
  } catch (const ConfigErrors& e) {
    return e.what();
  }
  return "";
}

TEST(ClusterConfig, IsOffWhenAbsent) {
  EXPECT_FALSE(load_string(kBase, "t.yaml").cluster);
}

TEST(ClusterConfig, ReadsGroupInstanceAndSessionTimeout) {
  const auto c = load_string(
      kBase + "cluster: {group: newsd, instance: host-a, session_timeout: 6s}\n", "t.yaml");
  ASSERT_TRUE(c.cluster);
  EXPECT_EQ(c.cluster->group, "newsd");
  EXPECT_EQ(c.cluster->instance, "host-a");
  EXPECT_EQ(c.cluster->session_timeout, 6s);
}

TEST(ClusterConfig, IsADynamicMemberWithATenSecondSessionByDefault) {
  const auto c = load_string(kBase + "cluster: {group: newsd}\n", "t.yaml");
  ASSERT_TRUE(c.cluster);
  EXPECT_TRUE(c.cluster->instance.empty());
  EXPECT_EQ(c.cluster->session_timeout, 10s);
}

TEST(ClusterConfig, NeedsAGroup) {
  EXPECT_NE(errors_of(kBase + "cluster: {instance: a}\n")
                .find("t.yaml:5:10: cluster.group: required key is missing"),
            std::string::npos)
      << errors_of(kBase + "cluster: {instance: a}\n");
}

TEST(ClusterConfig, RefusesAShortSessionABadInstanceNameAndUnknownKeys) {
  const std::string e = errors_of(kBase + R"(cluster:
  group: g
  instance: "a b"
  session_timeout: 500ms
  colour: red
)");
  EXPECT_NE(e.find("t.yaml:7:13: cluster.instance: use letters"), std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:8:20: cluster.session_timeout"), std::string::npos) << e;
  EXPECT_NE(e.find("cluster.colour: unknown key"), std::string::npos) << e;
}

TEST(ClusterConfig, NeedsTheKafkaStateStore) {
  const std::string yaml = R"(kafka: {brokers: 127.0.0.1:9092}
sources:
  - {name: a, url: http://example.org/feed.xml}
cluster:
  group: g
)";
  const std::string e = errors_of(yaml);
  EXPECT_NE(e.find("t.yaml:5:10: cluster.group: cluster needs state.backend: kafka"),
            std::string::npos)
      << e;
}

}  // namespace
}  // namespace newsd::config
