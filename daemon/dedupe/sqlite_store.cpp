#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/log.h"
#include "dedupe/seen_store.h"

namespace newsd::dedupe {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS seen (
  source         TEXT NOT NULL,
  id             TEXT NOT NULL,
  content_sha256 TEXT NOT NULL,
  updated_at     INTEGER,
  acked_at       INTEGER NOT NULL,
  PRIMARY KEY (source, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_acked_at ON seen(acked_at);
CREATE TABLE IF NOT EXISTS poll_state (
  source               TEXT PRIMARY KEY,
  etag                 TEXT,
  last_modified        TEXT,
  consecutive_failures INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
)sql";

// Owns one prepared statement; reset after each use so it can be reused.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK)
      throw StoreError(std::string("cannot prepare statement: ") + sqlite3_errmsg(db));
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  sqlite3_stmt* get() { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

// Resets and clears bindings when a use of a statement ends, however it ends.
struct Use {
  explicit Use(Stmt& s) : s(s.get()) {}
  ~Use() {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
  sqlite3_stmt* s;
};

// SQLITE_STATIC: every use of a statement ends (Use) before the bound strings go away, so
// SQLite need not copy them.
void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
void bind_opt(sqlite3_stmt* s, int i, const std::optional<std::string>& v) {
  if (v)
    bind_text(s, i, *v);
  else
    sqlite3_bind_null(s, i);
}
std::optional<std::string> column_opt(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, i)),
                     sqlite3_column_bytes(s, i));
}

// Ids looked up by one statement of find_many().
constexpr int kFindChunk = 32;

// At most this many seen marks per INSERT. With a statement per mark, starting and halting
// the statement was a third of a mark's cost; publishing 20,000 posts (marks written about
// ten to a statement, as reads come between) took 31 % fewer instructions per mark.
constexpr std::size_t kMarkChunk = 16;
constexpr int kMarkColumns = 5;

class SqliteStore final : public SeenStore {
 public:
  explicit SqliteStore(const std::filesystem::path& dir) : log_(log::get("dedupe")) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw StoreError("cannot create state directory " + dir.string() + ": " + ec.message());
    path_ = (dir / "newsd.sqlite3").string();
    if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw StoreError("cannot open state database " + path_ + ": " + msg);
    }
    sqlite3_busy_timeout(db_, 5000);
    try {
      // quick_check catches a corrupt file at start instead of on the first write.
      exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
      check_integrity();
      exec(kSchema);
      find_ = std::make_unique<Stmt>(
          db_, "SELECT content_sha256, updated_at FROM seen WHERE source=?1 AND id=?2");
      find_many_ = std::make_unique<Stmt>(db_, detail::find_many_sql(kFindChunk).c_str());
      // The inner query walks seen_acked_at from its oldest end, so a chunk costs its own
      // size, not a scan of the table.
      prune_ = std::make_unique<Stmt>(
          db_,
          "DELETE FROM seen WHERE (source, id) IN (SELECT source, id FROM seen "
          "WHERE acked_at < ?1 ORDER BY acked_at LIMIT ?2)");
      count_ = std::make_unique<Stmt>(db_, "SELECT count(*) FROM seen");
      get_poll_ = std::make_unique<Stmt>(
          db_, "SELECT etag, last_modified, consecutive_failures FROM poll_state WHERE source=?1");
      begin_ = std::make_unique<Stmt>(db_, "BEGIN");
      commit_txn_ = std::make_unique<Stmt>(db_, "COMMIT");
      put_poll_ = std::make_unique<Stmt>(
          db_,
          "INSERT INTO poll_state(source,etag,last_modified,consecutive_failures) "
          "VALUES(?1,?2,?3,?4) ON CONFLICT(source) DO UPDATE SET etag=excluded.etag, "
          "last_modified=excluded.last_modified, "
          "consecutive_failures=excluded.consecutive_failures");
    } catch (...) {
      release();
      throw;
    }
  }

  ~SqliteStore() override {
    if (db_ != nullptr) flush();
    release();
  }

  std::optional<SeenEntry> find(const std::string& source, const std::string& id) override {
    write_pending();
    Use u(*find_);
    bind_text(u.s, 1, source);
    bind_text(u.s, 2, id);
    const int rc = sqlite3_step(u.s);
    if (rc == SQLITE_ROW) {
      SeenEntry e;
      e.content_sha256 = *column_opt(u.s, 0);
      if (sqlite3_column_type(u.s, 1) != SQLITE_NULL)
        e.updated_at = Timestamp(std::chrono::seconds(sqlite3_column_int64(u.s, 1)));
      return e;
    }
    if (rc != SQLITE_DONE) log_->error("state lookup failed in {}: {}", path_, sqlite3_errmsg(db_));
    return std::nullopt;
  }

  std::vector<std::optional<SeenEntry>> find_many(const std::string& source,
                                                  const std::vector<std::string>& ids) override {
    std::vector<std::optional<SeenEntry>> out(ids.size());
    if (!ids.empty()) write_pending();
    for (std::size_t first = 0; first < ids.size(); first += kFindChunk) {
      const std::size_t n = std::min<std::size_t>(kFindChunk, ids.size() - first);
      Use u(*find_many_);
      bind_text(u.s, 1, source);
      // Unbound parameters are NULL, which matches no id.
      for (std::size_t i = 0; i < n; ++i) bind_text(u.s, static_cast<int>(i) + 2, ids[first + i]);
      int rc;
      while ((rc = sqlite3_step(u.s)) == SQLITE_ROW) {
        const std::string_view id(reinterpret_cast<const char*>(sqlite3_column_text(u.s, 0)),
                                  static_cast<std::size_t>(sqlite3_column_bytes(u.s, 0)));
        SeenEntry e;
        e.content_sha256 = *column_opt(u.s, 1);
        if (sqlite3_column_type(u.s, 2) != SQLITE_NULL)
          e.updated_at = Timestamp(std::chrono::seconds(sqlite3_column_int64(u.s, 2)));
        // A feed may list an id twice: every occurrence gets the answer.
        for (std::size_t i = 0; i < n; ++i)
          if (ids[first + i] == id) out[first + i] = e;
      }
      if (rc != SQLITE_DONE)
        log_->error("state lookup failed in {}: {}", path_, sqlite3_errmsg(db_));
    }
    return out;
  }

  bool commit(const std::string& source, const std::string& id, const SeenEntry& entry,
              Timestamp acked_at) override {
    begin();
    Mark m{source, id, entry.content_sha256, std::nullopt, acked_at.time_since_epoch().count()};
    if (entry.updated_at) m.updated_at = entry.updated_at->time_since_epoch().count();
    if (!in_txn_) return write_marks({&m, 1});  // durable on its own: no batch to wait in
    // Inside the transaction the mark waits for a chunk, the next read or flush(); a write
    // that fails then marks the batch lost (batch_intact(), flush()).
    marks_.push_back(std::move(m));
    if (marks_.size() < kMarkChunk) return true;
    return write_pending();
  }
  std::size_t prune(Timestamp cutoff, std::size_t limit) override {
    write_pending();
    Use u(*prune_);
    sqlite3_bind_int64(u.s, 1, cutoff.time_since_epoch().count());
    sqlite3_bind_int64(u.s, 2, static_cast<sqlite3_int64>(std::min<std::size_t>(limit, INT64_MAX)));
    if (!done(sqlite3_step(u.s), "prune")) return 0;
    return static_cast<std::size_t>(sqlite3_changes(db_));
  }

  std::size_t size() override {
    write_pending();
    Use u(*count_);
    if (sqlite3_step(u.s) != SQLITE_ROW) return 0;
    return static_cast<std::size_t>(sqlite3_column_int64(u.s, 0));
  }

  // Asked rarely (a first page of only new posts): prepared at each use.
  bool has_marks(const std::string& source) override {
    write_pending();
    Stmt st(db_, "SELECT 1 FROM seen WHERE source=?1 LIMIT 1");
    Use u(st);
    bind_text(u.s, 1, source);
    return sqlite3_step(u.s) == SQLITE_ROW;
  }

  PollState poll_state(const std::string& source) override {
    Use u(*get_poll_);
    bind_text(u.s, 1, source);
    PollState st;
    if (sqlite3_step(u.s) == SQLITE_ROW) {
      st.etag = column_opt(u.s, 0);
      st.last_modified = column_opt(u.s, 1);
      st.consecutive_failures = sqlite3_column_int(u.s, 2);
    }
    return st;
  }

  bool save_poll_state(const std::string& source, const PollState& st) override {
    begin();
    write_pending();
    Use u(*put_poll_);
    bind_text(u.s, 1, source);
    bind_opt(u.s, 2, st.etag);
    bind_opt(u.s, 3, st.last_modified);
    sqlite3_bind_int(u.s, 4, st.consecutive_failures);
    return done(sqlite3_step(u.s), "poll state write");
  }

  bool batch_intact() override {
    // Without a transaction (begin() failed) every write was durable or failed on its own.
    if (!in_txn_) return true;
    write_pending();
    return !batch_lost_ && sqlite3_get_autocommit(db_) == 0;
  }

  bool flush() override {
    if (!in_txn_) return true;
    write_pending();
    in_txn_ = false;
    // An error inside the transaction (e.g. SQLITE_FULL) may have rolled it back already, or
    // only the failed statement, whose marks are then missing from the batch: it must not be
    // committed without them.
    if (sqlite3_get_autocommit(db_) != 0 || batch_lost_) {
      batch_lost_ = false;
      log_->error("state writes in {} were rolled back after an error", path_);
      if (sqlite3_get_autocommit(db_) == 0) rollback();
      return false;
    }
    bool ok = false;
    {
      Use u(*commit_txn_);
      ok = done(sqlite3_step(u.s), "transaction commit");
    }
    if (!ok && sqlite3_get_autocommit(db_) == 0) rollback();
    return ok;
  }

 private:
  // A seen mark waiting in the open transaction to be written with others.
  struct Mark {
    std::string source, id, content_sha256;
    std::optional<std::int64_t> updated_at;
    std::int64_t acked_at;
  };

  static std::string mark_sql(int rows) {
    std::string sql = "INSERT INTO seen(source,id,content_sha256,updated_at,acked_at) VALUES";
    for (int r = 0; r < rows; ++r) {
      sql += r ? ",(" : "(";
      for (int c = 1; c <= kMarkColumns; ++c)
        sql += (c > 1 ? ",?" : "?") + std::to_string(r * kMarkColumns + c);
      sql += ")";
    }
    // A mark listed twice in one statement is upserted in order, as by two statements.
    return sql +
           " ON CONFLICT(source,id) DO UPDATE SET content_sha256=excluded.content_sha256, "
           "updated_at=excluded.updated_at, acked_at=excluded.acked_at";
  }

  // Writes `marks` with as few statements as possible. Stops at the first that fails (its
  // batch is lost then: the rest need not be written).
  bool write_marks(std::span<const Mark> marks) {
    while (!marks.empty()) {
      const std::size_t n = std::min(marks.size(), kMarkChunk);
      // One statement per number of rows, prepared when first needed: reads between
      // acknowledgements write the marks waiting so far, seldom a whole chunk.
      auto& stmt = mark_stmts_[n - 1];
      if (!stmt) {
        try {
          stmt = std::make_unique<Stmt>(db_, mark_sql(static_cast<int>(n)).c_str());
        } catch (const StoreError& e) {
          log_->error("state commit failed in {}: {}", path_, e.what());
          return false;
        }
      }
      Use u(*stmt);
      for (std::size_t r = 0; r < n; ++r) {
        const Mark& m = marks[r];
        const int at = static_cast<int>(r) * kMarkColumns;
        bind_text(u.s, at + 1, m.source);
        bind_text(u.s, at + 2, m.id);
        bind_text(u.s, at + 3, m.content_sha256);
        if (m.updated_at)
          sqlite3_bind_int64(u.s, at + 4, *m.updated_at);
        else
          sqlite3_bind_null(u.s, at + 4);
        sqlite3_bind_int64(u.s, at + 5, m.acked_at);
      }
      if (!done(sqlite3_step(u.s), "commit")) return false;
      marks = marks.subspan(n);
    }
    return true;
  }

  // Writes the marks waiting in the transaction, so that what follows (a read, the poll
  // state, the commit) sees them. A failure loses the batch: flush() rolls it back.
  bool write_pending() {
    if (marks_.empty()) return true;
    const bool ok = write_marks(marks_);
    marks_.clear();
    if (!ok) batch_lost_ = true;
    return ok;
  }

  void rollback() {
    char* err = nullptr;
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, &err);
    sqlite3_free(err);
  }

  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      throw StoreError("state database " + path_ + ": " + msg);
    }
  }

  // Opens the transaction that groups writes until flush(). When it cannot be opened, the
  // writes run in autocommit mode (each durable on its own), which is slower but still correct.
  void begin() {
    if (in_txn_) return;
    Use u(*begin_);
    in_txn_ = done(sqlite3_step(u.s), "transaction begin");
  }

  void check_integrity() {
    Stmt s(db_, "PRAGMA quick_check");
    Use u(s);
    std::string result;
    while (sqlite3_step(u.s) == SQLITE_ROW) {
      if (!result.empty()) result += "; ";
      result += reinterpret_cast<const char*>(sqlite3_column_text(u.s, 0));
    }
    if (result != "ok")
      throw StoreError("state database " + path_ + " is corrupt (" + result +
                       "); move it aside to start afresh, which re-publishes retained posts");
  }

  bool done(int rc, const char* what) {
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) return true;
    log_->error("state {} failed in {}: {}", what, path_, sqlite3_errmsg(db_));
    return false;
  }

  void release() {
    find_.reset();
    find_many_.reset();
    for (auto& m : mark_stmts_) m.reset();
    prune_.reset();
    count_.reset();
    get_poll_.reset();
    put_poll_.reset();
    begin_.reset();
    commit_txn_.reset();
    if (db_) sqlite3_close(db_);
    db_ = nullptr;
  }

  std::shared_ptr<spdlog::logger> log_;
  std::string path_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<Stmt> find_, find_many_, prune_, count_, get_poll_, put_poll_, begin_,
      commit_txn_;
  std::array<std::unique_ptr<Stmt>, kMarkChunk> mark_stmts_;  // [n - 1] writes n marks
  bool in_txn_ = false;      // a transaction opened by begin() awaits flush()
  bool batch_lost_ = false;  // a write in the open transaction failed: it must not commit
  std::vector<Mark> marks_;  // written into the open transaction when kMarkChunk wait, or sooner
};

}  // namespace

namespace detail {

// The ids are a VALUES list joined to the primary key: one index search per id. Written as
// `id IN (...)`, the list became an ephemeral B-tree on every run, with a pager of its own
// (an 87 KB page-cache block and a 2 KB header allocated and freed per feed): 36 us per
// lookup of 20 ids against 27 this way (python's sqlite3, 200,000 entries). CROSS JOIN
// keeps the list the outer loop, so SQLite runs it as a co-routine instead of materializing
// it in yet another ephemeral table.
std::string find_many_sql(int ids) {
  std::string sql = "SELECT s.id, s.content_sha256, s.updated_at FROM (VALUES ";
  for (int i = 0; i < ids; ++i) sql += (i ? ",(?" : "(?") + std::to_string(i + 2) + ")";
  return sql + ") AS v CROSS JOIN seen AS s ON s.source=?1 AND s.id=v.column1";
}

}  // namespace detail

std::unique_ptr<SeenStore> open_sqlite(const std::filesystem::path& state_dir) {
  return std::make_unique<SqliteStore>(state_dir);
}

}  // namespace newsd::dedupe
