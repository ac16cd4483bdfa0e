// The records of the state topic (docs/state-topic.md is the reference for other tools).
//
// Every seen mark and every source's poll state is one record of a compacted topic; the
// latest record of a key wins and a tombstone (null value) forgets the key. All records of a
// source go to one partition, partition_of(source), so that one instance owns a source's
// whole state and restores it from that partition alone.
//
// Keys (never versioned: a changed key would not compact over the old one):
//   seen mark   'm' source id_hash      id_hash = the first 16 bytes of SHA-256(id)
//   poll state  'p' source
// The source is the configured name in UTF-8; a mark's source is everything between the
// tag and the last 16 bytes. Hashing the id keeps keys short and lets the in-memory index
// hold 16 bytes per id however long the id is, while still writing tombstones by key.
//
// Values start with a version byte (1 here); readers reject versions they do not know and
// ignore bytes after the fields they know, so a version may grow at its end.
//   seen mark v1   01 flags sha acked_at [updated_at] id
//     flags bit 0: updated_at present; bit 1: sha is text (not 64 lowercase hex digits)
//     sha: 32 raw bytes, or (bit 1) varint length + the text as given
//     acked_at, updated_at: seconds since the Unix epoch, zigzag varint
//     id: varint length + the post id in UTF-8 (for people and tools; not read back)
//   poll state v1  01 flags consecutive_failures [etag] [last_modified]
//     flags bit 0: etag present; bit 1: last_modified present
//     consecutive_failures: varint; etag, last_modified: varint length + bytes
// varint = unsigned LEB128 (protobuf's), at most 10 bytes.
//
// Thread-safety: pure functions. Error policy: decoding returns nullopt for a malformed or
// unknown record; the restore decides what that means.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/post.h"
#include "dedupe/seen_store.h"

namespace newsd::state {

// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2, seed 0x9747b28c).
std::int32_t murmur2(std::string_view bytes);

// The partition of every record of `source`: toPositive(murmur2(UTF-8 name)) % partitions,
// as Kafka's Java default partitioner computes it for a key equal to the name.
std::int32_t partition_of(std::string_view source, std::int32_t partitions);

using IdHash = std::array<std::uint8_t, 16>;
using Sha256 = std::array<std::uint8_t, 32>;

// The first 16 bytes of SHA-256(id).
IdHash hash_id(std::string_view id);

// A content hash as the index holds it: 32 bytes when the text is 64 lowercase hex digits
// (what Post::content_sha256 always is), else the text itself.
struct ContentHash {
  Sha256 raw{};
  std::optional<std::string> text;  // set when the hash was not 64 lowercase hex digits
  static ContentHash from_text(std::string_view hex);
  std::string to_text() const;
  bool operator==(const ContentHash&) const = default;
};

struct MarkValue {
  ContentHash sha;
  std::int64_t acked_at = 0;               // seconds since the epoch
  std::optional<std::int64_t> updated_at;  // seconds since the epoch
  std::string id;                          // the id the key hashes (empty when not known)
};

std::string mark_key(std::string_view source, const IdHash& id_hash);
std::string poll_key(std::string_view source);
std::string encode_mark(const MarkValue& v);
std::string encode_poll(const dedupe::PollState& v);

// A decoded key: which kind of record, whose source, and for a mark the id hash.
struct Key {
  enum class Kind { mark, poll } kind;
  std::string_view source;  // points into the key bytes
  IdHash id_hash{};
};
std::optional<Key> decode_key(std::string_view key);
// `with_id` false skips copying the id (the restore does not need it).
std::optional<MarkValue> decode_mark(std::string_view value, bool with_id = true);
std::optional<dedupe::PollState> decode_poll(std::string_view value);

}  // namespace newsd::state
