// Reads a stopped newsd's whole SQLite state (every seen mark and poll state), for
// `newsd state export` (docs/state-topic.md, "Migrating a SQLite state").
//
// A reader holds the database exclusively from construction to destruction: it is refused
// while any other process has the database open (a running newsd keeps its connection open
// between polls), and a newsd started meanwhile cannot open it. So what it reads is the whole
// state of a stopped daemon, and nothing is marked seen behind its back.
//
// Thread-safety: one thread. Error policy: every failure (no database, in use, corrupt, a
// failed read) throws StoreError naming the database file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "dedupe/seen_store.h"

namespace newsd::dedupe {

struct StoredMark {
  std::string source, id, content_sha256;
  std::optional<std::int64_t> updated_at;  // seconds since the epoch
  std::int64_t acked_at = 0;               // seconds since the epoch
};

class SqliteStateReader {
 public:
  // Opens `state_dir`/newsd.sqlite3, which must exist (it is never created), takes its
  // exclusive lock and checks its integrity.
  explicit SqliteStateReader(const std::filesystem::path& state_dir);
  ~SqliteStateReader();
  SqliteStateReader(const SqliteStateReader&) = delete;
  SqliteStateReader& operator=(const SqliteStateReader&) = delete;

  const std::string& path() const { return path_; }
  std::uint64_t marks();
  std::uint64_t poll_states();
  // Every seen mark, by source and id. Returns how many.
  std::uint64_t each_mark(const std::function<void(const StoredMark&)>& fn);
  // Every poll state, by source. Returns how many.
  std::uint64_t each_poll_state(
      const std::function<void(const std::string& source, const PollState&)>& fn);

 private:
  struct Db;
  std::string path_;
  std::unique_ptr<Db> db_;
};

}  // namespace newsd::dedupe
