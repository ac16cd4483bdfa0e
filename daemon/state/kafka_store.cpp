#include "state/kafka_store.h"

#include <chrono>

#include "core/log.h"
#include "state/topic_admin.h"

namespace newsd::state {

KafkaStore::KafkaStore(KafkaStateOptions options, StateIndex restored,
                       std::unique_ptr<RecordWriter> writer)
    : options_(std::move(options)), index_(std::move(restored)), writer_(std::move(writer)) {}

KafkaStore::~KafkaStore() {
  flush();
}

std::int32_t KafkaStore::partition_of(const std::string& source) const {
  return state::partition_of(source, options_.partitions);
}

std::size_t KafkaStore::revoke(std::span<const std::int32_t> partitions) {
  std::vector<bool> gone(static_cast<std::size_t>(options_.partitions));
  for (const std::int32_t p : partitions)
    if (p >= 0 && p < options_.partitions) gone[static_cast<std::size_t>(p)] = true;
  return index_.forget_sources([&](std::string_view source) {
    return gone[static_cast<std::size_t>(state::partition_of(source, options_.partitions))];
  });
}

std::optional<dedupe::SeenEntry> KafkaStore::find(const std::string& source,
                                                  const std::string& id) {
  const auto mark = index_.find(source, hash_id(id));
  if (!mark) return std::nullopt;
  dedupe::SeenEntry e;
  e.content_sha256 = mark->sha.to_text();
  if (mark->updated_at) e.updated_at = Timestamp(std::chrono::seconds(*mark->updated_at));
  return e;
}

bool KafkaStore::commit(const std::string& source, const std::string& id,
                        const dedupe::SeenEntry& entry, Timestamp acked_at) {
  const IdHash h = hash_id(id);
  MarkValue v;
  v.sha = ContentHash::from_text(entry.content_sha256);
  v.acked_at = acked_at.time_since_epoch().count();
  if (entry.updated_at) v.updated_at = entry.updated_at->time_since_epoch().count();
  v.id = id;
  if (!writer_->write(partition_of(source), mark_key(source, h), encode_mark(v))) return false;
  undo_.push_back({source, h, index_.find(source, h), std::nullopt});
  index_.put(source, h, v);
  return true;
}

std::size_t KafkaStore::prune(Timestamp cutoff, std::size_t limit) {
  std::size_t pruned = 0;
  for (const auto& ref : index_.oldest_before(cutoff.time_since_epoch().count(), limit)) {
    const std::string source(ref.source);
    if (!writer_->write(partition_of(source), mark_key(source, ref.id), std::nullopt)) break;
    undo_.push_back({source, ref.id, index_.find(source, ref.id), std::nullopt});
    index_.erase(source, ref.id);
    ++pruned;
  }
  return pruned;
}

dedupe::PollState KafkaStore::poll_state(const std::string& source) {
  return index_.poll_state(source).value_or(dedupe::PollState{});
}

bool KafkaStore::save_poll_state(const std::string& source, const dedupe::PollState& state) {
  if (!writer_->write(partition_of(source), poll_key(source), encode_poll(state))) return false;
  undo_.push_back({source, std::nullopt, std::nullopt, index_.poll_state(source)});
  index_.put_poll_state(source, state);
  return true;
}

bool KafkaStore::flush() {
  const bool ok = writer_->flush();
  if (!ok && !undo_.empty()) {
    log::get("state")->error(
        "state topic {}: {} state write(s) were not written; rolled back (their posts will be "
        "published again)",
        options_.topic, undo_.size());
    roll_back();
  }
  undo_.clear();
  return ok;
}

void KafkaStore::roll_back() {
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
    if (it->id) {
      if (it->mark)
        index_.put(it->source, *it->id, *it->mark);
      else
        index_.erase(it->source, *it->id);
    } else if (it->poll) {
      index_.put_poll_state(it->source, *it->poll);
    } else {
      index_.erase_poll_state(it->source);
    }
  }
}

std::unique_ptr<KafkaStore> open_kafka(const KafkaStateOptions& options, const ProgressFn& progress,
                                       RestoreStats* stats, bool shared) {
  ensure_topic(options);
  StateIndex index;
  const RestoreStats restored = restore(
      options, shared ? std::vector<std::int32_t>{} : all_partitions(options), index, progress);
  if (stats) *stats = restored;
  log::get("state")->info(
      "state topic {}: restored {} record(s) ({} seen marks, {} poll states) in {:.2f} s",
      options.topic, restored.records, index.size(), index.poll_states(),
      restored.duration.count());
  return std::make_unique<KafkaStore>(options, std::move(index), make_idempotent_writer(options));
}

}  // namespace newsd::state
