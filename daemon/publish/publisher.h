// The publish stage: records to Kafka (or stdout for dry runs).
//
// Delivery guarantee: a post counts as delivered only when its delivery report says so; the
// caller marks it seen then and only then. librdkafka retries by itself (idempotent
// producer, acks=all); we never re-produce by hand. Thread-safety: publish() and the
// delivery handlers run on the event loop's thread; librdkafka's own threads only post
// reports back onto the loop.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/post.h"

struct rd_kafka_s;  // librdkafka's rd_kafka_t

namespace newsd::publish {

struct Delivery {
  bool ok = false;
  std::string error;  // librdkafka's message when !ok
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::chrono::steady_clock::duration latency{};  // enqueue -> report
};

using DeliveryHandler = std::function<void(const Delivery&)>;

enum class Enqueue {
  queued,      // the handler will run exactly once
  queue_full,  // back-pressure: try again later; the handler will not run
  failed,      // permanent (e.g. message too large, fatal producer); handler will not run
};

// A post made ready to produce: the topic, key, JSON value and the CloudEvents headers that
// vary per post. Built by make_record(), which is thread-safe, so that the serialization can
// run where the post was parsed rather than on the event loop.
struct Record {
  std::string topic;
  std::string key;    // the post's id
  std::string value;  // to_json(post)
  std::string ce_id, ce_source, ce_time;
};

Record make_record(const std::string& topic_template, const Post& post);

// A document that could not be parsed, for the dead-letter topic (DESIGN.md): its raw bytes
// and, in headers, where it came from and why it failed.
struct DeadLetter {
  std::string topic;
  std::string key;  // the source's name
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
};

class Publisher {
 public:
  virtual ~Publisher() = default;
  virtual Enqueue publish(const Record& record, DeliveryHandler done) = 0;
  // Same contract as publish(). Publishers without a dead-letter topic (stdout) refuse.
  // The handler is taken by value, as publish() takes it, for implementations that keep it.
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  virtual Enqueue publish_dead_letter(const DeadLetter&, DeliveryHandler) {
    return Enqueue::failed;
  }
  // Messages handed over whose report has not yet run on the loop.
  virtual std::size_t in_flight() const = 0;
  // Whether the last check reached a broker (for /readyz).
  virtual bool reachable() const = 0;
  // A description of the fatal error that stopped the producer, empty if none.
  virtual std::string fatal_error() const = 0;
  // The Kafka producer, for its transactions (exactly-once: the state store commits them on
  // the loop's thread, the thread that publishes); null for other publishers.
  virtual rd_kafka_s* kafka_handle() { return nullptr; }
};

// Renders a topic template ({source}, {category}, {lang}) and reduces the result to Kafka's
// legal characters [A-Za-z0-9._-], at most 249 of them.
std::string render_topic(const std::string& tmpl, const Post& post);

// A Kafka message header, name and value.
using Header = std::pair<std::string_view, std::string_view>;

// The CloudEvents (Kafka binding, binary mode) headers of a record, in order, as the Kafka
// publisher sends them. They view `record` and string literals: nothing is allocated on the
// publishing path, and they are valid while `record` is.
std::array<Header, 6> cloudevent_headers(const Record& record);

struct KafkaOptions {
  std::string brokers;
  std::map<std::string, std::string> properties;  // passed to librdkafka unchanged
  // Receives librdkafka's statistics JSON every statistics.interval.ms (when set), on
  // librdkafka's poll thread, not on the loop.
  std::function<void(std::string_view json)> on_statistics;
  // Non-empty: a transactional producer (exactly-once). Messages can then be produced only
  // inside a transaction, which the caller begins and commits through kafka_handle(), after
  // rd_kafka_init_transactions().
  std::string transactional_id;
};

// Throws std::runtime_error naming the property when librdkafka rejects the configuration.
std::unique_ptr<Publisher> make_kafka(boost::asio::io_context& io, const KafkaOptions& options);

// Writes one JSON line per post to `out`; every post is "delivered" at once.
std::unique_ptr<Publisher> make_stdout(boost::asio::io_context& io, std::ostream& out);

}  // namespace newsd::publish
