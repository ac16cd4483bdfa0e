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
    // NOLINTNEXTLINE(performance-no-int-to-ptr): a number, never dereferenced
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

// Produces into a borrowed producer's transaction; its delivery reports are the owner's.
class TransactionalWriter final : public RecordWriter {
 public:
  TransactionalWriter(rd_kafka_t* rk, const KafkaStateOptions& o)
      : o_(o), log_(log::get("state")), rk_(rk) {
    if (!begin())
      throw StateTopicError("state topic " + o.topic + ": cannot begin a transaction: " + fatal_);
  }

  // An open transaction is left to the broker (it aborts it after transaction.timeout.ms,
  // or the next instance's init_transactions() does): what it holds was never committed.
  ~TransactionalWriter() override = default;

  bool write(std::int32_t partition, std::string_view key,
             std::optional<std::string_view> value) override {
    if (!open_) return false;
    char* payload = value ? const_cast<char*>(value->data()) : nullptr;
    const std::size_t len = value ? value->size() : 0;
    const rd_kafka_resp_err_t rc = rd_kafka_producev(
        rk_, RD_KAFKA_V_TOPIC(o_.topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()), RD_KAFKA_V_VALUE(payload, len),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log_->error("state topic {}: cannot queue a state record: {}", o_.topic,
                  rd_kafka_err2str(rc));
      // The posts it would have marked may be in this transaction: it must not commit.
      doomed_ = true;
      return false;
    }
    ++in_transaction_;
    return true;
  }

  bool intact() override { return open_ && !doomed_ && fatal_error().empty(); }

  bool flush() override {
    if (!open_) {  // no transaction: the writes since the last flush() were refused
      begin();
      return false;
    }
    const bool committed = !doomed_ && commit();
    // Neither committed nor fenced: the transaction is aborted (posts and marks) so that the
    // next can begin.
    if (!committed && fatal_error().empty()) aborting_ = true;
    open_ = false;
    doomed_ = false;
    if (committed) {
      stats_.written += in_transaction_;
      ++stats_.committed;
    } else {
      stats_.failed += in_transaction_;
      ++stats_.aborted;
    }
    in_transaction_ = 0;
    begin();
    return committed;
  }

  std::string fatal_error() const override {
    char err[512];
    if (rd_kafka_fatal_error(rk_, err, sizeof err) == RD_KAFKA_RESP_ERR_NO_ERROR) return fatal_;
    return err;
  }

  Stats stats() const override { return stats_; }
  void fence(GroupFence* fence) override { fence_ = fence; }

 private:
  // Delivers the transaction's messages first, waiting up to options.transaction_timeout
  // (the event loop waits): until the commit starts the transaction can still be aborted.
  // Once it started, its outcome decides whether the posts were published, so a commit that
  // did not end in time (the brokers went away just then) is resumed until it does.
  bool commit() {
    if (rd_kafka_flush(rk_, timeout_ms()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log_->error(
          "state topic {}: {} message(s) of the transaction not delivered within {} ms; "
          "aborting it",
          o_.topic, rd_kafka_outq_len(rk_), o_.transaction_timeout.count());
      return false;
    }
    if (fence_ != nullptr) {
      if (rd_kafka_error_t* e = fence_->send_offsets(rk_, timeout_ms())) {
        note(e, "fencing (the consumer group's generation)");
        return false;
      }
    }
    for (;;) {
      rd_kafka_error_t* e = rd_kafka_commit_transaction(rk_, timeout_ms());
      if (e == nullptr) return true;
      const bool in_doubt = rd_kafka_error_is_retriable(e);
      note(e, "commit");
      if (!in_doubt) return false;
    }
  }

  // Ends an aborted transaction first. The abort waits briefly (the loop is blocked
  // meanwhile); one that did not end (brokers unreachable) resumes at the next begin(), and
  // until it ends no transaction is open, so the producer refuses posts (they are offered
  // again) instead of queueing them for a transaction that is lost anyway.
  bool begin() {
    if (aborting_) {
      if (rd_kafka_error_t* e = rd_kafka_abort_transaction(rk_, kAbortWaitMs)) {
        if (rd_kafka_error_is_retriable(e)) {  // not ended yet: said once, at the commit
          rd_kafka_error_destroy(e);
          return false;
        }
        note(e, "abort");
      } else {
        log_->warn("state topic {}: transaction aborted; its posts will be published again",
                   o_.topic);
      }
      aborting_ = false;
    }
    if (rd_kafka_error_t* e = rd_kafka_begin_transaction(rk_)) {
      note(e, "begin");
      return false;
    }
    open_ = true;
    return true;
  }

  int timeout_ms() const { return static_cast<int>(o_.transaction_timeout.count()); }
  static constexpr int kAbortWaitMs = 200;

  // Logs and frees `e`; a fatal error (fenced: another instance has our transactional.id) is
  // kept for fatal_error().
  void note(rd_kafka_error_t* e, const char* doing) {
    const std::string text = rd_kafka_error_string(e);
    if (rd_kafka_error_is_fatal(e) && fatal_.empty()) fatal_ = text;
    log_->error("state topic {}: transaction {} failed: {}", o_.topic, doing, text);
    rd_kafka_error_destroy(e);
  }

  KafkaStateOptions o_;
  std::shared_ptr<spdlog::logger> log_;
  rd_kafka_t* rk_;
  GroupFence* fence_ = nullptr;
  bool open_ = false;                 // a transaction was begun and not yet ended
  bool doomed_ = false;               // a record of the open transaction was refused
  bool aborting_ = false;             // the last transaction's abort has not ended yet
  std::uint64_t in_transaction_ = 0;  // state records in the open transaction
  std::string fatal_;
  Stats stats_;
};

}  // namespace

std::unique_ptr<RecordWriter> make_transactional_writer(rd_kafka_t* producer,
                                                        const KafkaStateOptions& options) {
  return std::make_unique<TransactionalWriter>(producer, options);
}

std::unique_ptr<RecordWriter> make_idempotent_writer(const KafkaStateOptions& options) {
  return std::make_unique<IdempotentWriter>(options);
}

}  // namespace newsd::state
