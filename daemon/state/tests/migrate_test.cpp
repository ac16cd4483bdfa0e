// The export of a SQLite state and its reading back as state records, without a broker: the
// records are applied to a StateIndex as the restore applies them.
#include "state/migrate.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>
#include <tuple>
#include <vector>

#include "dedupe/sqlite_reader.h"
#include "state/index.h"
#include "state/record.h"
#include "state/restore.h"

namespace newsd::state {
namespace {

const char* kSha = "1111111111111111111111111111111111111111111111111111111111111111";

Timestamp at(std::int64_t s) {
  return Timestamp(std::chrono::seconds(s));
}

class MigrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("newsd-migrate-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A state with the cases an export must carry: a mark with and one without updated_at, a
  // content hash that is not hex, ids that need escaping, a source name in Chinese, poll
  // states with and without validators.
  void make_state() {
    auto store = dedupe::open_sqlite(dir_);
    ASSERT_TRUE(
        store->commit("finews", "tag:finews,2024:1", {kSha, at(1'700'000'000)}, at(1'700'000'100)));
    ASSERT_TRUE(store->commit("finews", "https://x/?a=\"b\"\n\t\\", {kSha, std::nullopt},
                              at(1'700'000'200)));
    ASSERT_TRUE(store->commit("新华财经", "NW202401", {"not-hex", std::nullopt}, at(5)));
    ASSERT_TRUE(
        store->save_poll_state("finews", {"W/\"abc\"", "Mon, 01 Jan 2024 00:00:00 GMT", 0}));
    ASSERT_TRUE(store->save_poll_state("新华财经", {std::nullopt, std::nullopt, 4}));
    ASSERT_TRUE(store->flush());
  }

  std::string exported() {
    std::ostringstream out;
    const MigrationStats s = export_sqlite(dir_, out);
    EXPECT_EQ(s.marks, 3u);
    EXPECT_EQ(s.poll_states, 2u);
    return out.str();
  }

  std::string error_of_reading(const std::string& text) {
    std::istringstream in(text);
    try {
      read_export(in, 12, {});
    } catch (const MigrationError& e) {
      return e.what();
    }
    return "";
  }

  std::filesystem::path dir_;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + '\n';
  return out;
}

TEST_F(MigrateTest, ImportsTheRecordsThatRestoreTheSqliteState) {
  make_state();
  std::istringstream in(exported());
  StateIndex index;
  std::vector<std::tuple<std::int32_t, std::string>> placed;
  const MigrationStats s =
      read_export(in, 12, [&](std::int32_t p, const std::string& key, const std::string& value) {
        placed.emplace_back(p, key);
        EXPECT_NE(apply(index, key, value), Applied::malformed);
      });
  EXPECT_EQ(s.marks, 3u);
  EXPECT_EQ(s.poll_states, 2u);
  ASSERT_EQ(placed.size(), 5u);
  // Every record of a source in that source's partition, as the store writes it.
  for (const auto& [p, key] : placed) {
    const auto k = decode_key(key);
    ASSERT_TRUE(k);
    EXPECT_EQ(p, partition_of(k->source, 12)) << key;
  }

  const auto first = index.find("finews", hash_id("tag:finews,2024:1"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->sha.to_text(), kSha);
  EXPECT_EQ(first->acked_at, 1'700'000'100);
  EXPECT_EQ(first->updated_at, 1'700'000'000);
  const auto escaped = index.find("finews", hash_id("https://x/?a=\"b\"\n\t\\"));
  ASSERT_TRUE(escaped);
  EXPECT_FALSE(escaped->updated_at);
  const auto chinese = index.find("新华财经", hash_id("NW202401"));
  ASSERT_TRUE(chinese);
  EXPECT_EQ(chinese->sha.to_text(), "not-hex");
  EXPECT_EQ(index.size(), 3u);
  EXPECT_EQ(index.poll_state("finews"),
            (dedupe::PollState{"W/\"abc\"", "Mon, 01 Jan 2024 00:00:00 GMT", 0}));
  EXPECT_EQ(index.poll_state("新华财经"), (dedupe::PollState{std::nullopt, std::nullopt, 4}));
}

TEST_F(MigrateTest, KeepsThePostIdInTheMarkForPeopleAndTools) {
  make_state();
  std::istringstream in(exported());
  std::vector<std::string> ids;
  read_export(in, 3, [&](std::int32_t, const std::string& key, const std::string& value) {
    if (key.front() == 'm') ids.push_back(decode_mark(value)->id);
  });
  EXPECT_EQ(
      ids, (std::vector<std::string>{"https://x/?a=\"b\"\n\t\\", "tag:finews,2024:1", "NW202401"}));
}

TEST_F(MigrateTest, ChecksAnExportWithoutWritingAnything) {
  make_state();
  std::istringstream in(exported());
  const MigrationStats s = read_export(in, 12, {});
  EXPECT_EQ(s.marks, 3u);
  EXPECT_EQ(s.poll_states, 2u);
}

TEST_F(MigrateTest, BeginsWithAHeaderThatNamesTheDatabaseAndEndsWithTheCounts) {
  make_state();
  const auto lines = lines_of(exported());
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines.front(), R"({"type":"newsd-state-export","version":1,"database":")" +
                               (dir_ / "newsd.sqlite3").string() +
                               R"(","marks":3,"poll_states":2})");
  EXPECT_EQ(lines.back(), R"({"type":"end","marks":3,"poll_states":2})");
  EXPECT_EQ(lines[3], R"({"type":"mark","source":"新华财经","id":"NW202401",)"
                      R"("content_sha256":"not-hex","acked_at":5,"updated_at":null})");
}

TEST_F(MigrateTest, RefusesAnExportThatWasCutShort) {
  make_state();
  auto lines = lines_of(exported());
  lines.pop_back();
  const std::string error = error_of_reading(joined(lines));
  EXPECT_EQ(error,
            "the export ends at line 6 without its end line: it is incomplete (3 of 3 marks)");
  lines.erase(lines.begin() + 1);
  EXPECT_NE(error_of_reading(joined(lines)).find("incomplete (2 of 3 marks)"), std::string::npos);
}

TEST_F(MigrateTest, RefusesAnEndLineThatDisagreesWithTheRecords) {
  make_state();
  auto lines = lines_of(exported());
  lines.erase(lines.begin() + 2);  // a mark lost on the way
  EXPECT_EQ(error_of_reading(joined(lines)),
            "line 6: the export declares 3 marks and 2 poll states but holds 2 and 2");
}

TEST_F(MigrateTest, NamesTheLineOfAFaultyRecord) {
  make_state();
  auto lines = lines_of(exported());
  lines[2] = R"({"type":"mark","source":"a","id":"b","content_sha256":"c","acked_at":"soon",)"
             R"("updated_at":null})";
  EXPECT_EQ(error_of_reading(joined(lines)), "line 3: \"acked_at\" is not an integer");
  lines[2] = "{\"type\":\"mark\"";
  EXPECT_EQ(error_of_reading(joined(lines)), "line 3: not a JSON object");
  lines[2] = R"({"type":"offset","source":"a"})";
  EXPECT_EQ(error_of_reading(joined(lines)), "line 3: unknown record type \"offset\"");
  lines[2] = R"({"type":"poll_state","source":"a","etag":null,"last_modified":null})";
  EXPECT_EQ(error_of_reading(joined(lines)), "line 3: no \"consecutive_failures\"");
}

TEST_F(MigrateTest, RefusesWhatIsNotAnExportOrIsOfANewerVersion) {
  EXPECT_EQ(error_of_reading(""), "the input is empty: not a newsd state export");
  EXPECT_EQ(error_of_reading("{\"id\":\"x\",\"title\":\"a post\"}\n"), "line 1: no \"type\"");
  EXPECT_EQ(error_of_reading("{\"type\":\"mark\"}\n"), "line 1: not a newsd state export");
  EXPECT_EQ(error_of_reading(R"({"type":"newsd-state-export","version":2,"marks":0,)"
                             R"("poll_states":0})"
                             "\n"),
            "line 1: export version 2 is not one this newsd reads (1)");
}

TEST_F(MigrateTest, RefusesRecordsAfterTheEndLine) {
  make_state();
  auto lines = lines_of(exported());
  lines.push_back(lines[1]);
  EXPECT_EQ(error_of_reading(joined(lines)), "line 8: a record after the end line");
}

TEST_F(MigrateTest, ExportsAnEmptyStateAsHeaderAndEnd) {
  { dedupe::open_sqlite(dir_); }
  std::ostringstream out;
  const MigrationStats s = export_sqlite(dir_, out);
  EXPECT_EQ(s.marks, 0u);
  EXPECT_EQ(lines_of(out.str()).size(), 2u);
  std::istringstream in(out.str());
  EXPECT_EQ(read_export(in, 12, {}).marks, 0u);
}

}  // namespace
}  // namespace newsd::state
