// Reads state partitions from their beginning to their end as of the start of the restore
// (the high watermark) into a StateIndex. Only committed records count
// (isolation.level=read_committed), so state written by an aborted transaction never marks a
// post seen; a transaction still open at the end is waited for until it commits or aborts,
// so the marks of a committed transaction are never missed. With exactly-once, initialise
// the instance's transactional producer first: that ends its predecessor's open transaction.
//
// Thread-safety: restore() runs on the caller's thread with its own consumer; the index is
// the caller's and must not be used elsewhere meanwhile.
// Error policy: a record that cannot be decoded (malformed, or a value version newer than
// this newsd) and a restore that makes no progress for options.timeout throw
// StateTopicError naming the topic, partition and offset. Transient broker errors are
// retried by librdkafka inside that bound.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include "state/index.h"
#include "state/kafka_options.h"

namespace newsd::state {

struct RestoreProgress {
  std::uint64_t records = 0;  // applied so far
  std::size_t partitions_done = 0;
  std::size_t partitions = 0;
};

struct RestoreStats {
  std::uint64_t records = 0;     // every record applied
  std::uint64_t marks = 0;       // seen marks set
  std::uint64_t tombstones = 0;  // marks and poll states forgotten
  std::uint64_t poll_states = 0;
  std::chrono::duration<double> duration{};
};

using ProgressFn = std::function<void(const RestoreProgress&)>;

// Restores `partitions` (each in [0, options.partitions)) into `index`. `progress` is called
// at most every `every` and once at the end.
RestoreStats restore(const KafkaStateOptions& options, std::span<const std::int32_t> partitions,
                     StateIndex& index, const ProgressFn& progress = {},
                     std::chrono::milliseconds every = std::chrono::seconds(1));

// Every partition of the topic: 0 .. options.partitions - 1.
std::vector<std::int32_t> all_partitions(const KafkaStateOptions& options);

enum class Applied { mark, poll_state, tombstone, malformed, unknown_version };
// Applies one record (value nullopt: a tombstone). Exposed for tests and the bench.
Applied apply(StateIndex& index, std::string_view key, std::optional<std::string_view> value);

}  // namespace newsd::state
