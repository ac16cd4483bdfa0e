// A producer for tests: takes messages until `capacity` are unacknowledged; the test reports
// on them.
#pragma once

#include <deque>
#include <vector>

#include "publish/publisher.h"

namespace newsd::publish {

class FakePublisher : public Publisher {
 public:
  Enqueue publish(const Record& r, DeliveryHandler done) override {
    if (refuse) return Enqueue::failed;
    if (pending.size() >= capacity) return Enqueue::queue_full;
    pending.push_back({r.topic, r.key, std::move(done)});
    return Enqueue::queued;
  }
  Enqueue publish_dead_letter(const DeadLetter& d, DeliveryHandler done) override {
    if (refuse) return Enqueue::failed;
    letters.push_back({d, std::move(done)});
    return Enqueue::queued;
  }
  std::size_t in_flight() const override { return pending.size(); }
  bool reachable() const override { return true; }
  std::string fatal_error() const override { return {}; }

  // Reports on the oldest message (or the `i`th oldest); returns its key.
  std::string ack(bool ok = true, std::size_t i = 0) {
    auto m = std::move(pending[i]);
    pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(i));
    m.done(report(m.topic, ok));
    return m.id;
  }
  void ack_letter(bool ok = true) {
    auto [letter, done] = std::move(letters.front());
    letters.erase(letters.begin());
    done(report(letter.topic, ok));
  }
  static Delivery report(const std::string& topic, bool ok) {
    Delivery d;
    d.ok = ok;
    d.topic = topic;
    if (!ok) d.error = "Local: Message timed out";
    return d;
  }

  struct Message {
    std::string topic, id;
    DeliveryHandler done;
  };
  std::deque<Message> pending;
  std::vector<std::pair<DeadLetter, DeliveryHandler>> letters;
  std::size_t capacity = 1000;
  bool refuse = false;
};

}  // namespace newsd::publish
