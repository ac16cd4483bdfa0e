#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <map>

#include "dedupe/seen_store.h"

namespace newsd::dedupe {
namespace {

using namespace std::chrono;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("newsd-dedupe-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

const Timestamp kT0 = sys_days{2024y / January / 1};

TEST_F(SqliteStoreTest, RemembersCommittedPostsAcrossReopen) {
  {
    auto store = open_sqlite(dir_);
    EXPECT_FALSE(store->find("s", "a"));
    ASSERT_TRUE(store->commit("s", "a", {"h1", kT0}, kT0));
  }
  auto store = open_sqlite(dir_);
  auto e = store->find("s", "a");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->content_sha256, "h1");
  EXPECT_EQ(e->updated_at, kT0);
  EXPECT_FALSE(store->find("other", "a"));
}

TEST_F(SqliteStoreTest, LooksUpAWholeFeedAtOnceWithTheAnswersOfOneByOne) {
  auto store = open_sqlite(dir_);
  std::vector<std::string> ids;
  for (int i = 0; i < 70; ++i) {  // more than one statement's worth
    ids.push_back("id" + std::to_string(i));
    if (i % 3 == 0) {
      ASSERT_TRUE(store->commit("s", ids.back(), {"h" + std::to_string(i), std::nullopt}, kT0));
    }
  }
  ASSERT_TRUE(store->commit("other", "id1", {"x", kT0}, kT0));  // another source's entry
  ids.push_back("id3");                                         // listed twice
  ids.push_back("it's \"quoted\"");
  const auto many = store->find_many("s", ids);
  ASSERT_EQ(many.size(), ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto one = store->find("s", ids[i]);
    ASSERT_EQ(many[i].has_value(), one.has_value()) << ids[i];
    if (one) {
      EXPECT_EQ(many[i]->content_sha256, one->content_sha256);
      EXPECT_EQ(many[i]->updated_at, one->updated_at);
    }
  }
  EXPECT_TRUE(many[69]);
  EXPECT_FALSE(many[1]);
  EXPECT_EQ(many[70]->content_sha256, "h3");
  EXPECT_TRUE(store->find_many("s", {}).empty());
}

TEST_F(SqliteStoreTest, LooksUpAFeedWithoutBuildingATemporaryTable) {
  // find_many runs once per fetched feed; an ephemeral table (what `id IN (...)` compiles
  // to) costs a pager of its own each time. The plan must be index searches only.
  { auto store = open_sqlite(dir_); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "newsd.sqlite3").c_str(), &db), SQLITE_OK);
  const std::string sql = "EXPLAIN " + detail::find_many_sql(32);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  int ops = 0, ephemeral = 0, seeks = 0;
  while (sqlite3_step(s) == SQLITE_ROW) {
    const std::string op = reinterpret_cast<const char*>(sqlite3_column_text(s, 1));
    ++ops;
    if (op == "OpenEphemeral" || op == "OpenAutoindex") ++ephemeral;
    if (op == "SeekGE" || op == "SeekLE" || op == "SeekGT" || op == "SeekLT" || op == "Found" ||
        op == "NotFound")
      ++seeks;
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  EXPECT_GT(ops, 0);
  EXPECT_EQ(ephemeral, 0) << sql;
  EXPECT_GT(seeks, 0) << "no search of the primary key: " << sql;
}

TEST_F(SqliteStoreTest, UpdatesTheHashWhenContentChanges) {
  auto store = open_sqlite(dir_);
  store->commit("s", "a", {"h1", std::nullopt}, kT0);
  store->commit("s", "a", {"h2", std::nullopt}, kT0 + 1s);
  EXPECT_EQ(store->find("s", "a")->content_sha256, "h2");
  EXPECT_EQ(store->size(), 1u);
}

TEST_F(SqliteStoreTest, PrunesEntriesOlderThanTheCutoff) {
  auto store = open_sqlite(dir_);
  store->commit("s", "old", {"h", std::nullopt}, kT0);
  store->commit("s", "new", {"h", std::nullopt}, kT0 + 48h);
  EXPECT_EQ(store->prune(kT0 + 24h, 100), 1u);
  EXPECT_FALSE(store->find("s", "old"));
  EXPECT_TRUE(store->find("s", "new"));
}

TEST_F(SqliteStoreTest, PrunesAtMostTheLimitOldestFirst) {
  auto store = open_sqlite(dir_);
  // Acknowledged in an order unlike the keys': the oldest must go first all the same.
  for (int i = 0; i < 10; ++i)
    store->commit("s" + std::to_string(i % 3), std::to_string(9 - i), {"h", std::nullopt},
                  kT0 + hours(i));
  store->commit("s", "recent", {"h", std::nullopt}, kT0 + 100h);
  EXPECT_EQ(store->prune(kT0 + 50h, 4), 4u);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(store->find("s" + std::to_string(i % 3), std::to_string(9 - i)).has_value(), i >= 4)
        << i;
  EXPECT_EQ(store->prune(kT0 + 50h, 4), 4u);
  EXPECT_EQ(store->prune(kT0 + 50h, 4), 2u);
  EXPECT_EQ(store->prune(kT0 + 50h, 4), 0u);
  EXPECT_EQ(store->size(), 1u);
  EXPECT_TRUE(store->find("s", "recent"));
}

TEST_F(SqliteStoreTest, KeepsConditionalGetStatePerSource) {
  {
    auto store = open_sqlite(dir_);
    EXPECT_FALSE(store->poll_state("s").etag);
    store->save_poll_state("s", {"\"v1\"", "Mon, 01 Jan 2024 00:00:00 GMT", 2});
  }
  auto st = open_sqlite(dir_)->poll_state("s");
  EXPECT_EQ(st.etag, "\"v1\"");
  EXPECT_EQ(st.last_modified, "Mon, 01 Jan 2024 00:00:00 GMT");
  EXPECT_EQ(st.consecutive_failures, 2);
}

// Rows another connection (here: a second reader, as after a crash) can see.
long long rows_seen_by_another_connection(const std::filesystem::path& dir) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2((dir / "newsd.sqlite3").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  long long n = -1;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM seen", -1, &s, nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW)
    n = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return n;
}

TEST_F(SqliteStoreTest, GroupsWritesUntilFlushAndSeesThemAtOnce) {
  auto store = open_sqlite(dir_);
  ASSERT_TRUE(store->commit("s", "a", {"h1", kT0}, kT0));
  ASSERT_TRUE(store->save_poll_state("s", {"\"v1\"", std::nullopt, 0}));
  EXPECT_TRUE(store->find("s", "a"));  // this store reads its own grouped writes
  EXPECT_EQ(rows_seen_by_another_connection(dir_), 0);
  EXPECT_TRUE(store->flush());
  EXPECT_EQ(rows_seen_by_another_connection(dir_), 1);
  EXPECT_TRUE(store->flush());  // nothing pending
}

// Runs `sql` on a connection of its own (here: to add a trigger that makes chosen writes fail).
void exec_elsewhere(const std::filesystem::path& dir, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "newsd.sqlite3").c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

// Marks are written several to a statement, some time after commit() returned. Any number of
// them, mixed with reads, must read back as written one by one, the last write of an id winning.
TEST_F(SqliteStoreTest, MarksWrittenTogetherReadBackAsWrittenOneByOne) {
  auto store = open_sqlite(dir_);
  std::map<std::string, std::string> want;
  for (int i = 0; i < 100; ++i) {
    const std::string id = "id" + std::to_string(i % 37);  // ids come back, in and across chunks
    const std::string hash = "h" + std::to_string(i);
    ASSERT_TRUE(store->commit("s", id, {hash, i % 2 ? std::optional(kT0) : std::nullopt},
                              kT0 + seconds(i)));
    want[id] = hash;
    if (i % 23 == 0) {  // a read in the middle sees everything so far
      const auto e = store->find("s", id);
      ASSERT_TRUE(e);
      EXPECT_EQ(e->content_sha256, hash);
    }
  }
  EXPECT_EQ(store->size(), want.size());
  for (const auto& [id, hash] : want) EXPECT_EQ(store->find("s", id)->content_sha256, hash) << id;
  EXPECT_EQ(store->find("s", "id36")->updated_at, kT0);          // written last at i = 73
  EXPECT_EQ(store->find("s", "id0")->updated_at, std::nullopt);  // written last at i = 74
  ASSERT_TRUE(store->flush());
  EXPECT_EQ(rows_seen_by_another_connection(dir_), static_cast<long long>(want.size()));
}

// A mark that cannot be written must not let the rest of its batch commit, whether the failed
// statement alone was undone (ABORT) or the whole transaction (ROLLBACK): the polls of the
// batch then fail and their posts are offered again.
TEST_F(SqliteStoreTest, AMarkThatCannotBeWrittenLosesItsWholeBatch) {
  for (const char* how : {"ABORT", "ROLLBACK"}) {
    SCOPED_TRACE(how);
    std::filesystem::remove_all(dir_);
    auto store = open_sqlite(dir_);
    exec_elsewhere(dir_, (std::string("CREATE TRIGGER refuse BEFORE INSERT ON seen WHEN "
                                      "NEW.id = 'bad' BEGIN SELECT RAISE(") +
                          how + ", 'refused'); END;")
                             .c_str());
    ASSERT_TRUE(store->commit("s", "a", {"h", kT0}, kT0));
    ASSERT_TRUE(store->save_poll_state("s", {"\"v1\"", std::nullopt, 0}));
    store->commit("s", "bad", {"h", kT0}, kT0);  // may be written only later
    EXPECT_FALSE(store->batch_intact());
    EXPECT_FALSE(store->flush());
    EXPECT_EQ(rows_seen_by_another_connection(dir_), 0);
    EXPECT_FALSE(open_sqlite(dir_)->poll_state("s").etag);
    // The next batch starts clean.
    ASSERT_TRUE(store->commit("s", "b", {"h", kT0}, kT0));
    EXPECT_TRUE(store->batch_intact());
    EXPECT_TRUE(store->flush());
    EXPECT_EQ(rows_seen_by_another_connection(dir_), 1);
  }
}

TEST_F(SqliteStoreTest, CommitsWhatIsPendingWhenClosed) {
  {
    auto store = open_sqlite(dir_);
    ASSERT_TRUE(store->commit("s", "a", {"h1", kT0}, kT0));
  }
  EXPECT_EQ(rows_seen_by_another_connection(dir_), 1);
}

TEST_F(SqliteStoreTest, RefusesACorruptDatabaseWithAClearError) {
  std::filesystem::create_directories(dir_);
  {
    std::ofstream f(dir_ / "newsd.sqlite3", std::ios::binary);
    f << "SQLite format 3" << std::string(1, '\0') << std::string(4000, 'x');
  }
  try {
    open_sqlite(dir_);
    FAIL() << "a corrupt database must not open";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find((dir_ / "newsd.sqlite3").string()), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace newsd::dedupe
