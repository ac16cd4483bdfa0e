#include "publish/kafka_log.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <sstream>
#include <thread>

#include "core/log.h"
#include "publish/publisher.h"

namespace newsd::publish {
namespace {

using namespace std::chrono_literals;
using Clock = KafkaLogLimiter::Clock;

TEST(KafkaLog, MapsLibrdkafkaSyslogLevelsToLoggerLevels) {
  EXPECT_EQ(kafka_log_level(0), spdlog::level::critical);
  EXPECT_EQ(kafka_log_level(2), spdlog::level::critical);
  EXPECT_EQ(kafka_log_level(3), spdlog::level::err);
  EXPECT_EQ(kafka_log_level(4), spdlog::level::warn);
  EXPECT_EQ(kafka_log_level(5), spdlog::level::info);
  EXPECT_EQ(kafka_log_level(6), spdlog::level::info);
  EXPECT_EQ(kafka_log_level(7), spdlog::level::debug);
}

TEST(KafkaLog, RepeatsOfOneKindAreHeldBackForAWindowThenCounted) {
  KafkaLogLimiter limiter(60s);
  const Clock::time_point t0{};
  // librdkafka repeats a failure with a new duration each time: still the same line.
  EXPECT_EQ(limiter.admit("FAIL", "Connect to ipv4#127.0.0.1:1 failed (after 0ms)", t0),
            "FAIL: Connect to ipv4#127.0.0.1:1 failed (after 0ms)");
  EXPECT_EQ(limiter.admit("FAIL", "Connect to ipv4#127.0.0.1:1 failed (after 12ms)", t0 + 1s),
            std::nullopt);
  EXPECT_EQ(limiter.admit("FAIL",
                          "Connect to ipv4#127.0.0.1:1 failed (after 3ms, 1 identical error(s) "
                          "suppressed)",
                          t0 + 2s),
            std::nullopt);
  // Another kind of line is not held back by it.
  EXPECT_EQ(limiter.admit("GETPID", "Failed to acquire idempotence PID", t0 + 3s),
            "GETPID: Failed to acquire idempotence PID");
  EXPECT_EQ(limiter.admit("FAIL", "Connect to ipv4#127.0.0.1:1 failed (after 1ms)", t0 + 61s),
            "FAIL: Connect to ipv4#127.0.0.1:1 failed (after 1ms) (2 similar messages "
            "suppressed)");
}

int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);  // nothing listens there now
  return ntohs(a.sin_port);
}

// The demo printed librdkafka's own "%3|…|FAIL|…" lines raw on stderr, outside newsd's formats.
TEST(KafkaLog, ProducerLinesGoThroughTheKafkaLogger) {
  std::ostringstream captured;
  auto logger = log::get("kafka");
  logger->sinks().push_back(std::make_shared<spdlog::sinks::ostream_sink_mt>(captured));
  {
    boost::asio::io_context io;
    KafkaOptions options;
    options.brokers = "127.0.0.1:" + std::to_string(closed_port());
    const auto producer = make_kafka(io, options);
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      logger->flush();
      if (captured.str().find("Connection refused") != std::string::npos) break;
      std::this_thread::sleep_for(50ms);
    }
  }
  logger->sinks().pop_back();
  EXPECT_NE(captured.str().find("[kafka]"), std::string::npos) << captured.str();
  EXPECT_NE(captured.str().find("Connection refused"), std::string::npos) << captured.str();
}

}  // namespace
}  // namespace newsd::publish
