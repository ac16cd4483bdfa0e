#include "state/topic_admin.h"

#include <memory>
#include <optional>
#include <thread>

#include "core/log.h"

namespace newsd::state {

rd_kafka_conf_t* make_conf(const KafkaStateOptions& options, const std::string& client_id,
                           const std::vector<std::pair<std::string, std::string>>& settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  auto set = [&](const std::string& key, const std::string& value) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw StateTopicError("state topic " + options.topic + ": Kafka property " + key + ": " +
                            err);
    }
  };
  set("bootstrap.servers", options.brokers);
  set("client.id", client_id);
  for (const auto& [k, v] : options.properties) set(k, v);
  for (const auto& [k, v] : settings) set(k, v);
  return conf;
}

rd_kafka_t* make_client(rd_kafka_type_t type, rd_kafka_conf_t* conf, const std::string& what) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw StateTopicError("cannot create the Kafka client for " + what + ": " + err);
  }
  return rk;
}

namespace {

struct Deleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
  void operator()(rd_kafka_NewTopic_t* t) const { rd_kafka_NewTopic_destroy(t); }
  void operator()(rd_kafka_ConfigResource_t* r) const { rd_kafka_ConfigResource_destroy(r); }
  void operator()(const rd_kafka_metadata_t* m) const { rd_kafka_metadata_destroy(m); }
};
template <class T>
using Owned = std::unique_ptr<T, Deleter>;

// One admin request and its result event.
class Admin {
 public:
  explicit Admin(const KafkaStateOptions& o)
      : o_(o),
        client_(make_client(RD_KAFKA_PRODUCER, make_conf(o, "newsd-state-admin", {}),
                            "the state topic " + o.topic)),
        queue_(rd_kafka_queue_new(client_.rk)) {}

  rd_kafka_t* rk() const { return client_.rk; }

  Owned<rd_kafka_AdminOptions_t> options(rd_kafka_admin_op_t op) const {
    Owned<rd_kafka_AdminOptions_t> opt(rd_kafka_AdminOptions_new(client_.rk, op));
    char err[256];
    const int ms = static_cast<int>(o_.timeout.count());
    rd_kafka_AdminOptions_set_request_timeout(opt.get(), ms, err, sizeof err);
    if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS)
      rd_kafka_AdminOptions_set_operation_timeout(opt.get(), ms, err, sizeof err);
    return opt;
  }

  // The result event, or a StateTopicError when none comes or it carries an error.
  Owned<rd_kafka_event_t> wait(const std::string& doing) const {
    Owned<rd_kafka_event_t> ev(
        rd_kafka_queue_poll(queue_.get(), static_cast<int>(o_.timeout.count()) + 5000));
    if (!ev)
      throw StateTopicError("state topic " + o_.topic + ": no answer from " + o_.brokers +
                            " while " + doing);
    if (rd_kafka_event_error(ev.get()))
      throw StateTopicError("state topic " + o_.topic + ": " + doing +
                            " failed: " + rd_kafka_event_error_string(ev.get()));
    return ev;
  }

  rd_kafka_queue_t* queue() const { return queue_.get(); }

 private:
  const KafkaStateOptions& o_;
  KafkaHandle client_;
  Owned<rd_kafka_queue_t> queue_;
};

// The topic's partition count; 0 when the cluster does not know the topic.
int partition_count(const Admin& admin, const KafkaStateOptions& o) {
  const rd_kafka_metadata_t* md = nullptr;
  // All topics: asking for one by name may make a broker auto-create it.
  const rd_kafka_resp_err_t rc =
      rd_kafka_metadata(admin.rk(), 1, nullptr, &md, static_cast<int>(o.timeout.count()));
  if (rc != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw StateTopicError("state topic " + o.topic + ": cannot read the cluster's metadata from " +
                          o.brokers + ": " + rd_kafka_err2str(rc));
  Owned<const rd_kafka_metadata_t> owned(md);
  for (int i = 0; i < md->topic_cnt; ++i)
    if (o.topic == md->topics[i].topic)
      return md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR ? md->topics[i].partition_cnt : 0;
  return 0;
}

void create(const Admin& admin, const KafkaStateOptions& o) {
  char err[512];
  Owned<rd_kafka_NewTopic_t> topic(rd_kafka_NewTopic_new(
      o.topic.c_str(), o.partitions, o.replication_factor.value_or(-1), err, sizeof err));
  if (!topic) throw StateTopicError("state topic " + o.topic + " cannot be created: " + err);
  rd_kafka_NewTopic_set_config(topic.get(), "cleanup.policy", "compact");
  rd_kafka_NewTopic_t* topics[] = {topic.get()};
  const auto opt = admin.options(RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_CreateTopics(admin.rk(), topics, 1, opt.get(), admin.queue());
  const auto ev = admin.wait("creating it");
  std::size_t n = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &n);
  for (std::size_t i = 0; i < n; ++i) {
    const rd_kafka_resp_err_t rc = rd_kafka_topic_result_error(results[i]);
    // Another instance may have created it meanwhile: then it is checked like any other.
    if (rc == RD_KAFKA_RESP_ERR_NO_ERROR || rc == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) continue;
    const char* why = rd_kafka_topic_result_error_string(results[i]);
    throw StateTopicError("state topic " + o.topic + " cannot be created on " + o.brokers + ": " +
                          (why ? why : rd_kafka_err2str(rc)));
  }
}

// nullopt: the broker asked does not know the topic yet (created a moment ago, its metadata
// not yet on every broker of a cluster).
std::optional<std::string> cleanup_policy(const Admin& admin, const KafkaStateOptions& o) {
  Owned<rd_kafka_ConfigResource_t> res(
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, o.topic.c_str()));
  rd_kafka_ConfigResource_t* resources[] = {res.get()};
  const auto opt = admin.options(RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
  rd_kafka_DescribeConfigs(admin.rk(), resources, 1, opt.get(), admin.queue());
  const auto ev = admin.wait("reading its configuration");
  std::size_t n = 0;
  const rd_kafka_ConfigResource_t** described = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(ev.get()), &n);
  for (std::size_t i = 0; i < n; ++i) {
    const rd_kafka_resp_err_t rc = rd_kafka_ConfigResource_error(described[i]);
    if (rc == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) return std::nullopt;
    if (rc != RD_KAFKA_RESP_ERR_NO_ERROR)
      throw StateTopicError("state topic " + o.topic +
                            ": cannot read its configuration: " + rd_kafka_err2str(rc));
    std::size_t entries = 0;
    const rd_kafka_ConfigEntry_t** e = rd_kafka_ConfigResource_configs(described[i], &entries);
    for (std::size_t j = 0; j < entries; ++j)
      if (std::string_view(rd_kafka_ConfigEntry_name(e[j])) == "cleanup.policy") {
        const char* v = rd_kafka_ConfigEntry_value(e[j]);
        return v ? v : "";
      }
  }
  return "";
}

}  // namespace

TopicCheck ensure_topic(const KafkaStateOptions& o) {
  if (o.partitions < 1)
    throw StateTopicError("state topic " + o.topic + ": partitions must be at least 1");
  Admin admin(o);
  TopicCheck check;
  int partitions = partition_count(admin, o);
  if (partitions == 0) {
    create(admin, o);
    check.created = true;
    // Metadata reaches every broker a little after the controller answered.
    const auto deadline = std::chrono::steady_clock::now() + o.timeout;
    while ((partitions = partition_count(admin, o)) == 0 &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (partitions == 0)
      throw StateTopicError("state topic " + o.topic + " was created but does not appear in " +
                            o.brokers + "'s metadata");
    log::get("state")->info("created the state topic {} ({} partitions, compacted)", o.topic,
                            partitions);
  }
  if (partitions != o.partitions)
    throw StateTopicError("state topic " + o.topic + " has " + std::to_string(partitions) +
                          " partitions but state.partitions is " + std::to_string(o.partitions) +
                          "; the partition count is fixed for the topic's life (it places every "
                          "source), so configure " +
                          std::to_string(partitions) + " or use a new topic");
  std::optional<std::string> read = cleanup_policy(admin, o);
  const auto deadline = std::chrono::steady_clock::now() + o.timeout;
  while (!read && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    read = cleanup_policy(admin, o);
  }
  if (!read)
    throw StateTopicError("state topic " + o.topic + ": cannot read its configuration: " +
                          rd_kafka_err2str(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART));
  const std::string& policy = *read;
  if (policy != "compact")
    throw StateTopicError("state topic " + o.topic +
                          " has cleanup.policy=" + (policy.empty() ? "(unknown)" : policy) +
                          ", but it must be exactly compact: deletion by retention would "
                          "forget seen posts (kafka-configs --alter --add-config "
                          "cleanup.policy=compact)");
  return check;
}

void init_transactions(rd_kafka_t* producer, const KafkaStateOptions& o,
                       const std::string& transactional_id) {
  rd_kafka_error_t* error =
      rd_kafka_init_transactions(producer, static_cast<int>(o.timeout.count()));
  if (error == nullptr) return;
  const std::string why = rd_kafka_error_string(error);
  rd_kafka_error_destroy(error);
  throw StateTopicError(
      "the brokers at " + o.brokers + " do not run transactions (init_transactions for " +
      transactional_id + ": " + why +
      "); exactly-once delivery needs Kafka >= 2.5 and transaction.state.log.replication.factor "
      "and transaction.state.log.min.isr no larger than the number of brokers");
}

void check_transactions(const KafkaStateOptions& o, const std::string& transactional_id) {
  KafkaHandle producer(
      make_client(RD_KAFKA_PRODUCER,
                  make_conf(o, "newsd-state-txn-check", {{"transactional.id", transactional_id}}),
                  "the transaction check"));
  init_transactions(producer.rk, o, transactional_id);
}

}  // namespace newsd::state
