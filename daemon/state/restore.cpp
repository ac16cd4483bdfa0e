#include "state/restore.h"

#include <malloc.h>

#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "core/log.h"

namespace newsd::state {

Applied apply(StateIndex& index, std::string_view key, std::optional<std::string_view> value) {
  const auto k = decode_key(key);
  if (!k) return Applied::malformed;
  if (!value) {
    if (k->kind == Key::Kind::mark)
      index.erase(k->source, k->id_hash);
    else
      index.erase_poll_state(k->source);
    return Applied::tombstone;
  }
  if (value->empty()) return Applied::malformed;
  if (static_cast<unsigned char>(value->front()) != 1) return Applied::unknown_version;
  if (k->kind == Key::Kind::mark) {
    const auto mark = decode_mark(*value, false);
    if (!mark) return Applied::malformed;
    index.put(k->source, k->id_hash, *mark);
    return Applied::mark;
  }
  const auto poll = decode_poll(*value);
  if (!poll) return Applied::malformed;
  index.put_poll_state(k->source, *poll);
  return Applied::poll_state;
}

std::vector<std::int32_t> all_partitions(const KafkaStateOptions& options) {
  std::vector<std::int32_t> all(static_cast<std::size_t>(options.partitions));
  for (std::int32_t p = 0; p < options.partitions; ++p) all[static_cast<std::size_t>(p)] = p;
  return all;
}

namespace {

struct ListFree {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};

// The offsets of the first and next record of partition `p` (`rk` reads uncommitted: the
// high watermark). A partition just created may have no leader for a moment.
rd_kafka_resp_err_t watermarks(rd_kafka_t* rk, const KafkaStateOptions& o, std::int32_t p,
                               std::int64_t& low, std::int64_t& high) {
  const auto deadline = std::chrono::steady_clock::now() + o.timeout;
  for (;;) {
    const rd_kafka_resp_err_t rc = rd_kafka_query_watermark_offsets(
        rk, o.topic.c_str(), p, &low, &high, static_cast<int>(o.timeout.count()));
    // A topic created a moment ago may not be in this client's metadata yet (local
    // "unknown partition"), or not on every broker of a cluster.
    const bool transient = rc == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
                           rc == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION ||
                           rc == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ||
                           rc == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    if (!transient || std::chrono::steady_clock::now() >= deadline) return rc;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

RestoreStats restore(const KafkaStateOptions& o, std::span<const std::int32_t> partitions,
                     StateIndex& index, const ProgressFn& progress,
                     std::chrono::milliseconds every) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  auto log = log::get("state");
  // Large fetches: the restore reads whole partitions as fast as it can decode them.
  KafkaHandle consumer(make_client(RD_KAFKA_CONSUMER,
                                   make_conf(o, "newsd-state-restore",
                                             {{"isolation.level", "read_committed"},
                                              // assign() needs a group; nothing joins it or
                                              // commits offsets to it.
                                              {"group.id", "newsd-state-restore"},
                                              {"enable.auto.commit", "false"},
                                              {"enable.partition.eof", "true"},
                                              {"fetch.max.bytes", "52428800"},
                                              {"max.partition.fetch.bytes", "8388608"},
                                              {"queued.max.messages.kbytes", "65536"}}),
                                   "restoring " + o.topic));
  rd_kafka_poll_set_consumer(consumer.rk);

  // The end of each partition now: its high watermark, read by a client that does not
  // stop at the last stable offset. A transaction still open there (a producer that was
  // fenced or died, or one whose commit markers are on their way) is waited for until it
  // ends, so that the marks of a committed transaction are never missed. Records written
  // after this point are read if they arrive first, but not waited for.
  KafkaHandle ends_reader(
      make_client(RD_KAFKA_CONSUMER,
                  make_conf(o, "newsd-state-restore", {{"isolation.level", "read_uncommitted"}}),
                  "restoring " + o.topic));
  std::vector<std::int64_t> ends(static_cast<std::size_t>(o.partitions), -1);
  std::unique_ptr<rd_kafka_topic_partition_list_t, ListFree> assignment(
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  std::size_t open = 0;
  std::set<std::int32_t> asked;
  for (const std::int32_t p : partitions) {
    if (p < 0 || p >= o.partitions)
      throw StateTopicError("state topic " + o.topic + ": no partition " + std::to_string(p));
    if (!asked.insert(p).second) continue;  // listed twice
    std::int64_t low = 0, high = 0;
    if (const auto rc = watermarks(ends_reader.rk, o, p, low, high))
      throw StateTopicError("state topic " + o.topic + ": cannot read the end of partition " +
                            std::to_string(p) + ": " + rd_kafka_err2str(rc));
    log->debug("state topic {}: partition {} offsets {}..{}", o.topic, p, low, high);
    if (high <= low) continue;  // empty
    ends[static_cast<std::size_t>(p)] = high;
    rd_kafka_topic_partition_list_add(assignment.get(), o.topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
    ++open;
  }

  RestoreStats stats;
  RestoreProgress at{0, asked.size() - open, asked.size()};
  auto report = [&] {
    at.records = stats.records;
    if (progress) progress(at);
  };
  if (open > 0) {
    if (const auto rc = rd_kafka_assign(consumer.rk, assignment.get()))
      throw StateTopicError("state topic " + o.topic +
                            ": cannot assign its partitions: " + rd_kafka_err2str(rc));
  }
  auto next_report = Clock::now() + every;
  auto last_progress = Clock::now();
  auto finish = [&](std::int32_t p) {
    auto& end = ends[static_cast<std::size_t>(p)];
    if (end < 0) return;
    end = -1;
    --open;
    ++at.partitions_done;
  };
  while (open > 0) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.rk, 200);
    const auto now = Clock::now();
    if (now >= next_report) {
      report();
      next_report = now + every;
    }
    if (m == nullptr) {
      if (now - last_progress > o.timeout)
        throw StateTopicError("state topic " + o.topic + ": the restore made no progress for " +
                              std::to_string(o.timeout.count()) + " ms (" + std::to_string(open) +
                              " partition(s) unfinished; a transaction may be open there)");
      continue;
    }
    std::unique_ptr<rd_kafka_message_t, decltype(&rd_kafka_message_destroy)> owned(
        m, &rd_kafka_message_destroy);
    last_progress = now;
    const std::int32_t p = m->partition;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // Under read_committed the end reported is the last stable offset, which stays short
      // of the target while a transaction is open.
      const auto end = ends[static_cast<std::size_t>(p)];
      if (end >= 0 && m->offset >= end) finish(p);
      continue;
    }
    if (m->err) {
      // Fatal for the restore: the topic or partition went away, or access was refused.
      if (m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
          m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
          m->err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)
        throw StateTopicError("state topic " + o.topic +
                              ": restore failed: " + rd_kafka_message_errstr(m));
      log->warn("state topic {}: restore: {}", o.topic, rd_kafka_message_errstr(m));
      continue;
    }
    std::optional<std::string_view> value;
    if (m->payload) value = std::string_view(static_cast<const char*>(m->payload), m->len);
    const std::string_view key(static_cast<const char*>(m->key), m->key ? m->key_len : 0);
    switch (apply(index, key, value)) {
      case Applied::mark:
        ++stats.marks;
        break;
      case Applied::poll_state:
        ++stats.poll_states;
        break;
      case Applied::tombstone:
        ++stats.tombstones;
        break;
      case Applied::malformed:
        throw StateTopicError("state topic " + o.topic + ": the record at partition " +
                              std::to_string(p) + " offset " + std::to_string(m->offset) +
                              " is not a newsd state record; delete it with a tombstone");
      case Applied::unknown_version:
        throw StateTopicError("state topic " + o.topic + ": the record at partition " +
                              std::to_string(p) + " offset " + std::to_string(m->offset) +
                              " was written by a newer newsd (value version " +
                              std::to_string(static_cast<unsigned char>(value->front())) + ")");
    }
    ++stats.records;
    const auto end = ends[static_cast<std::size_t>(p)];
    if (end >= 0 && m->offset + 1 >= end) finish(p);
  }
  rd_kafka_consumer_close(consumer.rk);
  rd_kafka_destroy(consumer.rk);
  consumer.rk = nullptr;
  // The consumer's fetch buffers (tens of MB) are free now; give them back to the system
  // rather than keep them for the life of the daemon.
  malloc_trim(0);
  stats.duration = Clock::now() - started;
  report();
  return stats;
}

}  // namespace newsd::state
