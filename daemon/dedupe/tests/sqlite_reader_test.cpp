#include "dedupe/sqlite_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

namespace newsd::dedupe {
namespace {

using namespace std::chrono;

class SqliteStateReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("newsd-reader-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string error_of_reading() const {
    try {
      SqliteStateReader reader(dir_);
    } catch (const StoreError& e) {
      return e.what();
    }
    return "";
  }

  std::filesystem::path dir_;
};

const Timestamp kT0 = sys_days{2024y / January / 1};

TEST_F(SqliteStateReaderTest, ReadsEveryMarkAndPollStateAStoreWrote) {
  {
    auto store = open_sqlite(dir_);
    ASSERT_TRUE(store->commit("b", "2", {"h2", std::nullopt}, kT0 + seconds(2)));
    ASSERT_TRUE(store->commit("a", "1", {"h1", kT0 - seconds(5)}, kT0 + seconds(1)));
    ASSERT_TRUE(store->save_poll_state("a", {"\"e\"", "Mon, 01 Jan 2024 00:00:00 GMT", 0}));
    ASSERT_TRUE(store->save_poll_state("b", {std::nullopt, std::nullopt, 3}));
    ASSERT_TRUE(store->flush());
  }
  SqliteStateReader reader(dir_);
  EXPECT_EQ(reader.path(), (dir_ / "newsd.sqlite3").string());
  EXPECT_EQ(reader.marks(), 2u);
  EXPECT_EQ(reader.poll_states(), 2u);

  std::vector<StoredMark> marks;
  EXPECT_EQ(reader.each_mark([&](const StoredMark& m) { marks.push_back(m); }), 2u);
  ASSERT_EQ(marks.size(), 2u);
  EXPECT_EQ(marks[0].source, "a");  // by source, then id
  EXPECT_EQ(marks[0].id, "1");
  EXPECT_EQ(marks[0].content_sha256, "h1");
  EXPECT_EQ(marks[0].updated_at, (kT0 - seconds(5)).time_since_epoch().count());
  EXPECT_EQ(marks[0].acked_at, (kT0 + seconds(1)).time_since_epoch().count());
  EXPECT_EQ(marks[1].source, "b");
  EXPECT_FALSE(marks[1].updated_at);

  std::map<std::string, PollState> polls;
  reader.each_poll_state([&](const std::string& s, const PollState& st) { polls[s] = st; });
  EXPECT_EQ(polls["a"], (PollState{"\"e\"", "Mon, 01 Jan 2024 00:00:00 GMT", 0}));
  EXPECT_EQ(polls["b"], (PollState{std::nullopt, std::nullopt, 3}));
}

TEST_F(SqliteStateReaderTest, IsRefusedWhileAStoreHasTheDatabaseOpen) {
  auto store = open_sqlite(dir_);
  ASSERT_TRUE(store->commit("a", "1", {"h1", std::nullopt}, kT0));
  ASSERT_TRUE(store->flush());
  EXPECT_NE(error_of_reading().find("is in use by another process: stop newsd"), std::string::npos)
      << error_of_reading();
  store.reset();
  EXPECT_EQ(error_of_reading(), "");
}

TEST_F(SqliteStateReaderTest, NeverCreatesAMissingDatabase) {
  const std::string error = error_of_reading();
  EXPECT_NE(error.find("no state database at " + (dir_ / "newsd.sqlite3").string()),
            std::string::npos)
      << error;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "newsd.sqlite3"));
}

TEST_F(SqliteStateReaderTest, LeavesTheDatabaseAsItFoundIt) {
  {
    auto store = open_sqlite(dir_);
    ASSERT_TRUE(store->commit("a", "1", {"h1", std::nullopt}, kT0));
    ASSERT_TRUE(store->save_poll_state("a", {"e", std::nullopt, 1}));
    ASSERT_TRUE(store->flush());
  }
  { SqliteStateReader reader(dir_); }
  auto store = open_sqlite(dir_);
  EXPECT_EQ(store->size(), 1u);
  EXPECT_EQ(store->poll_state("a"), (PollState{"e", std::nullopt, 1}));
  EXPECT_TRUE(store->commit("a", "2", {"h2", std::nullopt}, kT0));  // writable again
  EXPECT_TRUE(store->flush());
}

TEST_F(SqliteStateReaderTest, RefusesACorruptDatabase) {
  {
    auto store = open_sqlite(dir_);
    for (int i = 0; i < 500; ++i)
      ASSERT_TRUE(
          store->commit("a", std::string(100, 'x') + std::to_string(i), {"h", std::nullopt}, kT0));
    ASSERT_TRUE(store->flush());
  }
  {
    // Overwrites the middle of the file, past the header: pages of the seen table.
    std::FILE* f = std::fopen((dir_ / "newsd.sqlite3").c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    std::fseek(f, 4096 * 3, SEEK_SET);
    const std::string junk(8192, '\x5a');
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }
  const std::string error = error_of_reading();
  EXPECT_NE(error.find("is corrupt"), std::string::npos) << error;
}

}  // namespace
}  // namespace newsd::dedupe
