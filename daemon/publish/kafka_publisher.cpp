#include <librdkafka/rdkafka.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

#include "core/log.h"
#include "publish/kafka_log.h"
#include "publish/publisher.h"

namespace newsd::publish {
namespace {

using Clock = std::chrono::steady_clock;

// Travels with each message as its opaque; the delivery report takes it back.
struct Pending {
  DeliveryHandler done;
  Clock::time_point enqueued;
};

class KafkaPublisher final : public Publisher {
 public:
  KafkaPublisher(boost::asio::io_context& io, const KafkaOptions& options)
      : io_(io), log_(log::get("publish")) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    auto set = [&](const std::string& key, const std::string& value) {
      if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) !=
          RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        throw std::runtime_error("kafka.properties." + key + ": " + err);
      }
    };
    set("bootstrap.servers", options.brokers);
    set("client.id", "newsd");
    // No loss: the broker must have the message on all in-sync replicas, and retries
    // must not duplicate or reorder (idempotence implies acks=all).
    set("enable.idempotence", "true");
    set("acks", "all");
    set("linger.ms", "5");
    // librdkafka's default queue may hold 1 GB; 32 MiB is thousands of posts, and a full
    // queue is back-pressure (polls pause, nothing is dropped), not an error.
    set("queue.buffering.max.kbytes", "32768");
    for (const auto& [k, v] : options.properties) set(k, v);
    if (!options.transactional_id.empty()) set("transactional.id", options.transactional_id);
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_dr_msg_cb(conf, &KafkaPublisher::on_delivery);
    rd_kafka_conf_set_error_cb(conf, &KafkaPublisher::on_error);
    route_kafka_logs(conf);
    if (options.on_statistics) {
      on_statistics_ = options.on_statistics;
      rd_kafka_conf_set_stats_cb(conf, &KafkaPublisher::on_stats);
    }
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (rk_ == nullptr) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(std::string("cannot create Kafka producer: ") + err);
    }
    poller_ = std::thread([this] { serve(); });
  }

  ~KafkaPublisher() override {
    stop_ = true;
    poller_.join();
    // Reports served here are posted to a loop that may no longer run: the posts stay
    // unseen and are published again at the next start (at-least-once).
    rd_kafka_flush(rk_, 10'000);
    post_reports();
    const int left = rd_kafka_outq_len(rk_);
    if (left > 0)
      log_->warn(
          "{} message(s) were still queued at shutdown; they are not marked seen and "
          "will be published again",
          left);
    rd_kafka_destroy(rk_);
  }

  Enqueue publish(const Record& r, DeliveryHandler done) override {
    return produce(r.topic, r.key, r.value, cloudevent_headers(r), std::move(done));
  }

  Enqueue publish_dead_letter(const DeadLetter& d, DeliveryHandler done) override {
    std::vector<std::pair<std::string_view, std::string_view>> headers(d.headers.begin(),
                                                                       d.headers.end());
    return produce(d.topic, d.key, d.value, headers, std::move(done));
  }

  std::size_t in_flight() const override { return in_flight_; }
  bool reachable() const override { return reachable_; }
  rd_kafka_s* kafka_handle() override { return rk_; }
  std::string fatal_error() const override {
    std::lock_guard lock(mutex_);
    return fatal_text_;
  }

 private:
  Enqueue produce(const std::string& topic, std::string_view key, std::string_view value,
                  std::span<const std::pair<std::string_view, std::string_view>> header_list,
                  DeliveryHandler done) {
    if (fatal_.load(std::memory_order_relaxed)) return Enqueue::failed;
    rd_kafka_headers_t* headers = rd_kafka_headers_new(header_list.size());
    for (const auto& [name, v] : header_list) {
      rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), v.data(),
                          static_cast<ssize_t>(v.size()));
    }
    auto* pending = new Pending{std::move(done), Clock::now()};
    const rd_kafka_resp_err_t rc =
        rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(topic.c_str()),
                          RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
                          RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
                          RD_KAFKA_V_OPAQUE(pending), RD_KAFKA_V_END);
    if (rc == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++in_flight_;
      return Enqueue::queued;  // librdkafka owns the headers now
    }
    rd_kafka_headers_destroy(headers);
    delete pending;
    if (rc == RD_KAFKA_RESP_ERR__QUEUE_FULL) return Enqueue::queue_full;
    log_->error("cannot produce {} to {}: {}", key, topic, rd_kafka_err2str(rc));
    return Enqueue::failed;
  }

  // The poll thread: serves delivery reports and error callbacks continuously and checks
  // that a broker answers. Nothing here touches loop state; results are posted to it.
  void serve() {
    auto next_probe = Clock::now();
    while (!stop_) {
      rd_kafka_poll(rk_, 100);
      post_reports();
      if (Clock::now() >= next_probe) {
        const rd_kafka_metadata_t* md = nullptr;
        const auto rc = rd_kafka_metadata(rk_, 0, nullptr, &md, 2000);
        reachable_ = rc == RD_KAFKA_RESP_ERR_NO_ERROR && md != nullptr && md->broker_cnt > 0;
        if (md) rd_kafka_metadata_destroy(md);
        next_probe = Clock::now() + std::chrono::seconds(reachable_ ? 5 : 1);
      }
    }
  }

  // Runs inside rd_kafka_poll() (the poll thread), rd_kafka_flush() (the destructor) or,
  // with transactions, inside commit/abort on the loop's thread, meanwhile the poll thread
  // serves reports too: hence reports_mutex_. Reports are collected and handed to the loop
  // together by post_reports(): one post per poll instead of one per message (each post
  // locks the loop's queue and may wake it).
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) noexcept {
    auto* self = static_cast<KafkaPublisher*>(opaque);
    // Not a post: a state record that the Kafka store wrote into this producer's transaction
    // (exactly-once); the transaction's outcome reports on it.
    if (m->_private == nullptr) return;
    Report report{std::unique_ptr<Pending>(static_cast<Pending*>(m->_private)), {}};
    Delivery& d = report.delivery;
    d.ok = m->err == RD_KAFKA_RESP_ERR_NO_ERROR;
    if (!d.ok) d.error = rd_kafka_err2str(m->err);
    d.topic = rd_kafka_topic_name(m->rkt);
    d.partition = m->partition;
    d.offset = m->offset;
    d.latency = Clock::now() - report.pending->enqueued;
    if (d.ok) self->reachable_ = true;
    std::lock_guard lock(self->reports_mutex_);
    if (!self->reports_) self->reports_ = std::make_shared<std::vector<Report>>();
    self->reports_->push_back(std::move(report));
  }

  void post_reports() {
    std::shared_ptr<std::vector<Report>> taken;
    {
      std::lock_guard lock(reports_mutex_);
      taken = std::move(reports_);
      reports_.reset();
    }
    if (!taken) return;
    // Shared ownership: if the loop is gone (shutdown), destroying the queued handler still
    // frees the messages' state.
    boost::asio::post(io_, [this, reports = std::move(taken)] {
      for (auto& r : *reports) {
        --in_flight_;
        r.pending->done(r.delivery);
      }
    });
  }

  static int on_stats(rd_kafka_t*, char* json, size_t len, void* opaque) noexcept {
    auto* self = static_cast<KafkaPublisher*>(opaque);
    try {
      self->on_statistics_(std::string_view(json, len));
    } catch (const std::exception& e) {
      self->log_->warn("cannot read librdkafka statistics: {}", e.what());
    }
    return 0;  // librdkafka frees the JSON
  }

  static void on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque) noexcept {
    auto* self = static_cast<KafkaPublisher*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char buf[512];
      const auto code = rd_kafka_fatal_error(rk, buf, sizeof buf);
      std::lock_guard lock(self->mutex_);
      self->fatal_text_ = std::string(rd_kafka_err2name(code)) + ": " + buf;
      self->fatal_ = true;
      self->log_->critical("Kafka producer failed fatally: {}", self->fatal_text_);
      return;
    }
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) self->reachable_ = false;
    self->log_->warn("Kafka: {} ({})", reason, rd_kafka_err2name(rd_kafka_resp_err_t(err)));
  }

  boost::asio::io_context& io_;
  std::shared_ptr<spdlog::logger> log_;
  rd_kafka_t* rk_ = nullptr;
  std::thread poller_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> reachable_{false};
  std::size_t in_flight_ = 0;  // loop thread only
  std::function<void(std::string_view)> on_statistics_;
  // Delivery reports not yet handed to the loop (see on_delivery).
  struct Report {
    std::unique_ptr<Pending> pending;
    Delivery delivery;
  };
  std::shared_ptr<std::vector<Report>> reports_;  // guarded by reports_mutex_
  std::mutex reports_mutex_;
  mutable std::mutex mutex_;
  std::string fatal_text_;          // guarded by mutex_
  std::atomic<bool> fatal_{false};  // fatal_text_ is set: a lock-free check per message
};

class StdoutPublisher final : public Publisher {
 public:
  StdoutPublisher(boost::asio::io_context& io, std::ostream& out) : io_(io), out_(out) {}

  Enqueue publish(const Record& r, DeliveryHandler done) override {
    out_ << r.value << '\n';
    out_.flush();
    ++in_flight_;
    boost::asio::post(io_, [this, topic = r.topic, done = std::move(done)] {
      --in_flight_;
      Delivery d;
      d.ok = static_cast<bool>(out_);
      if (!d.ok) d.error = "cannot write to standard output";
      d.topic = topic;
      done(d);
    });
    return Enqueue::queued;
  }
  std::size_t in_flight() const override { return in_flight_; }
  bool reachable() const override { return true; }
  std::string fatal_error() const override { return {}; }

 private:
  boost::asio::io_context& io_;
  std::ostream& out_;
  std::size_t in_flight_ = 0;
};

}  // namespace

std::unique_ptr<Publisher> make_kafka(boost::asio::io_context& io, const KafkaOptions& options) {
  return std::make_unique<KafkaPublisher>(io, options);
}

std::unique_ptr<Publisher> make_stdout(boost::asio::io_context& io, std::ostream& out) {
  return std::make_unique<StdoutPublisher>(io, out);
}

}  // namespace newsd::publish
