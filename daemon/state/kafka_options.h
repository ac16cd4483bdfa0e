// How the state store reaches its topic, and the start-up error it reports when the topic
// or the brokers are unfit. Shared by the topic check, the restore and the writers.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dedupe/seen_store.h"

namespace newsd::state {

struct KafkaStateOptions {
  std::string brokers;
  std::string topic = "newsd.state";
  // Fixed for the topic's life: it decides the partition of every source.
  std::int32_t partitions = 12;
  std::optional<std::int32_t> replication_factor;  // nullopt: the broker's default
  // librdkafka properties for every client of the store (security, for example).
  std::vector<std::pair<std::string, std::string>> properties;
  // Bound on each admin request and on a restore that stops making progress.
  std::chrono::milliseconds timeout{30'000};
  // Bound on each commit or abort of an exactly-once transaction: the event loop waits for
  // it, so it is short; a commit that does not end within it is aborted (its posts are
  // published again, in a later transaction).
  std::chrono::milliseconds transaction_timeout{5'000};
};

// A state topic or broker that cannot serve (not compacted, other partition count, cannot
// be created, no transactions). Start-up only; the caller exits with 78 (EX_CONFIG). The
// message names the topic and what is wrong.
class StateTopicError : public dedupe::StoreError {
  using dedupe::StoreError::StoreError;
};

// A client configuration with bootstrap.servers, `client_id` and options.properties (later
// settings win). Throws StateTopicError naming a property librdkafka rejects.
rd_kafka_conf_t* make_conf(const KafkaStateOptions& options, const std::string& client_id,
                           const std::vector<std::pair<std::string, std::string>>& settings);

// Owns a client handle.
struct KafkaHandle {
  explicit KafkaHandle(rd_kafka_t* rk) : rk(rk) {}
  ~KafkaHandle() {
    if (rk) rd_kafka_destroy(rk);
  }
  KafkaHandle(const KafkaHandle&) = delete;
  KafkaHandle& operator=(const KafkaHandle&) = delete;
  rd_kafka_t* rk;
};

// Creates a client of `type` from `conf` (which it takes). Throws StateTopicError.
rd_kafka_t* make_client(rd_kafka_type_t type, rd_kafka_conf_t* conf, const std::string& what);

}  // namespace newsd::state
