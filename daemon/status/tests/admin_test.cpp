// The admin listener's configuration (admin.listen, admin.token_file) and its token.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "config/config.h"
#include "status/admin_token.h"
#include "status/client.h"

namespace newsd::status {
namespace {

const std::string kBase = "state_dir: /tmp/x\nkafka: {brokers: 'k:9092'}\nsources: []\n";

std::vector<std::string> errors_of(const std::string& yaml) {
  try {
    config::load_string(kBase + yaml, "t.yaml");
  } catch (const config::ConfigErrors& e) {
    std::vector<std::string> out;
    for (const auto& p : e.problems()) out.push_back(p.to_string());
    return out;
  }
  return {};
}

TEST(AdminConfig, IsOffByDefault) {
  EXPECT_TRUE(config::load_string(kBase, "t.yaml").admin.listen.empty());
}

TEST(AdminConfig, AcceptsLoopbackAddresses) {
  for (const char* listen : {"127.0.0.1:9465", "127.1.2.3:0", "[::1]:9465", "localhost:9465"})
    EXPECT_TRUE(errors_of(std::string("admin: {listen: '") + listen + "'}\n").empty()) << listen;
}

TEST(AdminConfig, RefusesAnAddressOtherThanLoopbackWithFileAndLine) {
  for (const char* listen : {"0.0.0.0:9465", "10.0.0.5:9465", "[::]:9465", ":9465", "127.0.0.1",
                             "127.0.0.1:99999", "example.com:9465"}) {
    const auto errors = errors_of(std::string("admin:\n  listen: '") + listen + "'\n");
    ASSERT_EQ(errors.size(), 1u) << listen;
    EXPECT_EQ(errors[0].rfind("t.yaml:5:", 0), 0u) << errors[0];
    EXPECT_NE(errors[0].find("admin.listen: expected a loopback"), std::string::npos) << errors[0];
  }
}

TEST(AdminConfig, RefusesATokenWithoutAListener) {
  const auto errors = errors_of("admin: {token_file: /etc/newsd/admin-token}\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("admin.token_file"), std::string::npos) << errors[0];
}

TEST(AdminToken, IsReadFromAFileWithoutItsTrailingNewline) {
  const auto path = std::filesystem::temp_directory_path() / "newsd-admin-token-test";
  std::ofstream(path) << "s3cret\n";
  EXPECT_EQ(read_token(path.string()), "s3cret");
  EXPECT_EQ(read_token(""), "");
  std::ofstream(path) << "\n";
  EXPECT_THROW(read_token(path.string()), std::runtime_error);
  std::filesystem::remove(path);
  EXPECT_THROW(read_token(path.string()), std::runtime_error);
}

TEST(AdminToken, ANameWithoutASlashIsASystemdCredential) {
  const auto dir = std::filesystem::temp_directory_path() / "newsd-credentials-test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "admin-token") << "from-systemd";
  ::setenv("CREDENTIALS_DIRECTORY", dir.c_str(), 1);
  EXPECT_EQ(read_token("admin-token"), "from-systemd");
  ::unsetenv("CREDENTIALS_DIRECTORY");
  EXPECT_THROW(read_token("admin-token"), std::runtime_error);
  std::filesystem::remove_all(dir);
}

TEST(StatusCommand, AsksLoopbackWhenTheDaemonListensOnEveryAddress) {
  using Address = std::pair<std::string, std::string>;
  EXPECT_EQ(daemon_address("0.0.0.0:9464"), (Address{"127.0.0.1", "9464"}));
  EXPECT_EQ(daemon_address(":9464").first, "127.0.0.1");
  EXPECT_EQ(daemon_address("[::]:9464").first, "::1");
  EXPECT_EQ(daemon_address("[::1]:9464").first, "::1");
  EXPECT_EQ(daemon_address("10.1.2.3:9464").first, "10.1.2.3");
}

}  // namespace
}  // namespace newsd::status
