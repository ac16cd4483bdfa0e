// A real single-node broker for the state store's integration tests: $NEWSD_TEST_KAFKA when
// set (an address), else one started by scripts/kafka/kafka in a temporary directory for the
// whole test binary and stopped at its end.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace newsd::state::testing {

class KafkaBroker : public ::testing::Environment {
 public:
  static const std::string& bootstrap() { return bootstrap_; }

  void SetUp() override {
    if (const char* given = std::getenv("NEWSD_TEST_KAFKA"); given && *given) {
      bootstrap_ = given;
      return;
    }
    char tmpl[] = "/tmp/newsd-state-kafka-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const std::string out = run(script() + " start " + dir_ + " 2>&1");
    const auto nl = out.find_last_of('\n', out.size() - 2);
    bootstrap_ = out.substr(nl == std::string::npos ? 0 : nl + 1);
    while (!bootstrap_.empty() && std::isspace(static_cast<unsigned char>(bootstrap_.back())))
      bootstrap_.pop_back();
    ASSERT_TRUE(bootstrap_.starts_with("127.0.0.1:")) << out;
  }

  void TearDown() override {
    if (dir_.empty()) return;
    run(script() + " stop " + dir_ + " 2>&1");
    std::filesystem::remove_all(dir_);
  }

 private:
  static std::string script() { return std::string(NEWSD_SOURCE_DIR) + "/scripts/kafka/kafka"; }
  static std::string run(const std::string& cmd) {
    std::string out;
    if (FILE* p = popen(cmd.c_str(), "r")) {
      char buf[512];
      while (std::fgets(buf, sizeof buf, p)) out += buf;
      pclose(p);
    }
    return out;
  }

  static inline std::string bootstrap_;
  std::string dir_;
};

}  // namespace newsd::state::testing
