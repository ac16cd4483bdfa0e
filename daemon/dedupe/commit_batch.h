// The commit batch: when what Kafka acknowledged becomes durable, and when a poll's
// validators (ETag, Last-Modified) may be saved.
//
// Seen marks of acknowledged posts and poll states join the store's open transaction, which
// is committed `delay` after its first write (or at 4096 writes, or by flush()). A poll's new
// validators are committed with or after its seen marks, never before: they join the batch
// that holds the marks (or a later one); a batch that fails to commit fails the polls that
// wrote into it, and one an error already rolled back is flushed (failing its polls) before
// the validators are written. So a validator never moves past a post not recorded as seen,
// and polls cost no commit of their own. A crash loses at most one batch of marks: those
// posts are published again, never lost.
//
// This is the one place that decides the transaction boundary: an exactly-once store
// (posts and seen marks in one Kafka transaction) replaces the flush policy here.
//
// Thread-safety: the event loop's thread only. Owns the batch's bookkeeping (which polls
// wrote into it, which ended in it) and the flush timer; the store owns the transaction.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "dedupe/seen_store.h"

namespace prometheus {
class Counter;
}

namespace newsd::dedupe {

// A poll as the batch sees it.
class BatchMember {
 public:
  // The batch holding this poll's seen marks was rolled back: the poll fails. `ended`: it
  // had already ended as a success, with its validators in that batch.
  virtual void batch_lost(bool ended) = 0;

 protected:
  ~BatchMember() = default;

 private:
  friend class CommitBatch;
  std::uint64_t batch_ = 0;  // the batch its seen marks last went into
};

class CommitBatch {
 public:
  // `commit_errors` counts lost writes and failed commits; `rolled_back` runs when a batch
  // failed to commit (what callers cached of the store may be wrong now).
  CommitBatch(SeenStore& store, Clock& clock, std::chrono::milliseconds delay,
              prometheus::Counter& commit_errors, std::function<void()> rolled_back);
  // The owner flushes before it destroys the batch (while the polls can still be failed).

  // Kafka acknowledged post `id` of `poll`: marks it seen in the open batch. False when the
  // write failed (the post stays unseen and is offered again).
  bool mark_seen(const std::shared_ptr<BatchMember>& poll, const std::string& source,
                 const std::string& id, const SeenEntry& entry, Timestamp acked_at);
  // `poll` is ending: when its marks are in a batch the store lost already, commits now, so
  // that the failure reaches the poll before it decides what to save.
  void settle(BatchMember& poll);
  // `poll` ended as a success: its validators go into the batch of its last marks, so that
  // it fails after all if that batch does.
  void ended(const std::shared_ptr<BatchMember>& poll);
  // Writes a source's poll state into the open batch. False when the write failed.
  bool save_poll_state(const std::string& source, const PollState& state);
  // Commits the open batch now.
  void flush();
  void set_delay(std::chrono::milliseconds delay) { delay_ = delay; }

 private:
  void wrote();

  SeenStore& store_;
  Clock& clock_;
  std::chrono::milliseconds delay_;
  prometheus::Counter& commit_errors_;
  std::function<void()> rolled_back_;
  std::unique_ptr<Timer> timer_;
  bool armed_ = false;
  std::size_t unflushed_ = 0;
  std::uint64_t id_ = 1;                             // the open batch
  std::vector<std::weak_ptr<BatchMember>> writers_;  // polls with seen marks in it
  std::vector<std::shared_ptr<BatchMember>> ended_;  // polls that ended with their marks in it
};

}  // namespace newsd::dedupe
