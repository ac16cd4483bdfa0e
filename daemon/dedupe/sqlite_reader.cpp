#include "dedupe/sqlite_reader.h"

#include <sqlite3.h>

#include <memory>

namespace newsd::dedupe {

struct SqliteStateReader::Db {
  sqlite3* handle = nullptr;
  ~Db() { sqlite3_close(handle); }
};

namespace {

using Statement = std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)>;

std::string text_at(sqlite3_stmt* s, int column) {
  return {reinterpret_cast<const char*>(sqlite3_column_text(s, column)),
          static_cast<std::size_t>(sqlite3_column_bytes(s, column))};
}

std::optional<std::string> text_or_null(sqlite3_stmt* s, int column) {
  if (sqlite3_column_type(s, column) == SQLITE_NULL) return std::nullopt;
  return text_at(s, column);
}

}  // namespace

SqliteStateReader::SqliteStateReader(const std::filesystem::path& state_dir)
    : path_((state_dir / "newsd.sqlite3").string()), db_(std::make_unique<Db>()) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path_, ec))
    throw StoreError("no state database at " + path_ + " (state_dir " + state_dir.string() + ")");
  // Read-write although nothing is written: an exclusive lock needs it.
  if (sqlite3_open_v2(path_.c_str(), &db_->handle, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
    throw StoreError("cannot open state database " + path_ + ": " +
                     (db_->handle ? sqlite3_errmsg(db_->handle) : "out of memory"));
  auto exec = [&](const char* sql) {
    return sqlite3_exec(db_->handle, sql, nullptr, nullptr, nullptr);
  };
  // In WAL mode every open connection holds a shared lock for its whole life, so the
  // exclusive lock (kept until close by this locking mode) is refused while newsd runs.
  exec("PRAGMA locking_mode=EXCLUSIVE");
  const int rc = exec("BEGIN EXCLUSIVE");
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
    throw StoreError("state database " + path_ +
                     " is in use by another process: stop newsd (every process using this "
                     "state_dir) first");
  if (rc != SQLITE_OK)
    throw StoreError("cannot lock state database " + path_ + ": " + sqlite3_errmsg(db_->handle));
  std::string problems;
  const int checked = sqlite3_exec(
      db_->handle, "PRAGMA quick_check",
      [](void* out, int, char** values, char**) {
        auto& text = *static_cast<std::string*>(out);
        if (values[0] != nullptr && std::string_view(values[0]) != "ok")
          text += (text.empty() ? "" : "; ") + std::string(values[0]);
        return 0;
      },
      &problems, nullptr);
  if (checked != SQLITE_OK || !problems.empty())
    throw StoreError("state database " + path_ + " is corrupt (" +
                     (problems.empty() ? sqlite3_errmsg(db_->handle) : problems) + ")");
}

SqliteStateReader::~SqliteStateReader() {
  sqlite3_exec(db_->handle, "ROLLBACK", nullptr, nullptr, nullptr);
}

namespace {

// Runs `sql`, calling `row` for each result row; returns how many. Throws StoreError.
std::uint64_t each_row(sqlite3* db, const std::string& path, const char* sql,
                       const std::function<void(sqlite3_stmt*)>& row) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK)
    throw StoreError("state database " + path + ": " + sqlite3_errmsg(db));
  const Statement s(raw, &sqlite3_finalize);
  std::uint64_t n = 0;
  int rc;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    row(raw);
    ++n;
  }
  if (rc != SQLITE_DONE)
    throw StoreError("cannot read state database " + path + ": " + sqlite3_errmsg(db));
  return n;
}

}  // namespace

std::uint64_t SqliteStateReader::marks() {
  std::uint64_t n = 0;
  each_row(db_->handle, path_, "SELECT count(*) FROM seen",
           [&](sqlite3_stmt* s) { n = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0)); });
  return n;
}

std::uint64_t SqliteStateReader::poll_states() {
  std::uint64_t n = 0;
  each_row(db_->handle, path_, "SELECT count(*) FROM poll_state",
           [&](sqlite3_stmt* s) { n = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0)); });
  return n;
}

std::uint64_t SqliteStateReader::each_mark(const std::function<void(const StoredMark&)>& fn) {
  StoredMark m;
  return each_row(db_->handle, path_,
                  "SELECT source, id, content_sha256, updated_at, acked_at FROM seen "
                  "ORDER BY source, id",
                  [&](sqlite3_stmt* s) {
                    m.source = text_at(s, 0);
                    m.id = text_at(s, 1);
                    m.content_sha256 = text_at(s, 2);
                    m.updated_at.reset();
                    if (sqlite3_column_type(s, 3) != SQLITE_NULL)
                      m.updated_at = sqlite3_column_int64(s, 3);
                    m.acked_at = sqlite3_column_int64(s, 4);
                    fn(m);
                  });
}

std::uint64_t SqliteStateReader::each_poll_state(
    const std::function<void(const std::string& source, const PollState&)>& fn) {
  return each_row(db_->handle, path_,
                  "SELECT source, etag, last_modified, consecutive_failures FROM poll_state "
                  "ORDER BY source",
                  [&](sqlite3_stmt* s) {
                    PollState st;
                    st.etag = text_or_null(s, 1);
                    st.last_modified = text_or_null(s, 2);
                    st.consecutive_failures = sqlite3_column_int(s, 3);
                    fn(text_at(s, 0), st);
                  });
}

}  // namespace newsd::dedupe
