// The dead-letter path: documents that cannot be parsed go, raw, to `topic`, with the error
// and where they came from in headers. A source's broken document polled again unchanged is
// not sent again (its digest is remembered); one Kafka did not take is forgotten, so the next
// poll sends it again.
//
// Thread-safety: the event loop's thread only. Each source owns its Memory; the path keeps
// only a weak reference to it while a letter is on its way.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/post.h"
#include "metrics/metrics.h"
#include "publish/outbox.h"
#include "publish/publisher.h"

namespace newsd::publish {

class DeadLetters {
 public:
  // Digests of what one source sent lately (bounded; forgotten on restart).
  struct Memory {
    std::vector<std::size_t> digests;
  };
  // What was wrong with one document.
  struct Report {
    std::string source, url;
    std::string_view format;  // as the parse-error metric names it
    std::string error;
    Timestamp fetched_at{};
  };

  // An empty topic sends nothing.
  DeadLetters(Publisher& publisher, metrics::Metrics& metrics, TopicCounters& topics,
              std::string topic);
  void set_topic(std::string topic) { topic_ = std::move(topic); }

  void send(const std::shared_ptr<Memory>& memory, std::string raw, const Report& report);

 private:
  Publisher& publisher_;
  metrics::Metrics& metrics_;
  TopicCounters& topics_;
  std::string topic_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace newsd::publish
