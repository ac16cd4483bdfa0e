// The state topic's start-up checks: it exists (created if missing), is compacted, and has
// the configured number of partitions; and the brokers support transactions (needed by
// exactly-once delivery). Each failure is a StateTopicError naming the topic or brokers and
// what is wrong; the caller exits 78.
//
// Thread-safety: free functions with their own short-lived clients.
#pragma once

#include <string>

#include "state/kafka_options.h"

namespace newsd::state {

struct TopicCheck {
  bool created = false;  // the topic was missing and was created
};

// Creates the topic when missing (cleanup.policy=compact, options.partitions, the
// replication factor or the broker's), then checks it. Throws StateTopicError.
TopicCheck ensure_topic(const KafkaStateOptions& options);

// Checks that the brokers run transactions: initialises a transactional producer with
// `transactional_id` (fencing any earlier producer of that id, as the instance's own
// producer will anyway) within options.timeout. Throws StateTopicError.
void check_transactions(const KafkaStateOptions& options, const std::string& transactional_id);

// The same check on the instance's own transactional producer (`transactional.id` set):
// initialises its transactions, which ends (fences) a predecessor's open transaction.
void init_transactions(rd_kafka_t* producer, const KafkaStateOptions& options,
                       const std::string& transactional_id);

}  // namespace newsd::state
