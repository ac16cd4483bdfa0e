#include "cluster/member.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <mutex>
#include <set>

#include "core/log.h"
#include "publish/kafka_log.h"

namespace newsd::cluster {

std::vector<std::pair<std::string, std::string>> member_settings(const MemberOptions& o) {
  const auto session = o.session_timeout.count();
  std::vector<std::pair<std::string, std::string>> s = {
      {"group.id", o.group},
      {"partition.assignment.strategy", "cooperative-sticky"},
      {"session.timeout.ms", std::to_string(session)},
      // Three heartbeats per session, as Kafka advises; never more often than every 100 ms.
      {"heartbeat.interval.ms", std::to_string(std::clamp<long long>(session / 3, 100, 3000))},
      // A revocation blocks the member's poll while the instance lets go; the group must not
      // take that for a dead member.
      {"max.poll.interval.ms",
       std::to_string(std::max<long long>(300'000, 2 * o.release_timeout.count()))},
      // Nothing is read or committed: the group is used for its assignment only, and the
      // state store reads the partitions itself.
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "latest"},
      {"enable.partition.eof", "false"},
      {"queued.max.messages.kbytes", "64"},
  };
  if (!o.instance.empty()) s.emplace_back("group.instance.id", o.instance);
  return s;
}

namespace {

Partitions to_vector(const rd_kafka_topic_partition_list_t* list) {
  Partitions out;
  for (int i = 0; i < list->cnt; ++i) out.push_back(list->elems[i].partition);
  std::sort(out.begin(), out.end());
  return out;
}

std::string text(const Partitions& ps) {
  std::string out;
  for (const auto p : ps) out += (out.empty() ? "" : ",") + std::to_string(p);
  return out;
}

void report(const std::shared_ptr<spdlog::logger>& log, rd_kafka_error_t* error, const char* what) {
  if (error == nullptr) return;
  log->error("{} failed: {}", what, rd_kafka_error_string(error));
  rd_kafka_error_destroy(error);
}

}  // namespace

struct Member::Impl {
  Impl(MemberOptions options, OwnershipListener& listener, Post post,
       std::atomic<std::uint64_t>& rebalances)
      : options(std::move(options)),
        listener(listener),
        post(std::move(post)),
        rebalances(rebalances),
        log(log::get("cluster")) {}

  static void rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* parts, void* opaque) {
    static_cast<Impl*>(opaque)->rebalance(rk, err, parts);
  }

  void rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
    const Partitions ps = to_vector(parts);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      report(log, rd_kafka_incremental_assign(rk, parts), "taking the assigned partitions");
      rd_kafka_pause_partitions(rk, parts);
      if (ps.empty()) {  // a cooperative rebalance that changed nothing here
        // Except the first: this instance is a member, with nothing to do for now (/readyz).
        if (!told_first && !detached) post([this] { listener.on_assigned({}); });
        told_first = true;
        return;
      }
      told_first = true;
      {
        std::lock_guard lock(mu);
        owned.insert(ps.begin(), ps.end());
      }
      ++rebalances;
      log->info("group {}: {} assigned partitions {} of {}", options.group, who(), text(ps),
                options.state.topic);
      if (!detached) post([this, ps] { listener.on_assigned(ps); });
      return;
    }
    if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
      log->error("group {}: rebalance error {}", options.group, rd_kafka_err2str(err));
      report(log, rd_kafka_incremental_unassign(rk, parts), "giving partitions up");
      return;
    }
    const bool lost = rd_kafka_assignment_lost(rk) != 0;
    if (!ps.empty()) {
      log->info("group {}: {} {} partitions {} of {}", options.group, who(),
                lost ? "lost" : "gives up", text(ps), options.state.topic);
      if (!detached) release(ps, lost);
      {
        std::lock_guard lock(mu);
        for (const auto p : ps) owned.erase(p);
      }
      ++rebalances;
    }
    report(log, rd_kafka_incremental_unassign(rk, parts), "giving partitions up");
  }

  std::string who() const {
    return options.instance.empty() ? "this instance" : "instance " + options.instance;
  }

  // Tells the listener and waits for its `done`, at most release_timeout.
  void release(const Partitions& ps, bool lost) {
    auto released = std::make_shared<std::promise<void>>();
    auto called = std::make_shared<std::atomic<bool>>(false);
    auto future = released->get_future();
    post([this, ps, lost, released, called] {
      listener.on_revoked(ps, lost, [released, called] {
        if (!called->exchange(true)) released->set_value();
      });
    });
    if (future.wait_for(options.release_timeout) == std::future_status::timeout)
      log->warn("group {}: partitions {} not released within {} ms: given up anyway", options.group,
                text(ps), options.release_timeout.count());
  }

  // The consumer failed for good; the instance can no longer tell what it owns.
  void fatal() {
    if (fatal_told) return;
    fatal_told = true;
    char reason[512] = "";
    rd_kafka_fatal_error(rk, reason, sizeof reason);
    const std::string why = "consumer group " + options.group + ": " + reason;
    log->critical("{}", why);
    if (options.on_fatal && !detached) post([f = options.on_fatal, why] { f(why); });
  }

  void run() {
    while (!stopping.load()) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
      if (m == nullptr) continue;
      if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
        fatal();
      } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log->debug("group {}: {}", options.group, rd_kafka_message_errstr(m));
      }
      rd_kafka_message_destroy(m);  // a record fetched before its partition was paused
    }
    // Revokes what is owned through the rebalance callback, on this thread.
    rd_kafka_consumer_close(rk);
    if (left && !detached) post(std::move(left));
  }

  MemberOptions options;
  OwnershipListener& listener;
  Post post;
  std::atomic<std::uint64_t>& rebalances;
  std::shared_ptr<spdlog::logger> log;
  rd_kafka_t* rk = nullptr;
  std::atomic<bool> stopping{false};
  bool fatal_told = false;  // the member's thread's
  bool told_first = false;  // an assignment was told to the listener (the member's thread's)
  // Set before stopping when the owner's loop may no longer run posts: nothing is posted.
  std::atomic<bool> detached{false};
  std::function<void()> left;  // written before stopping is set, read by the thread after
  mutable std::mutex mu;
  std::set<std::int32_t> owned;
  std::thread thread;
};

Member::Member(MemberOptions options, OwnershipListener& listener, Post post)
    : impl_(std::make_unique<Impl>(std::move(options), listener, std::move(post), rebalances_)) {
  Impl& m = *impl_;
  rd_kafka_conf_t* conf =
      state::make_conf(m.options.state, "newsd-cluster", member_settings(m.options));
  publish::route_kafka_logs(conf);
  rd_kafka_conf_set_rebalance_cb(conf, &Impl::rebalance_cb);
  rd_kafka_conf_set_opaque(conf, &m);
  m.rk = state::make_client(RD_KAFKA_CONSUMER, conf, "the consumer group " + m.options.group);
  rd_kafka_poll_set_consumer(m.rk);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, m.options.state.topic.c_str(), RD_KAFKA_PARTITION_UA);
  const rd_kafka_resp_err_t err = rd_kafka_subscribe(m.rk, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_destroy(m.rk);
    throw state::StateTopicError("consumer group " + m.options.group + ": cannot subscribe to " +
                                 m.options.state.topic + ": " + rd_kafka_err2str(err));
  }
  m.thread = std::thread([&m] { m.run(); });
}

Member::~Member() {
  if (!impl_->stopping.load()) {
    impl_->detached = true;
    impl_->stopping = true;
  }
  if (impl_->thread.joinable()) impl_->thread.join();
  rd_kafka_destroy(impl_->rk);
}

void Member::leave(std::function<void()> left) {
  if (impl_->stopping.load()) return;
  impl_->left = std::move(left);
  impl_->stopping = true;
}

Partitions Member::owned() const {
  std::lock_guard lock(impl_->mu);
  return {impl_->owned.begin(), impl_->owned.end()};
}

}  // namespace newsd::cluster

namespace newsd::cluster {

rd_kafka_error_t* Member::send_offsets(rd_kafka_t* producer, int timeout_ms) {
  const Partitions ps = owned();
  if (ps.empty()) return nullptr;
  // The group reads nothing (state is restored from the partitions' beginning), so the
  // offsets carry no position: 0, because librdkafka leaves negative ones out, and a
  // transaction with no offset would not be checked against the group at all.
  std::unique_ptr<rd_kafka_topic_partition_list_t, decltype(&rd_kafka_topic_partition_list_destroy)>
      offsets(rd_kafka_topic_partition_list_new(static_cast<int>(ps.size())),
              &rd_kafka_topic_partition_list_destroy);
  for (const auto p : ps)
    rd_kafka_topic_partition_list_add(offsets.get(), impl_->options.state.topic.c_str(), p)
        ->offset = 0;
  rd_kafka_consumer_group_metadata_t* group = rd_kafka_consumer_group_metadata(impl_->rk);
  rd_kafka_error_t* e =
      rd_kafka_send_offsets_to_transaction(producer, offsets.get(), group, timeout_ms);
  rd_kafka_consumer_group_metadata_destroy(group);
  return e;
}

}  // namespace newsd::cluster
