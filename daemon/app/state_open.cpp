#include "app/state_open.h"

#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cstdint>
#include <cstdio>

#include "core/log.h"
#include "state/restore.h"
#include "state/topic_admin.h"

namespace newsd::app {

std::string default_transactional_id(std::string_view host, std::string_view state_dir) {
  std::uint32_t h = 2166136261u;  // FNV-1a: the same on every build and platform
  for (const unsigned char c : state_dir) {
    h ^= c;
    h *= 16777619u;
  }
  std::string name(host.empty() ? std::string_view("localhost") : host);
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') c = '_';
  std::array<char, 9> hex{};
  std::snprintf(hex.data(), hex.size(), "%08x", h);
  return "newsd-" + name + "-" + hex.data();
}

std::string transactional_id(const config::Config& cfg) {
  if (!cfg.kafka.transactional_id.empty()) return cfg.kafka.transactional_id;
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  return default_transactional_id(host.data(), cfg.state_dir);
}

std::optional<std::chrono::milliseconds> transaction_timeout(const config::Config& cfg) {
  const auto& props = cfg.kafka.properties;
  if (cfg.kafka.delivery != "exactly_once" || !cfg.cluster ||
      props.find("transaction.timeout.ms") != props.end())
    return std::nullopt;
  std::chrono::milliseconds t = cfg.cluster->session_timeout;
  if (const auto m = props.find("message.timeout.ms"); m != props.end()) {
    try {
      t = std::max(t, std::chrono::milliseconds(std::stoll(m->second)));
    } catch (const std::exception&) {  // librdkafka names the bad value when it reads it
    }
  }
  return t;
}

state::KafkaStateOptions state_options(const config::Config& cfg) {
  state::KafkaStateOptions o;
  o.brokers = cfg.kafka.brokers;
  o.topic = cfg.state.topic;
  o.partitions = static_cast<std::int32_t>(cfg.state.partitions);
  if (cfg.state.replication_factor > 0)
    o.replication_factor = static_cast<std::int32_t>(cfg.state.replication_factor);
  // Security settings (and the rest) apply to the store's clients too; the publisher's own
  // transactional.id is not theirs.
  for (const auto& [k, v] : cfg.kafka.properties)
    if (k != "transactional.id") o.properties.emplace_back(k, v);
  // A transaction waits for its messages at most a third of its timeout before it gives up
  // (and aborts), so that the coordinator never times out a live instance's transaction.
  if (const auto t = transaction_timeout(cfg))
    o.transaction_timeout = std::min(o.transaction_timeout, *t / 3);
  return o;
}

OpenedStore open_store(const config::Config& cfg, publish::Publisher& publisher,
                       metrics::Metrics& metrics, bool shared) {
  if (cfg.state.backend != "kafka") return {dedupe::open_sqlite(cfg.state_dir), nullptr};
  auto log = log::get("state");
  const state::KafkaStateOptions o = state_options(cfg);
  auto& records = metrics.state_restore_records.Add({});
  const state::ProgressFn progress = [&](const state::RestoreProgress& p) {
    records.Set(double(p.records));
    log->info("state topic {}: restoring: {} record(s) read, {} of {} partitions done", o.topic,
              p.records, p.partitions_done, p.partitions);
  };
  state::RestoreStats stats;
  std::unique_ptr<state::KafkaStore> store;
  rd_kafka_t* producer = publisher.kafka_handle();
  if (cfg.kafka.delivery == "exactly_once" && producer != nullptr) {
    const std::string id = transactional_id(cfg);
    log->info("exactly-once delivery: transactional id {}", id);
    state::ensure_topic(o);
    // Ends a predecessor's open transaction (fencing it) before the restore reads the topic.
    state::init_transactions(producer, o, id);
    state::StateIndex index;
    stats = state::restore(o, shared ? std::vector<std::int32_t>{} : state::all_partitions(o),
                           index, progress);
    log->info("state topic {}: restored {} record(s) ({} seen marks, {} poll states) in {:.2f} s",
              o.topic, stats.records, index.size(), index.poll_states(), stats.duration.count());
    store = std::make_unique<state::KafkaStore>(o, std::move(index),
                                                state::make_transactional_writer(producer, o));
  } else {
    store = state::open_kafka(o, progress, &stats, shared);
  }
  records.Set(double(stats.records));
  metrics.state_restore_seconds.Add({}).Set(stats.duration.count());
  state::KafkaStore* kafka = store.get();
  return {std::move(store), kafka};
}

StoreWatch::StoreWatch(boost::asio::io_context& io, state::KafkaStore& store,
                       metrics::Metrics& metrics, std::function<void(const std::string&)> fatal)
    : timer_(io), store_(store), metrics_(metrics), fatal_(std::move(fatal)) {
  // Series that dashboards and alerts read exist from the start, at zero.
  metrics_.kafka_transactions.Add({{"outcome", "committed"}});
  metrics_.kafka_transactions.Add({{"outcome", "aborted"}});
  metrics_.state_records_written.Add({});
  metrics_.state_records_failed.Add({});
  arm();
}

void StoreWatch::update() {
  const state::RecordWriter::Stats now = store_.written();
  metrics_.state_records_written.Add({}).Increment(double(now.written - seen_.written));
  metrics_.state_records_failed.Add({}).Increment(double(now.failed - seen_.failed));
  metrics_.kafka_transactions.Add({{"outcome", "committed"}})
      .Increment(double(now.committed - seen_.committed));
  metrics_.kafka_transactions.Add({{"outcome", "aborted"}})
      .Increment(double(now.aborted - seen_.aborted));
  seen_ = now;
  const std::string fatal = store_.fatal_error();
  if (!fatal.empty() && !reported_) {
    reported_ = true;
    fatal_(fatal);
  }
}

void StoreWatch::arm() {
  timer_.expires_after(std::chrono::seconds(1));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    update();
    arm();
  });
}

}  // namespace newsd::app
