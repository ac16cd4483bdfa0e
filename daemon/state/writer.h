// Where a Kafka store's records go. At-least-once: the store's own idempotent producer
// (acks=all), whose flush() waits for the broker's acknowledgement. Exactly-once: the
// publisher's transactional producer, so that posts and the marks that say they were
// published commit or abort together.
//
// Thread-safety: one thread (the store's). Delivery reports are served inside intact() and
// flush(), on that thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "state/kafka_options.h"

namespace newsd::state {

// KIP-447: binds a transaction to the consumer group generation that owns its partitions,
// so that an instance the group no longer counts as their owner cannot commit. Called on the
// writer's thread just before each commit.
class GroupFence {
 public:
  virtual ~GroupFence() = default;
  // Adds the group's metadata (and offsets of the partitions owned) to `producer`'s open
  // transaction; an error (the caller frees it) means the transaction must not commit.
  virtual rd_kafka_error_t* send_offsets(rd_kafka_t* producer, int timeout_ms) = 0;
};

class RecordWriter {
 public:
  virtual ~RecordWriter() = default;
  // Queues one record of the state topic (value nullopt: a tombstone). False when it could
  // not be queued (it will not be written).
  virtual bool write(std::int32_t partition, std::string_view key,
                     std::optional<std::string_view> value) = 0;
  // Whether every record queued since the last flush() is still on its way or written.
  virtual bool intact() = 0;
  // Waits until the records queued since the last flush() are written; false when any was
  // lost (or the wait timed out).
  virtual bool flush() = 0;
  // Non-empty once the producer failed for good; the process should stop.
  virtual std::string fatal_error() const = 0;

  struct Stats {
    std::uint64_t written = 0;    // records acknowledged by the brokers
    std::uint64_t failed = 0;     // records lost
    std::uint64_t committed = 0;  // transactions committed (transactional writer only)
    std::uint64_t aborted = 0;    // transactions aborted, or refused to commit
  };
  virtual Stats stats() const = 0;
  // Transactions commit only with `fence`'s word from now on (nullptr: without). Only the
  // transactional writer has transactions to fence; `fence` outlives its use here.
  virtual void fence(GroupFence* /*fence*/) {}
};

// An idempotent producer (acks=all) of its own. Throws StateTopicError.
std::unique_ptr<RecordWriter> make_idempotent_writer(const KafkaStateOptions& options);

// Exactly-once: the records join the open transaction of `producer` (the publisher's
// transactional producer, not owned, init_transactions() done), beside the posts produced
// meanwhile. The writer begins a transaction at once and after every flush(); flush() commits
// it, posts and state together, and returns false when it had to be aborted (the store then
// rolls its batch back and the posts are published again). A fenced producer (a newer
// instance with the same transactional.id) or any fatal error shows in fatal_error(): the
// instance must stop. Throws StateTopicError when the first transaction cannot begin.
std::unique_ptr<RecordWriter> make_transactional_writer(rd_kafka_t* producer,
                                                        const KafkaStateOptions& options);

}  // namespace newsd::state
