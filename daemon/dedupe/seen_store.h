// The dedupe stage's state: which posts have been acknowledged by Kafka, and each source's
// conditional-GET state. Behind an interface so a Kafka-backed store can replace SQLite
// when several instances share sources.
//
// Writes are grouped: commit() and save_poll_state() join one open transaction, which
// flush() commits. Reads see the grouped writes at once; a crash before flush() loses them
// together, so a poll state is never durable without the seen marks written before it while
// batch_intact() holds. The CommitBatch (commit_batch.h) is the one writer: it decides when
// to flush and which polls a lost batch fails.
//
// Thread-safety: not thread-safe; used from the event loop only.
// Error policy: opening failures throw StoreError naming the path (start-up); failures of
// single writes come back as false plus a logged error, so the post is simply retried.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/post.h"

namespace newsd::dedupe {

class StoreError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct SeenEntry {
  std::string content_sha256;
  std::optional<Timestamp> updated_at;  // the entry's own updated time when it had one
};

struct PollState {
  std::optional<std::string> etag;
  std::optional<std::string> last_modified;
  int consecutive_failures = 0;
  bool operator==(const PollState&) const = default;
};

class SeenStore {
 public:
  virtual ~SeenStore() = default;
  virtual std::optional<SeenEntry> find(const std::string& source, const std::string& id) = 0;
  // find() of each of `ids`, answers in the same order. A store may look them up together
  // (one query for a whole feed instead of one per entry); this default asks one by one.
  virtual std::vector<std::optional<SeenEntry>> find_many(const std::string& source,
                                                          const std::vector<std::string>& ids) {
    std::vector<std::optional<SeenEntry>> out;
    out.reserve(ids.size());
    for (const auto& id : ids) out.push_back(find(source, id));
    return out;
  }
  // Records an acknowledged post. Returns false when the write failed. Inside a batch the store
  // may hold the write back, to write several together, until the next read, poll-state write,
  // batch_intact() or flush(); if it fails then, the batch is lost (batch_intact() false, flush()
  // rolls it back and returns false), as if this call had failed.
  virtual bool commit(const std::string& source, const std::string& id, const SeenEntry& entry,
                      Timestamp acked_at) = 0;
  // Forgets at most `limit` of the entries acknowledged before `cutoff`, oldest first; returns
  // how many. Bounded so that a large backlog of old entries (the first prune of a big store,
  // a shortened retention) is forgotten a chunk at a time between the loop's other work.
  virtual std::size_t prune(Timestamp cutoff, std::size_t limit) = 0;
  virtual std::size_t size() = 0;
  // Whether the store holds any mark of `source`: it was polled before, so a first page of
  // nothing but new posts may hide more (catch-up paging). A store that cannot tell cheaply
  // says false: paging then starts after the run's first successful poll of the source.
  virtual bool has_marks(const std::string& /*source*/) { return false; }

  virtual PollState poll_state(const std::string& source) = 0;
  virtual bool save_poll_state(const std::string& source, const PollState& state) = 0;
  // Whether every write since the last flush() still waits in the open batch, to be committed
  // or lost together. False once an error rolled the batch back (later writes are then durable
  // one by one, before flush() reports the loss).
  virtual bool batch_intact() = 0;
  // Makes the writes so far durable. Returns false when they could not be committed and were
  // rolled back (the posts they marked seen will be published again).
  virtual bool flush() = 0;
};

// Opens (creating if needed) `state_dir`/newsd.sqlite3 in WAL mode. Throws StoreError.
std::unique_ptr<SeenStore> open_sqlite(const std::filesystem::path& state_dir);

namespace detail {
// The lookup of up to `ids` ids of one source (?1 the source, ?2… the ids; NULL matches
// nothing): id, content_sha256, updated_at of those seen. Exposed for a test of its plan.
std::string find_many_sql(int ids);
}  // namespace detail

}  // namespace newsd::dedupe
