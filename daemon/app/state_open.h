// Opening the configured seen store at start-up (SQLite, or the Kafka state topic with
// at-least-once or exactly-once delivery), and watching a Kafka store while the daemon runs.
//
// Exactly-once: the publisher's producer is transactional (publish::KafkaOptions::
// transactional_id); init_transactions() runs before the restore, so that a predecessor's
// open transaction is ended (fenced) before its marks are read, and the store writes into
// that producer's transactions (state::make_transactional_writer). Produce calls and the
// transaction calls both run on the event loop's thread, which serializes them.
//
// Error policy: an unfit setup (topic not compacted, other partition count, cannot be
// created, brokers without transactions) throws state::StateTopicError, which the caller
// turns into exit 78; a SQLite store that cannot be opened throws dedupe::StoreError.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "dedupe/seen_store.h"
#include "metrics/metrics.h"
#include "publish/publisher.h"
#include "state/kafka_store.h"

namespace newsd::app {

// "newsd-" + host + "-" + 8 hex digits of FNV-1a of `state_dir`: stable across restarts of
// one instance (so a restart fences its predecessor), distinct for two instances on one
// host (each has its own state_dir). Characters Kafka would not show plainly become '_'.
std::string default_transactional_id(std::string_view host, std::string_view state_dir);
// kafka.transactional_id, or the default for this host and cfg.state_dir.
std::string transactional_id(const config::Config& cfg);

// Exactly-once with several instances (`cluster:`): the producer's transaction.timeout.ms.
// A SIGKILLed instance's open transaction holds back the restore of its partitions (read with
// read_committed) until the coordinator aborts it after that timeout (librdkafka's default:
// 60 s), so it follows cluster.session_timeout and a dead instance's sources move after about
// the session timeout either way. An explicit kafka.properties.transaction.timeout.ms wins; an
// explicit message.timeout.ms above it raises it (librdkafka refuses a message timeout beyond
// the transaction's). nullopt: newsd leaves it to librdkafka.
std::optional<std::chrono::milliseconds> transaction_timeout(const config::Config& cfg);

// What the daemon reads the state topic with.
state::KafkaStateOptions state_options(const config::Config& cfg);

struct OpenedStore {
  std::unique_ptr<dedupe::SeenStore> store;
  state::KafkaStore* kafka = nullptr;  // the same store when it is the Kafka one
};

// Opens the store `cfg` asks for. `publisher` is the one records go to: with exactly-once
// (and a Kafka publisher) its producer carries the store's writes. Restore progress goes to
// the log and the newsd_state_restore_* gauges. `shared` (several instances, app::ClusterRun):
// a Kafka store restores no partition here, each is restored when the group assigns it.
OpenedStore open_store(const config::Config& cfg, publish::Publisher& publisher,
                       metrics::Metrics& metrics, bool shared = false);

// Every second: exports the Kafka store's written/failed records and transactions, and
// calls `fatal` with the reason once the store's producer failed for good (a fenced
// exactly-once instance: another one with its transactional id started). Loop thread.
class StoreWatch {
 public:
  StoreWatch(boost::asio::io_context& io, state::KafkaStore& store, metrics::Metrics& metrics,
             std::function<void(const std::string&)> fatal);
  void stop() { timer_.cancel(); }
  // Exports what changed since the last call.
  void update();

 private:
  void arm();

  boost::asio::steady_timer timer_;
  state::KafkaStore& store_;
  metrics::Metrics& metrics_;
  std::function<void(const std::string&)> fatal_;
  state::RecordWriter::Stats seen_;
  bool reported_ = false;
};

}  // namespace newsd::app
