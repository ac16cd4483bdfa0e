// The seen store kept in a compacted Kafka topic (docs/state-topic.md): the topic is the
// truth, a StateIndex in memory answers reads. Writes update the index at once (reads see
// them) and queue a state record; flush() waits until the brokers acknowledged every record
// of the batch, or else rolls the batch back in memory and reports the loss, as the
// SeenStore contract asks. prune() writes tombstones.
//
// Thread-safety: not thread-safe; the event loop's, like every SeenStore.
// Error policy: start-up failures (topic unfit, restore) throw StateTopicError, which the
// caller turns into exit 78; a record that cannot be queued makes its write return false;
// a producer that failed for good shows in fatal_error(), and the owner should stop.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dedupe/seen_store.h"
#include "state/index.h"
#include "state/kafka_options.h"
#include "state/restore.h"
#include "state/writer.h"

namespace newsd::state {

class KafkaStore final : public dedupe::SeenStore {
 public:
  // `restored` holds the state of the partitions this store serves; `writer` receives its
  // records (make_idempotent_writer, or make_transactional_writer for exactly-once).
  KafkaStore(KafkaStateOptions options, StateIndex restored, std::unique_ptr<RecordWriter> writer);
  // Flushes: writes the open batch (with a transactional writer, commits the transaction).
  ~KafkaStore() override;

  std::optional<dedupe::SeenEntry> find(const std::string& source, const std::string& id) override;
  bool commit(const std::string& source, const std::string& id, const dedupe::SeenEntry& entry,
              Timestamp acked_at) override;
  std::size_t prune(Timestamp cutoff, std::size_t limit) override;
  std::size_t size() override { return index_.size(); }
  bool has_marks(const std::string& source) override { return index_.knows(source); }
  dedupe::PollState poll_state(const std::string& source) override;
  bool save_poll_state(const std::string& source, const dedupe::PollState& state) override;
  bool batch_intact() override { return writer_->intact(); }
  bool flush() override;

  // The partition of `source` in this store's topic.
  std::int32_t partition_of(const std::string& source) const;
  // Serving a share of the sources (several instances, one consumer group): takes partitions
  // restored elsewhere (state::restore into `restored`, on another thread) into this store
  // (assignment), or forgets every mark and poll state of their sources (revocation; flush()
  // first; returns the marks forgotten).
  void adopt(StateIndex&& restored) { index_.absorb(std::move(restored)); }
  std::size_t revoke(std::span<const std::int32_t> partitions);
  const KafkaStateOptions& options() const { return options_; }
  // Exactly-once with several instances: transactions commit only while `fence` (the
  // consumer group member) says this instance is in the group's current generation.
  void fence(GroupFence& fence) { writer_->fence(&fence); }
  void fence_off() { writer_->fence(nullptr); }
  std::string fatal_error() const { return writer_->fatal_error(); }
  RecordWriter::Stats written() const { return writer_->stats(); }
  const StateIndex& index() const { return index_; }

 private:
  // What a write of the open batch replaced, to put back if the batch is lost.
  struct Undo {
    std::string source;
    std::optional<IdHash> id;  // a mark; else the poll state
    std::optional<MarkValue> mark;
    std::optional<dedupe::PollState> poll;
  };
  void roll_back();

  KafkaStateOptions options_;
  StateIndex index_;
  std::unique_ptr<RecordWriter> writer_;
  std::vector<Undo> undo_;
};

// Start-up of the at-least-once store: ensure_topic(), restore() of every partition (none
// when `shared`: several instances, each partition restored when assigned), an idempotent
// writer. `stats` (optional) receives the restore's figures. Throws StateTopicError.
std::unique_ptr<KafkaStore> open_kafka(const KafkaStateOptions& options,
                                       const ProgressFn& progress = {},
                                       RestoreStats* stats = nullptr, bool shared = false);

}  // namespace newsd::state
