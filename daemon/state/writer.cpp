#include "state/writer.h"

#include <chrono>
#include <cstdint>

#include "core/log.h"

namespace newsd::state {
namespace {

class IdempotentWriter final : public RecordWriter {
 public:
  explicit IdempotentWriter(const KafkaStateOptions& o) : o_(o), log_(log::get("state")) {
    rd_kafka_conf_t* conf = make_conf(
        o, "newsd-state", {{"enable.idempotence", "true"}, {"acks", "all"}, {"linger.ms", "5"}});
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_dr_msg_cb(conf, &IdempotentWriter::on_delivery);
    rk_ = make_client(RD_KAFKA_PRODUCER, conf, "writing " + o.topic);
  }

  ~IdempotentWriter() override {
    if (rd_kafka_flush(rk_, 10'000) != RD_KAFKA_RESP_ERR_NO_ERROR)
      log_->warn("state topic {}: {} record(s) unwritten at shutdown", o_.topic,
                 rd_kafka_outq_len(rk_));
    rd_kafka_destroy(rk_);
  }

  bool write(std::int32_t partition, std::string_view key,
             std::optional<std::string_view> value) override {
    // The batch number travels as the opaque: a late report of an earlier batch (one whose
    // flush() timed out) must not fail the current one.
    void* batch = reinterpret_cast<void*>(static_cast<std::uintptr_t>(batch_));
    char* payload = value ? const_cast<char*>(value->data()) : nullptr;
    const std::size_t len = value ? value->size() : 0;
    const auto deadline = std::chrono::steady_clock::now() + o_.timeout;
    for (;;) {
      const rd_kafka_resp_err_t rc = rd_kafka_producev(
          rk_, RD_KAFKA_V_TOPIC(o_.topic.c_str()), RD_KAFKA_V_PARTITION(partition),
          RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()), RD_KAFKA_V_VALUE(payload, len),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(batch), RD_KAFKA_V_END);
      if (rc == RD_KAFKA_RESP_ERR_NO_ERROR) return true;
      // A full queue drains as the brokers acknowledge: wait for room rather than fail.
      if (rc == RD_KAFKA_RESP_ERR__QUEUE_FULL && std::chrono::steady_clock::now() < deadline) {
        rd_kafka_poll(rk_, 10);
        continue;
      }
      log_->error("state topic {}: cannot queue a state record: {}", o_.topic,
                  rd_kafka_err2str(rc));
      return false;
    }
  }

  bool intact() override {
    rd_kafka_poll(rk_, 0);
    return !lost_;
  }

  bool flush() override {
    const rd_kafka_resp_err_t rc = rd_kafka_flush(rk_, static_cast<int>(o_.timeout.count()));
    if (rc != RD_KAFKA_RESP_ERR_NO_ERROR)
      log_->error("state topic {}: {} record(s) not acknowledged within {} ms", o_.topic,
                  rd_kafka_outq_len(rk_), o_.timeout.count());
    const bool ok = rc == RD_KAFKA_RESP_ERR_NO_ERROR && !lost_;
    lost_ = false;
    ++batch_;
    return ok;
  }

  std::string fatal_error() const override {
    char err[512];
    if (rd_kafka_fatal_error(rk_, err, sizeof err) == RD_KAFKA_RESP_ERR_NO_ERROR) return "";
    return err;
  }

  Stats stats() const override { return stats_; }

 private:
  // Runs inside rd_kafka_poll()/rd_kafka_flush(), on the store's thread.
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<IdempotentWriter*>(opaque);
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++self->stats_.written;
      return;
    }
    ++self->stats_.failed;
    self->log_->error("state topic {}: a state record was lost: {}", self->o_.topic,
                      rd_kafka_err2str(m->err));
    if (reinterpret_cast<std::uintptr_t>(m->_private) == self->batch_) self->lost_ = true;
  }

  KafkaStateOptions o_;
  std::shared_ptr<spdlog::logger> log_;
  rd_kafka_t* rk_ = nullptr;
  std::uintptr_t batch_ = 0;  // counts flush() calls
  bool lost_ = false;         // a record of the current batch was lost
  Stats stats_;
};

}  // namespace

std::unique_ptr<RecordWriter> make_idempotent_writer(const KafkaStateOptions& options) {
  return std::make_unique<IdempotentWriter>(options);
}

}  // namespace newsd::state
