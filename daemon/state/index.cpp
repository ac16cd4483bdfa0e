#include "state/index.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <limits>

namespace newsd::state {
namespace {

constexpr std::uint64_t kEmpty = std::numeric_limits<std::uint64_t>::max();
constexpr std::int64_t kNoTime = std::numeric_limits<std::int64_t>::min();
constexpr std::uint32_t kTextSha = 0x8000'0000U;  // in Entry::source: the hash is in text_sha_
constexpr unsigned kBlockBits = 12;               // 4096 marks (256 KiB) per block
constexpr std::uint32_t kBlockMask = (1U << kBlockBits) - 1;

std::uint32_t hash_of(std::uint32_t source, const IdHash& id) {
  // The id hash is already uniform (SHA-256 bits); the source only needs mixing in.
  std::uint32_t h;
  std::memcpy(&h, id.data(), sizeof h);
  return h ^ (source * 0x9E3779B9U);
}

std::uint32_t clamp_u32(std::int64_t v) {
  return static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(v, 0, std::numeric_limits<std::uint32_t>::max()));
}

}  // namespace

struct StateIndex::Entry {
  IdHash id;
  Sha256 sha;
  std::int64_t updated_at;
  std::uint32_t acked_at;
  std::uint32_t source;  // number in names_, | kTextSha
};

// A deque: its strings never move, so the string_views handed out stay valid.
struct StateIndex::Names {
  std::deque<std::string> names;
  std::unordered_map<std::string_view, std::uint32_t> numbers;
};

StateIndex::StateIndex() : names_(std::make_unique<Names>()), slots_(1024, kEmpty) {
  static_assert(sizeof(Entry) == 64, "a mark is one cache line");
}
StateIndex::~StateIndex() = default;
StateIndex::StateIndex(StateIndex&&) noexcept = default;
StateIndex& StateIndex::operator=(StateIndex&&) noexcept = default;

std::uint32_t StateIndex::intern(std::string_view source) {
  if (auto it = names_->numbers.find(source); it != names_->numbers.end()) return it->second;
  const auto n = static_cast<std::uint32_t>(names_->names.size());
  const std::string& stored = names_->names.emplace_back(source);
  names_->numbers.emplace(stored, n);
  return n;
}

std::optional<std::uint32_t> StateIndex::source_number(std::string_view source) const {
  if (auto it = names_->numbers.find(source); it != names_->numbers.end()) return it->second;
  return std::nullopt;
}

bool StateIndex::knows(std::string_view source) const {
  return source_number(source).has_value() || polls_.find(source) != polls_.end();
}

StateIndex::Entry& StateIndex::at(std::uint32_t i) const {
  return blocks_[i >> kBlockBits][i & kBlockMask];
}

std::size_t StateIndex::probe(std::uint32_t source, const IdHash& id, std::uint32_t hash) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t s = hash & mask;; s = (s + 1) & mask) {
    const std::uint64_t slot = slots_[s];
    if (slot == kEmpty) return s;
    if (static_cast<std::uint32_t>(slot >> 32) != hash) continue;
    const Entry& e = at(static_cast<std::uint32_t>(slot));
    if ((e.source & ~kTextSha) == source && e.id == id) return s;
  }
}

std::optional<MarkValue> StateIndex::find(std::string_view source, const IdHash& id) const {
  const auto n = source_number(source);
  if (!n) return std::nullopt;
  const std::uint64_t slot = slots_[probe(*n, id, hash_of(*n, id))];
  if (slot == kEmpty) return std::nullopt;
  const Entry& e = at(static_cast<std::uint32_t>(slot));
  MarkValue v;
  if (e.source & kTextSha)
    v.sha.text = text_sha_.at({*n, id});
  else
    v.sha.raw = e.sha;
  v.acked_at = e.acked_at;
  if (e.updated_at != kNoTime) v.updated_at = e.updated_at;
  return v;
}

void StateIndex::put(std::string_view source, const IdHash& id, const MarkValue& mark) {
  const std::uint32_t n = intern(source);
  const std::uint32_t hash = hash_of(n, id);
  std::size_t s = probe(n, id, hash);
  if (slots_[s] == kEmpty) {
    if ((count_ + 1) * 4 > slots_.size() * 3) {
      grow();
      s = probe(n, id, hash);
    }
    if ((count_ >> kBlockBits) == blocks_.size())
      blocks_.push_back(std::make_unique_for_overwrite<Entry[]>(std::size_t{1} << kBlockBits));
    slots_[s] = static_cast<std::uint64_t>(hash) << 32 | count_;
    Entry& fresh = at(static_cast<std::uint32_t>(count_));
    fresh.id = id;
    fresh.source = n;
    ++count_;
  }
  Entry& e = at(static_cast<std::uint32_t>(slots_[s]));
  if (mark.sha.text) {
    text_sha_[{n, id}] = *mark.sha.text;
    e.sha = {};
    e.source = n | kTextSha;
  } else {
    if (e.source == (n | kTextSha)) text_sha_.erase({n, id});
    e.sha = mark.sha.raw;
    e.source = n;
  }
  e.acked_at = clamp_u32(mark.acked_at);
  e.updated_at = mark.updated_at.value_or(kNoTime);
}

bool StateIndex::erase(std::string_view source, const IdHash& id) {
  const auto n = source_number(source);
  if (!n) return false;
  const std::size_t s = probe(*n, id, hash_of(*n, id));
  if (slots_[s] == kEmpty) return false;
  erase_at(s);
  return true;
}

void StateIndex::erase_at(std::size_t s) {
  const auto victim = static_cast<std::uint32_t>(slots_[s]);
  if (at(victim).source & kTextSha) text_sha_.erase({at(victim).source & ~kTextSha, at(victim).id});
  // Backward-shift deletion: later members of the run move up so that no probe stops early.
  const std::size_t mask = slots_.size() - 1;
  std::size_t hole = s;
  for (std::size_t j = (s + 1) & mask; slots_[j] != kEmpty; j = (j + 1) & mask) {
    const std::size_t home = static_cast<std::uint32_t>(slots_[j] >> 32) & mask;
    // Move j into the hole unless its home lies cyclically in (hole, j].
    const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!stays) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = kEmpty;
  // The last mark fills the gap in the dense array; its slot learns its new place.
  const auto last = static_cast<std::uint32_t>(count_ - 1);
  if (victim != last) {
    const Entry& moved = at(last);
    const std::size_t ms =
        probe(moved.source & ~kTextSha, moved.id, hash_of(moved.source & ~kTextSha, moved.id));
    slots_[ms] = (slots_[ms] & ~std::uint64_t{0xffff'ffff}) | victim;
    at(victim) = moved;
  }
  --count_;
  if (blocks_.size() > (count_ >> kBlockBits) + 2) blocks_.pop_back();  // keep one spare
}

void StateIndex::grow() {
  std::vector<std::uint64_t> bigger(slots_.size() * 2, kEmpty);
  const std::size_t mask = bigger.size() - 1;
  for (const std::uint64_t slot : slots_) {
    if (slot == kEmpty) continue;
    std::size_t s = (slot >> 32) & mask;
    while (bigger[s] != kEmpty) s = (s + 1) & mask;
    bigger[s] = slot;
  }
  slots_.swap(bigger);
}

std::vector<StateIndex::Ref> StateIndex::oldest_before(std::int64_t cutoff,
                                                       std::size_t limit) const {
  // The `limit` oldest so far, in a max-heap by age: one pass, and the marks in the middle
  // of the array (in about acknowledgement order) seldom displace any.
  using Aged = std::pair<std::uint32_t, std::uint32_t>;  // acked_at, entry number
  std::vector<Aged> heap;
  if (limit == 0) return {};
  const std::uint32_t below = clamp_u32(cutoff);
  for (std::uint32_t i = 0; i < count_; ++i) {
    const std::uint32_t acked = at(i).acked_at;
    if (acked >= below) continue;
    if (heap.size() < limit) {
      heap.emplace_back(acked, i);
      std::push_heap(heap.begin(), heap.end());
    } else if (acked < heap.front().first) {
      std::pop_heap(heap.begin(), heap.end());
      heap.back() = {acked, i};
      std::push_heap(heap.begin(), heap.end());
    }
  }
  std::sort_heap(heap.begin(), heap.end());
  std::vector<Ref> out;
  out.reserve(heap.size());
  for (const auto& [acked, i] : heap)
    out.push_back({names_->names[at(i).source & ~kTextSha], at(i).id});
  return out;
}

std::optional<dedupe::PollState> StateIndex::poll_state(std::string_view source) const {
  if (auto it = polls_.find(source); it != polls_.end()) return it->second;
  return std::nullopt;
}

void StateIndex::put_poll_state(std::string_view source, const dedupe::PollState& state) {
  if (auto it = polls_.find(source); it != polls_.end())
    it->second = state;
  else
    polls_.emplace(std::string(source), state);
}

bool StateIndex::erase_poll_state(std::string_view source) {
  if (auto it = polls_.find(source); it != polls_.end()) {
    polls_.erase(it);
    return true;
  }
  return false;
}

std::size_t StateIndex::forget_sources(const std::function<bool(std::string_view)>& which) {
  std::vector<bool> gone(names_->names.size());
  for (std::size_t n = 0; n < gone.size(); ++n) gone[n] = which(names_->names[n]);
  std::erase_if(polls_, [&](const auto& kv) { return which(kv.first); });
  std::size_t forgotten = 0;
  // From the end: erase_at() moves the last mark into the gap, which was already looked at.
  for (std::size_t i = count_; i-- > 0;) {
    const Entry& e = at(static_cast<std::uint32_t>(i));
    if (!gone[e.source & ~kTextSha]) continue;
    const std::uint32_t n = e.source & ~kTextSha;
    erase_at(probe(n, e.id, hash_of(n, e.id)));
    ++forgotten;
  }
  return forgotten;
}

void StateIndex::absorb(StateIndex&& other) {
  for (std::uint32_t i = 0; i < other.count_; ++i) {
    const Entry& e = other.at(i);
    const std::uint32_t n = e.source & ~kTextSha;
    MarkValue v;
    if (e.source & kTextSha)
      v.sha.text = other.text_sha_.at({n, e.id});
    else
      v.sha.raw = e.sha;
    v.acked_at = e.acked_at;
    if (e.updated_at != kNoTime) v.updated_at = e.updated_at;
    put(other.names_->names[n], e.id, v);
  }
  for (auto& [source, poll] : other.polls_) put_poll_state(source, poll);
  other = StateIndex();
}

std::size_t StateIndex::memory_bytes() const {
  return blocks_.size() * (sizeof(Entry) << kBlockBits) + slots_.size() * sizeof(std::uint64_t);
}

}  // namespace newsd::state
