#include "publish/dead_letter.h"

#include <gtest/gtest.h>

#include "publish/tests/fake_publisher.h"

namespace newsd::publish {
namespace {

class DeadLettersTest : public ::testing::Test {
 protected:
  DeadLetters::Report report() {
    return {"s", "http://feeds.test/s", "atom", "unexpected end", Timestamp{}};
  }
  FakePublisher publisher_;
  metrics::Metrics metrics_;
  TopicCounters topics_{metrics_};
  DeadLetters letters_{publisher_, metrics_, topics_, "news.dead"};
  std::shared_ptr<DeadLetters::Memory> memory_ = std::make_shared<DeadLetters::Memory>();
};

TEST_F(DeadLettersTest, SendsTheRawDocumentWithWhatWentWrongInHeaders) {
  letters_.send(memory_, "<feed>", report());
  ASSERT_EQ(publisher_.letters.size(), 1u);
  const DeadLetter& d = publisher_.letters.front().first;
  EXPECT_EQ(d.topic, "news.dead");
  EXPECT_EQ(d.key, "s");
  EXPECT_EQ(d.value, "<feed>");
  EXPECT_EQ(d.headers, (std::vector<std::pair<std::string, std::string>>{
                           {"newsd_source", "s"},
                           {"newsd_url", "http://feeds.test/s"},
                           {"newsd_format", "atom"},
                           {"newsd_error", "unexpected end"},
                           {"newsd_fetched_at", "1970-01-01T00:00:00Z"}}));
}

TEST_F(DeadLettersTest, DoesNotSendTheSameBytesTwiceUnlessKafkaLostThem) {
  letters_.send(memory_, "<feed>", report());
  publisher_.ack_letter();
  letters_.send(memory_, "<feed>", report());
  EXPECT_TRUE(publisher_.letters.empty());
  letters_.send(memory_, "<feed><entry>", report());
  publisher_.ack_letter(false);
  letters_.send(memory_, "<feed><entry>", report());
  EXPECT_EQ(publisher_.letters.size(), 1u);
}

TEST_F(DeadLettersTest, SendsNothingWithoutATopic) {
  letters_.set_topic("");
  letters_.send(memory_, "<feed>", report());
  EXPECT_TRUE(publisher_.letters.empty());
}

}  // namespace
}  // namespace newsd::publish
