#include "publish/kafka_stats.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>

#include "metrics/metrics.h"

namespace newsd::publish {
namespace {

namespace json = boost::json;

constexpr const char* kErrorKinds[] = {"txerrs", "rxerrs", "req_timeouts"};

std::optional<double> number(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return std::nullopt;
  switch (v->kind()) {
    case json::kind::int64:
      return static_cast<double>(v->get_int64());
    case json::kind::uint64:
      return static_cast<double>(v->get_uint64());
    case json::kind::double_:
      return v->get_double();
    case json::kind::null:
    case json::kind::bool_:
    case json::kind::string:
    case json::kind::array:
    case json::kind::object:
      return std::nullopt;
  }
  return std::nullopt;
}

// Removes the series of `family` whose `broker` label is not in `current`.
void remove_gone(prometheus::Family<prometheus::Gauge>& family,
                 const std::set<std::string>& current) {
  for (const auto& mf : family.Collect()) {
    for (const auto& m : mf.metric) {
      prometheus::Labels labels;
      for (const auto& l : m.label) labels.emplace(l.name, l.value);
      const auto broker = labels.find("broker");
      if (broker == labels.end() || current.count(broker->second) > 0) continue;
      // Add() with existing labels returns the existing series.
      family.Remove(&family.Add(labels));
    }
  }
}

}  // namespace

void export_statistics(std::string_view text, metrics::Metrics& metrics) {
  boost::system::error_code ec;
  const json::value doc = json::parse(text, ec);
  if (ec) throw std::invalid_argument("librdkafka statistics are not JSON: " + ec.message());
  const json::object* root = doc.if_object();
  if (root == nullptr) throw std::invalid_argument("librdkafka statistics are not an object");

  if (const auto n = number(*root, "msg_cnt"))
    metrics.kafka_producer_queue.Add({{"unit", "messages"}}).Set(*n);
  if (const auto n = number(*root, "msg_size"))
    metrics.kafka_producer_queue.Add({{"unit", "bytes"}}).Set(*n);

  std::set<std::string> seen;
  if (const json::value* brokers = root->if_contains("brokers"); brokers && brokers->is_object()) {
    for (const auto& [key, value] : brokers->get_object()) {
      const json::object* b = value.if_object();
      if (b == nullptr) continue;
      std::string name(key);
      if (const json::value* n = b->if_contains("name"); n && n->is_string())
        name = std::string(n->get_string());
      seen.insert(name);

      const json::value* state = b->if_contains("state");
      const bool up = state && state->is_string() && state->get_string() == "UP";
      metrics.kafka_broker_state.Add({{"broker", name}}).Set(up ? 1 : 0);

      if (const json::value* rtt = b->if_contains("rtt"); rtt && rtt->is_object()) {
        if (const auto avg = number(rtt->get_object(), "avg"))
          metrics.kafka_broker_rtt.Add({{"broker", name}}).Set(*avg / 1e6);  // microseconds
      }
      for (const char* kind : kErrorKinds) {
        if (const auto n = number(*b, kind))
          metrics.kafka_broker_errors.Add({{"broker", name}, {"kind", kind}}).Set(*n);
      }
    }
  }
  remove_gone(metrics.kafka_broker_state, seen);
  remove_gone(metrics.kafka_broker_rtt, seen);
  remove_gone(metrics.kafka_broker_errors, seen);
}

}  // namespace newsd::publish
