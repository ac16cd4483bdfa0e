#include "core/log.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <sstream>

namespace newsd::log {
namespace {

std::vector<boost::json::object> json_lines(const std::string& text) {
  std::vector<boost::json::object> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(boost::json::parse(line).as_object());
  return out;
}

class LogTest : public ::testing::Test {
 protected:
  void TearDown() override { configure(Format::text); }
};

TEST_F(LogTest, JsonLinesCarryTheStageSourceAndPost) {
  configure(Format::json);
  testing::internal::CaptureStderr();
  {
    Scope scope("finews", "NW202201262262921627");
    get("publish")->error("post was not delivered: {}", "Local: Message timed out");
  }
  get("publish")->info("no scope here");
  const auto lines = json_lines(testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].at("stage").as_string(), "publish");
  EXPECT_EQ(lines[0].at("level").as_string(), "error");
  EXPECT_EQ(lines[0].at("source").as_string(), "finews");
  EXPECT_EQ(lines[0].at("post_id").as_string(), "NW202201262262921627");
  EXPECT_EQ(lines[0].at("msg").as_string(), "post was not delivered: Local: Message timed out");
  EXPECT_FALSE(lines[1].contains("source"));
}

TEST_F(LogTest, RepeatedWarningsAreWrittenOncePerWindow) {
  configure(Format::json, std::chrono::seconds(3600));
  testing::internal::CaptureStderr();
  for (int i = 0; i < 50; ++i) get("fetch")->warn("s1: fetching failed: connect");
  get("fetch")->warn("s2: fetching failed: connect");
  for (int i = 0; i < 3; ++i) get("fetch")->info("info is never held back");
  const auto lines = json_lines(testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0].at("msg").as_string(), "s1: fetching failed: connect");
  EXPECT_EQ(lines[1].at("msg").as_string(), "s2: fetching failed: connect");
}

TEST_F(LogTest, ReadsFormatNames) {
  EXPECT_EQ(format_from_string("json"), Format::json);
  EXPECT_EQ(format_from_string("journald"), Format::journald);
  EXPECT_FALSE(format_from_string("xml"));
}

}  // namespace
}  // namespace newsd::log
