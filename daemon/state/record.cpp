#include "state/record.h"

#include <openssl/evp.h>

#include <cstring>
#include <memory>
#include <stdexcept>

namespace newsd::state {
namespace {

constexpr char kMarkTag = 'm';
constexpr char kPollTag = 'p';
constexpr std::uint8_t kVersion = 1;
constexpr std::uint8_t kMarkUpdated = 1, kMarkShaText = 2;
constexpr std::uint8_t kPollEtag = 1, kPollLastModified = 2;

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void put_zigzag(std::string& out, std::int64_t v) {
  put_varint(out, (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}
void put_bytes(std::string& out, std::string_view b) {
  put_varint(out, b.size());
  out.append(b);
}

// Reads a value front to back; any read past the end or overlong varint sets `ok` false.
struct Reader {
  std::string_view in;
  bool ok = true;

  std::uint8_t byte() {
    if (in.empty()) return fail(), 0;
    const auto b = static_cast<std::uint8_t>(in.front());
    in.remove_prefix(1);
    return b;
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const std::uint8_t b = byte();
      if (!ok) return 0;
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return fail(), 0;
  }
  std::int64_t zigzag() {
    const std::uint64_t u = varint();
    return static_cast<std::int64_t>(u >> 1) ^ -static_cast<std::int64_t>(u & 1);
  }
  std::string_view bytes(std::size_t n) {
    if (n > in.size()) return fail(), std::string_view();
    const std::string_view b = in.substr(0, n);
    in.remove_prefix(n);
    return b;
  }
  std::string_view sized() { return bytes(varint()); }
  void fail() { ok = false; }
};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

}  // namespace

std::int32_t murmur2(std::string_view bytes) {
  // Java's arithmetic on int is modulo 2^32 with arithmetic shifts written as >>>; unsigned
  // 32-bit arithmetic here gives the same bits.
  constexpr std::uint32_t m = 0x5bd1e995;
  constexpr int r = 24;
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  const std::size_t length = bytes.size();
  std::uint32_t h = 0x9747b28cU ^ static_cast<std::uint32_t>(length);
  const std::size_t quads = length / 4;
  for (std::size_t i = 0; i < quads; ++i) {
    const std::size_t at = i * 4;
    std::uint32_t k = data[at] | (data[at + 1] << 8) | (data[at + 2] << 16) |
                      (static_cast<std::uint32_t>(data[at + 3]) << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const std::size_t tail = quads * 4;
  switch (length % 4) {
    case 3:
      h ^= static_cast<std::uint32_t>(data[tail + 2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<std::uint32_t>(data[tail + 1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= data[tail];
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<std::int32_t>(h);
}

std::int32_t partition_of(std::string_view source, std::int32_t partitions) {
  // Utils.toPositive is `number & 0x7fffffff`, not abs().
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(murmur2(source)) & 0x7fffffffU) %
         partitions;
}

IdHash hash_id(std::string_view id) {
  // Fetched once: an implicit fetch per digest takes a lock and a property lookup.
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (md == nullptr || ctx == nullptr || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), id.data(), id.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1)
    throw std::runtime_error("SHA-256 failed in OpenSSL");
  IdHash out;
  std::memcpy(out.data(), digest, out.size());
  return out;
}

ContentHash ContentHash::from_text(std::string_view hex) {
  ContentHash h;
  if (hex.size() == 64) {
    bool ok = true;
    for (std::size_t i = 0; i < 32 && ok; ++i) {
      const int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
      ok = hi >= 0 && lo >= 0;
      h.raw[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    if (ok) return h;
  }
  h.raw = {};
  h.text = std::string(hex);
  return h;
}

std::string ContentHash::to_text() const {
  if (text) return *text;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(64, '0');
  for (std::size_t i = 0; i < 32; ++i) {
    out[2 * i] = kHex[raw[i] >> 4];
    out[2 * i + 1] = kHex[raw[i] & 0xf];
  }
  return out;
}

std::string mark_key(std::string_view source, const IdHash& id_hash) {
  std::string k;
  k.reserve(1 + source.size() + id_hash.size());
  k.push_back(kMarkTag);
  k.append(source);
  k.append(reinterpret_cast<const char*>(id_hash.data()), id_hash.size());
  return k;
}

std::string poll_key(std::string_view source) {
  std::string k(1, kPollTag);
  k.append(source);
  return k;
}

std::string encode_mark(const MarkValue& v) {
  std::string out;
  out.reserve(48 + v.id.size());
  out.push_back(static_cast<char>(kVersion));
  out.push_back(
      static_cast<char>((v.updated_at ? kMarkUpdated : 0) | (v.sha.text ? kMarkShaText : 0)));
  if (v.sha.text)
    put_bytes(out, *v.sha.text);
  else
    out.append(reinterpret_cast<const char*>(v.sha.raw.data()), v.sha.raw.size());
  put_zigzag(out, v.acked_at);
  if (v.updated_at) put_zigzag(out, *v.updated_at);
  put_bytes(out, v.id);
  return out;
}

std::string encode_poll(const dedupe::PollState& v) {
  std::string out;
  out.push_back(static_cast<char>(kVersion));
  out.push_back(
      static_cast<char>((v.etag ? kPollEtag : 0) | (v.last_modified ? kPollLastModified : 0)));
  put_varint(out, static_cast<std::uint64_t>(std::max(v.consecutive_failures, 0)));
  if (v.etag) put_bytes(out, *v.etag);
  if (v.last_modified) put_bytes(out, *v.last_modified);
  return out;
}

std::optional<Key> decode_key(std::string_view key) {
  if (key.empty()) return std::nullopt;
  Key k{};
  if (key.front() == kPollTag) {
    k.kind = Key::Kind::poll;
    k.source = key.substr(1);
    return k;
  }
  if (key.front() != kMarkTag || key.size() < 1 + k.id_hash.size()) return std::nullopt;
  k.kind = Key::Kind::mark;
  k.source = key.substr(1, key.size() - 1 - k.id_hash.size());
  std::memcpy(k.id_hash.data(), key.data() + key.size() - k.id_hash.size(), k.id_hash.size());
  return k;
}

std::optional<MarkValue> decode_mark(std::string_view value, bool with_id) {
  Reader r{value};
  if (r.byte() != kVersion) return std::nullopt;
  const std::uint8_t flags = r.byte();
  MarkValue v;
  if (flags & kMarkShaText) {
    v.sha.text = std::string(r.sized());
  } else {
    const std::string_view raw = r.bytes(v.sha.raw.size());
    if (r.ok) std::memcpy(v.sha.raw.data(), raw.data(), raw.size());
  }
  v.acked_at = r.zigzag();
  if (flags & kMarkUpdated) v.updated_at = r.zigzag();
  const std::string_view id = r.sized();
  if (!r.ok) return std::nullopt;
  if (with_id) v.id = std::string(id);
  return v;
}

std::optional<dedupe::PollState> decode_poll(std::string_view value) {
  Reader r{value};
  if (r.byte() != kVersion) return std::nullopt;
  const std::uint8_t flags = r.byte();
  dedupe::PollState v;
  const std::uint64_t failures = r.varint();
  v.consecutive_failures = static_cast<int>(std::min<std::uint64_t>(failures, INT32_MAX));
  if (flags & kPollEtag) v.etag = std::string(r.sized());
  if (flags & kPollLastModified) v.last_modified = std::string(r.sized());
  if (!r.ok) return std::nullopt;
  return v;
}

}  // namespace newsd::state
