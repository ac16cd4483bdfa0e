#include "publish/dead_letter.h"

#include <algorithm>
#include <functional>

#include "core/log.h"

namespace newsd::publish {

DeadLetters::DeadLetters(Publisher& publisher, metrics::Metrics& metrics, TopicCounters& topics,
                         std::string topic)
    : publisher_(publisher),
      metrics_(metrics),
      topics_(topics),
      topic_(std::move(topic)),
      log_(log::get("publish")) {}

void DeadLetters::send(const std::shared_ptr<Memory>& memory, std::string raw,
                       const Report& report) {
  if (topic_.empty()) return;
  auto& digests = memory->digests;
  const std::size_t digest = std::hash<std::string_view>{}(raw);
  if (std::find(digests.begin(), digests.end(), digest) != digests.end()) {
    metrics_.dead_letters.Add({{"result", "repeated"}}).Increment();
    return;
  }
  if (digests.size() >= 16) digests.erase(digests.begin());
  digests.push_back(digest);
  DeadLetter letter;
  letter.topic = topic_;
  letter.key = report.source;
  letter.value = std::move(raw);
  letter.headers = {{"newsd_source", report.source},
                    {"newsd_url", report.url},
                    {"newsd_format", std::string(report.format)},
                    {"newsd_error", report.error},
                    {"newsd_fetched_at", format_rfc3339(report.fetched_at)}};
  // Not delivered: forget the digest, so that the next poll of the source sends it again.
  const auto forget = [this, weak = std::weak_ptr(memory), digest] {
    if (const auto m = weak.lock()) std::erase(m->digests, digest);
    metrics_.dead_letters.Add({{"result", "failed"}}).Increment();
  };
  const auto& log = log_;
  const Enqueue result = publisher_.publish_dead_letter(
      letter, [this, forget, log, name = report.source, topic = letter.topic](const Delivery& d) {
        topics_.count(topic, d.ok);
        if (d.ok) {
          metrics_.dead_letters.Add({{"result", "delivered"}}).Increment();
          return;
        }
        log->warn("{}: dead letter not delivered to {}: {}", name, topic, d.error);
        forget();
      });
  if (result != Enqueue::queued) {
    log->warn("{}: dead letter not taken by the producer ({})", report.source,
              result == Enqueue::queue_full ? "queue full" : "refused");
    forget();
  }
}

}  // namespace newsd::publish
