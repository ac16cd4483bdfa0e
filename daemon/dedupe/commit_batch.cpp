#include "dedupe/commit_batch.h"

#include <prometheus/counter.h>

namespace newsd::dedupe {

CommitBatch::CommitBatch(SeenStore& store, Clock& clock, std::chrono::milliseconds delay,
                         prometheus::Counter& commit_errors, std::function<void()> rolled_back)
    : store_(store),
      clock_(clock),
      delay_(delay),
      commit_errors_(commit_errors),
      rolled_back_(std::move(rolled_back)),
      timer_(clock.make_timer()) {}

bool CommitBatch::mark_seen(const std::shared_ptr<BatchMember>& poll, const std::string& source,
                            const std::string& id, const SeenEntry& entry, Timestamp acked_at) {
  const bool ok = store_.commit(source, id, entry, acked_at);
  if (!ok) {
    commit_errors_.Increment();
  } else if (poll->batch_ != id_) {
    // If this batch fails to commit, the poll must not advance its validators.
    poll->batch_ = id_;
    writers_.push_back(poll);
  }
  wrote();
  return ok;
}

// Marks in an earlier batch are committed already (a batch that failed to commit failed the
// poll). Marks in the open batch are safe to join, unless the store lost the batch already
// (an error rolled it back and later writes would be durable on their own).
void CommitBatch::settle(BatchMember& poll) {
  if (poll.batch_ == id_ && !store_.batch_intact()) flush();
}

void CommitBatch::ended(const std::shared_ptr<BatchMember>& poll) {
  if (poll->batch_ == id_) ended_.push_back(poll);
}

bool CommitBatch::save_poll_state(const std::string& source, const PollState& state) {
  const bool ok = store_.save_poll_state(source, state);
  wrote();
  return ok;
}

void CommitBatch::wrote() {
  if (++unflushed_ >= 4096) {
    // Bounded transactions: a burst of acknowledgements does not grow one without end.
    flush();
    return;
  }
  if (armed_) return;
  armed_ = true;
  clock_.wait_for(*timer_, delay_, [this](bool cancelled) {
    if (cancelled) return;  // the batch is going away and flushes itself
    armed_ = false;
    flush();
  });
}

void CommitBatch::flush() {
  unflushed_ = 0;
  const bool ok = store_.flush();
  auto writers = std::move(writers_);
  auto ended = std::move(ended_);
  writers_.clear();
  ended_.clear();
  ++id_;
  if (ok) return;
  // The grouped writes were rolled back: the polls whose posts they marked seen fail (their
  // validators stay, so those posts are offered and published again: duplicates, not loss).
  commit_errors_.Increment();
  for (const auto& w : writers)
    if (auto poll = w.lock()) poll->batch_lost(false);
  if (rolled_back_) rolled_back_();
  // Polls that ended as successes with their validators in this batch failed after all.
  for (const auto& poll : ended) poll->batch_lost(true);
}

}  // namespace newsd::dedupe
