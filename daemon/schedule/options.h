// The scheduler's settings. Defaults that the configuration also has are taken from its
// structs (config/config.h is their one home).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "config/config.h"

namespace newsd::schedule {

struct Options {
  std::string topic_template = config::Kafka{}.topic;
  config::Http http;
  std::size_t max_in_flight = config::Kafka{}.max_in_flight;  // unacknowledged: polls pause
  // Requests handed to the HTTP client per host at once (match the client's per-host
  // connection cap): the rest wait in the HostQueue, so their timeout does not run.
  std::size_t max_per_host = 4;
  bool once = false;   // poll every source one time, then report idle
  bool commit = true;  // false for dry runs (--sink stdout): the seen-store is only read
  bool per_source_labels = config::Metrics{}.per_source_labels;  // false: source="_all"
  std::chrono::milliseconds backpressure_retry{100};
  // How long store writes may wait to be committed together (0: after each loop turn).
  std::chrono::milliseconds state_flush_delay{20};
  std::size_t parse_threads = 0;  // 0: documents are parsed on the loop
  std::size_t max_parsing = 16;   // documents queued for or in the parse pool
  // Documents that cannot be parsed go here raw; empty: nowhere.
  std::string dead_letter_topic = config::Kafka{}.dead_letter_topic;
  // Posts and their seen marks in one Kafka transaction: a post is marked seen when it is
  // handed to the (transactional) producer, in the transaction that carries it, instead of
  // when Kafka acknowledges it. The transaction is committed state_flush_delay later.
  bool exactly_once = false;
};

}  // namespace newsd::schedule
