#include "state/record.h"

#include <gtest/gtest.h>

#include <string>

namespace newsd::state {
namespace {

// Computed by Kafka 3.9.1's org.apache.kafka.common.utils.Utils (murmur2, toPositive) over
// the UTF-8 bytes of each name (docs/state-topic.md shows the Java snippet).
struct Vector {
  const char* name;
  std::int32_t murmur2;
  std::int32_t p3, p12, p100;
};
constexpr Vector kJava[] = {
    {"", 275646681, 0, 9, 81},
    {"a", -1563381124, 1, 4, 24},
    {"ab", 316155434, 2, 2, 34},
    {"abc", 479470107, 0, 3, 7},
    {"abcd", -1323649548, 2, 8, 0},
    {"finews", 140334808, 1, 4, 8},
    {"eastmoney-37", -296098985, 0, 3, 63},
    {"xinhuacaijing", 112478561, 2, 5, 61},
    {"新华财经", 1985565268, 1, 4, 68},
    {"source-with-a-longer-name_0123456789", 1553830902, 0, 6, 2},
    {"kafka", -798503068, 1, 4, 80},
};

TEST(StateRecord, Murmur2MatchesKafkasJavaImplementation) {
  for (const auto& v : kJava) EXPECT_EQ(murmur2(v.name), v.murmur2) << v.name;
}

TEST(StateRecord, PartitionIsJavasDefaultPartitionerOverTheSourceName) {
  for (const auto& v : kJava) {
    EXPECT_EQ(partition_of(v.name, 1), 0) << v.name;
    EXPECT_EQ(partition_of(v.name, 3), v.p3) << v.name;
    EXPECT_EQ(partition_of(v.name, 12), v.p12) << v.name;
    EXPECT_EQ(partition_of(v.name, 100), v.p100) << v.name;
  }
}

TEST(StateRecord, MarkKeyNamesTheSourceAndEndsWithTheIdHash) {
  const IdHash h = hash_id("NW202201261234");
  const std::string key = mark_key("finews", h);
  ASSERT_EQ(key.size(), 1 + 6 + 16u);
  EXPECT_EQ(key.substr(0, 7), "mfinews");
  const auto k = decode_key(key);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->kind, Key::Kind::mark);
  EXPECT_EQ(k->source, "finews");
  EXPECT_EQ(k->id_hash, h);
}

TEST(StateRecord, IdHashIsTheStartOfSha256) {
  // SHA-256("abc") = ba7816bf 8f01cfea 414140de 5dae2223 b00361a3 ...
  const IdHash h = hash_id("abc");
  const IdHash want = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                       0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23};
  EXPECT_EQ(h, want);
}

TEST(StateRecord, PollKeyIsTheTagAndTheSource) {
  EXPECT_EQ(poll_key("新华财经"), "p新华财经");
  const std::string key = poll_key("a");  // the decoded source points into it
  const auto k = decode_key(key);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->kind, Key::Kind::poll);
  EXPECT_EQ(k->source, "a");
}

TEST(StateRecord, KeysOfOtherKindsOrTooShortAreRejected) {
  EXPECT_FALSE(decode_key(""));
  EXPECT_FALSE(decode_key("x-something"));
  EXPECT_FALSE(decode_key("m" + std::string(15, 'a')));  // no room for the id hash
}

const char* kSha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

TEST(StateRecord, MarkRoundTripsWithRawShaAndBothTimes) {
  MarkValue v;
  v.sha = ContentHash::from_text(kSha);
  EXPECT_FALSE(v.sha.text);
  v.acked_at = 1'765'000'000;
  v.updated_at = -86'400;  // before the epoch: zigzag
  v.id = "https://example.com/a?id=1";
  const std::string bytes = encode_mark(v);
  EXPECT_EQ(bytes[0], 1);  // version
  EXPECT_EQ(bytes.size(), 2 + 32 + 5 + 3 + 1 + v.id.size());
  const auto back = decode_mark(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->sha.to_text(), kSha);
  EXPECT_EQ(back->acked_at, v.acked_at);
  EXPECT_EQ(back->updated_at, v.updated_at);
  EXPECT_EQ(back->id, v.id);
  EXPECT_TRUE(decode_mark(bytes, false)->id.empty());
}

TEST(StateRecord, MarkKeepsAContentHashThatIsNotHexAsText) {
  MarkValue v;
  v.sha = ContentHash::from_text("ABCDEF");  // not 64 lowercase hex digits
  ASSERT_TRUE(v.sha.text);
  const auto back = decode_mark(encode_mark(v));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->sha.to_text(), "ABCDEF");
  EXPECT_FALSE(back->updated_at);
  // Upper-case hex is text too, so that it comes back exactly as given.
  std::string upper(kSha);
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(ContentHash::from_text(upper).to_text(), upper);
}

TEST(StateRecord, ReadersIgnoreBytesAfterTheFieldsTheyKnow) {
  MarkValue v;
  v.sha = ContentHash::from_text(kSha);
  v.id = "x";
  EXPECT_TRUE(decode_mark(encode_mark(v) + "future field"));
  EXPECT_TRUE(decode_poll(encode_poll({}) + "future field"));
}

TEST(StateRecord, TruncatedOrUnknownVersionValuesAreRejected) {
  MarkValue v;
  v.sha = ContentHash::from_text(kSha);
  v.id = "id";
  const std::string bytes = encode_mark(v);
  for (std::size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(decode_mark(bytes.substr(0, n))) << n;
  std::string v2 = bytes;
  v2[0] = 2;
  EXPECT_FALSE(decode_mark(v2));
  EXPECT_FALSE(decode_poll("\x02"));
  EXPECT_FALSE(decode_mark(std::string("\x01\x00", 2) + std::string(32, 'a') +
                           std::string(11, '\xff')));  // overlong varint
}

TEST(StateRecord, PollStateRoundTrips) {
  dedupe::PollState s{"\"abc\"", "Wed, 21 Oct 2015 07:28:00 GMT", 3};
  const auto back = decode_poll(encode_poll(s));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, s);
  const auto empty = decode_poll(encode_poll({}));
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, dedupe::PollState{});
  EXPECT_EQ(encode_poll({}), std::string("\x01\x00\x00", 3));
}

}  // namespace
}  // namespace newsd::state
