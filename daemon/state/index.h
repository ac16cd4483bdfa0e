// The state in memory: every seen mark and poll state of the partitions this instance
// restored, kept lean because it holds every post seen within the retention (millions).
//
// A mark is 64 bytes in a dense array (source number, the 16-byte id hash of its key, the
// 32-byte content hash, acked_at, updated_at), found through an open-addressing table of
// 8-byte slots (linear probing, at most 3/4 full, backward-shift deletion): about 80 bytes
// per mark, whatever the length of the ids.
//
// Collisions: the index is keyed by (source, first 128 bits of SHA-256(id)), the same key
// the topic compacts on; two ids of one source collide with probability about n^2 / 2^129
// (1e-27 for a million ids), and finding a collision on purpose costs ~2^64 SHA-256
// evaluations. The content hash is kept whole (32 bytes) and compared exactly, so a changed
// post is never judged unchanged by a shortened hash. A content hash that is not 64 hex
// digits (never produced by newsd, but allowed by SeenStore) is kept as text on the side.
//
// Thread-safety: none; one owner (the store, or the restore before handing it over).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dedupe/seen_store.h"
#include "state/record.h"

namespace newsd::state {

class StateIndex {
 public:
  StateIndex();
  ~StateIndex();
  StateIndex(StateIndex&&) noexcept;
  StateIndex& operator=(StateIndex&&) noexcept;

  // Seen marks. acked_at is held as unsigned 32-bit seconds (clamped; good until 2106).
  std::optional<MarkValue> find(std::string_view source, const IdHash& id) const;
  void put(std::string_view source, const IdHash& id, const MarkValue& mark);
  bool erase(std::string_view source, const IdHash& id);
  std::size_t size() const { return count_; }

  struct Ref {
    std::string_view source;  // valid while the index lives
    IdHash id;
  };
  // At most `limit` marks acknowledged before `cutoff` (seconds), oldest first. One scan of
  // every mark (about 20 ms per million on a busy machine): pruning runs hourly, so no age order is
  // kept.
  std::vector<Ref> oldest_before(std::int64_t cutoff, std::size_t limit) const;

  // Whether `source` ever had a mark or a poll state here: it was polled before (catch-up
  // paging). A source whose marks were all pruned still counts, as it was polled.
  bool knows(std::string_view source) const;

  // Poll states.
  std::optional<dedupe::PollState> poll_state(std::string_view source) const;
  void put_poll_state(std::string_view source, const dedupe::PollState& state);
  bool erase_poll_state(std::string_view source);
  std::size_t poll_states() const { return polls_.size(); }

  // Forgets the marks and poll states of every source for which `which` is true (an
  // instance letting go of partitions); returns how many marks went.
  std::size_t forget_sources(const std::function<bool(std::string_view)>& which);

  // Takes every mark and poll state of `other` (replacing this index's for the same keys): a
  // partition restored off the event loop joins the store's index.
  void absorb(StateIndex&& other);

  // Bytes held for marks: the dense blocks and the slot table (not the source names).
  std::size_t memory_bytes() const;

 private:
  struct Entry;
  struct Names;

  std::uint32_t intern(std::string_view source);
  std::optional<std::uint32_t> source_number(std::string_view source) const;
  Entry& at(std::uint32_t i) const;
  // The slot holding the mark, or the empty slot where it would go.
  std::size_t probe(std::uint32_t source, const IdHash& id, std::uint32_t hash) const;
  void grow();
  void erase_at(std::size_t slot);

  std::unique_ptr<Names> names_;
  std::vector<std::unique_ptr<Entry[]>> blocks_;
  std::vector<std::uint64_t> slots_;  // hash << 32 | entry number; kEmpty when free
  std::size_t count_ = 0;
  std::map<std::pair<std::uint32_t, IdHash>, std::string> text_sha_;
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, dedupe::PollState, StringHash, std::equal_to<>> polls_;
};

}  // namespace newsd::state
