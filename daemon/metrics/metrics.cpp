#include "metrics/metrics.h"

#include <dirent.h>
#include <prometheus/collectable.h>
#include <prometheus/text_serializer.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <ostream>
#include <sstream>
#include <streambuf>
#include <string>

#include "core/build_info.h"

namespace newsd::metrics {
namespace {

using namespace prometheus;

// process_* as the Prometheus client libraries define them, read from /proc/self.
class ProcessCollector final : public Collectable {
 public:
  std::vector<MetricFamily> Collect() const override {
    std::vector<MetricFamily> out;
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    std::ifstream stat("/proc/self/stat");
    std::string line;
    std::getline(stat, line);
    // Fields after the command name, which may itself contain spaces and parentheses.
    const auto close = line.rfind(')');
    if (close != std::string::npos) {
      std::istringstream rest(line.substr(close + 2));
      std::vector<std::string> f;
      for (std::string s; rest >> s;) f.push_back(s);
      // f[0] is field 3 (state): utime=14, stime=15, starttime=22, vsize=23, rss=24.
      if (f.size() > 21) {
        const double cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
        add(out, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
            MetricType::Counter, cpu);
        add(out, "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.", MetricType::Gauge,
            boot_time() + std::stod(f[19]) / ticks);
        add(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge,
            std::stod(f[20]));
        add(out, "process_resident_memory_bytes", "Resident memory size in bytes.",
            MetricType::Gauge, std::stod(f[21]) * page);
      }
    }
    add(out, "process_open_fds", "Number of open file descriptors.", MetricType::Gauge, open_fds());
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
      add(out, "process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge,
          static_cast<double>(rl.rlim_cur));
    return out;
  }

 private:
  static void add(std::vector<MetricFamily>& out, const char* name, const char* help,
                  MetricType type, double value) {
    MetricFamily f;
    f.name = name;
    f.help = help;
    f.type = type;
    ClientMetric m;
    if (type == MetricType::Counter)
      m.counter.value = value;
    else
      m.gauge.value = value;
    f.metric.push_back(m);
    out.push_back(std::move(f));
  }

  static double boot_time() {
    std::ifstream in("/proc/stat");
    for (std::string key; in >> key;) {
      if (key == "btime") {
        double v = 0;
        in >> v;
        return v;
      }
    }
    return 0;
  }

  static double open_fds() {
    double n = 0;
    if (DIR* d = opendir("/proc/self/fd")) {
      while (dirent* e = readdir(d))
        if (e->d_name[0] != '.') ++n;
      closedir(d);
      n -= 1;  // the directory stream's own descriptor
    }
    return n;
  }
};

std::shared_ptr<ProcessCollector> process_collector() {
  static auto c = std::make_shared<ProcessCollector>();
  return c;
}

}  // namespace

const Histogram::BucketBoundaries& latency_buckets() {
  static const Histogram::BucketBoundaries b = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                0.5,   1,    2.5,   5,    10,  30};
  return b;
}

const Histogram::BucketBoundaries& handover_buckets() {
  static const Histogram::BucketBoundaries b = {0.01, 0.05, 0.1, 0.25, 0.5, 1,  2.5,
                                                5,    10,   15,  30,   60,  120};
  return b;
}

const Histogram::BucketBoundaries& freshness_buckets() {
  static const Histogram::BucketBoundaries b = {1,   5,    15,   30,   60,    120,   300,
                                                600, 1800, 3600, 7200, 21600, 43200, 86400};
  return b;
}

Metrics::Metrics()
    : registry(std::make_shared<Registry>()),
      produced(BuildCounter()
                   .Name("newsd_kafka_messages_produced_total")
                   .Help("Messages acknowledged by Kafka, by topic.")
                   .Register(*registry)),
      delivery_errors(BuildCounter()
                          .Name("newsd_kafka_delivery_errors_total")
                          .Help("Messages whose delivery report carried an error, by topic.")
                          .Register(*registry)),
      enqueue_failures(BuildCounter()
                           .Name("newsd_kafka_enqueue_failures_total")
                           .Help("Posts the producer would not take, by reason (queue_full "
                                 "pauses polling; failed is permanent).")
                           .Register(*registry)),
      ack_latency(BuildHistogram()
                      .Name("newsd_kafka_ack_latency_seconds")
                      .Help("Time from handing a message to the producer to its successful "
                            "delivery report.")
                      .Register(*registry)),
      freshness(BuildHistogram()
                    .Name("newsd_freshness_seconds")
                    .Help("Time from a post's published_at to its Kafka acknowledgement.")
                    .Register(*registry)),
      queue_depth(BuildGauge()
                      .Name("newsd_queue_depth")
                      .Help("Items waiting in each internal queue (fetch, kafka).")
                      .Register(*registry)),
      sources_paused(BuildGauge()
                         .Name("newsd_sources_paused")
                         .Help("Sources whose polling is paused because Kafka cannot take more "
                               "messages (back-pressure).")
                         .Register(*registry)),
      kafka_broker_state(BuildGauge()
                             .Name("newsd_kafka_broker_up")
                             .Help("1 when librdkafka reports the broker connection UP.")
                             .Register(*registry)),
      kafka_broker_rtt(BuildGauge()
                           .Name("newsd_kafka_broker_rtt_seconds")
                           .Help("Average request round-trip time to the broker over the last "
                                 "statistics interval.")
                           .Register(*registry)),
      kafka_producer_queue(BuildGauge()
                               .Name("newsd_kafka_producer_queue")
                               .Help("Messages or bytes waiting in librdkafka's producer queue, "
                                     "by unit.")
                               .Register(*registry)),
      kafka_broker_errors(BuildGauge()
                              .Name("newsd_kafka_broker_errors")
                              .Help("Cumulative transmit/receive errors and timeouts per broker "
                                    "as librdkafka counts them, by kind.")
                              .Register(*registry)),
      sources(BuildGauge()
                  .Name("newsd_sources")
                  .Help("Sources in the running configuration.")
                  .Register(*registry)),
      sources_failing(BuildGauge()
                          .Name("newsd_sources_failing")
                          .Help("Sources whose last poll failed (consecutive failures > 0).")
                          .Register(*registry)),
      config_reloads(BuildCounter()
                         .Name("newsd_config_reloads_total")
                         .Help("Configuration reloads (SIGHUP) by result: success or failure.")
                         .Register(*registry)),
      state_errors(BuildCounter()
                       .Name("newsd_state_errors_total")
                       .Help("Failed reads or writes of the state database, by operation.")
                       .Register(*registry)),
      dead_letters(BuildCounter()
                       .Name("newsd_dead_letters_total")
                       .Help("Documents that could not be parsed, sent raw to the dead-letter "
                             "topic, by result: delivered, failed (not delivered; retried "
                             "when the source is polled again) or repeated (the same bytes "
                             "were sent already).")
                       .Register(*registry)),
      seen_entries(BuildGauge()
                       .Name("newsd_seen_entries")
                       .Help("Posts remembered in the seen-store.")
                       .Register(*registry)),
      seen_pruned(BuildCounter()
                      .Name("newsd_seen_pruned_total")
                      .Help("Seen entries forgotten because they were acknowledged longer ago "
                            "than the retention (a post still in its feed then is published "
                            "again).")
                      .Register(*registry)),
      kafka_reachable(BuildGauge()
                          .Name("newsd_kafka_reachable")
                          .Help("1 when the last metadata request reached a broker.")
                          .Register(*registry)),
      build_info(BuildGauge()
                     .Name("newsd_build_info")
                     .Help("Always 1; the labels name the running build.")
                     .Register(*registry)),
      kafka_transactions(BuildCounter()
                             .Name("newsd_kafka_transactions_total")
                             .Help("Kafka transactions of exactly-once delivery, by outcome: "
                                   "committed, or aborted (their posts are published again).")
                             .Register(*registry)),
      state_restore_seconds(BuildGauge()
                                .Name("newsd_state_restore_seconds")
                                .Help("How long the last restore of the state topic took.")
                                .Register(*registry)),
      state_restore_records(BuildGauge()
                                .Name("newsd_state_restore_records")
                                .Help("Records of the state topic read by the last restore "
                                      "(so far, while it runs).")
                                .Register(*registry)),
      state_records_written(BuildCounter()
                                .Name("newsd_state_records_written_total")
                                .Help("State records (seen marks, poll states, tombstones) "
                                      "acknowledged or committed by Kafka.")
                                .Register(*registry)),
      state_records_failed(BuildCounter()
                               .Name("newsd_state_records_failed_total")
                               .Help("State records lost or aborted: rolled back in memory, "
                                     "their posts are published again.")
                               .Register(*registry)),
      robots_disallowed(BuildCounter()
                            .Name("newsd_robots_disallowed_total")
                            .Help("URLs newsd found (followed articles, child sitemaps, detail "
                                  "requests to other hosts) and did not fetch because the "
                                  "host's robots.txt disallows them, or cannot be read.")
                            .Register(*registry)),
      cluster_owned_partitions(BuildGauge()
                                   .Name("newsd_cluster_owned_partitions")
                                   .Help("State partitions this instance owns (with cluster:).")
                                   .Register(*registry)),
      cluster_owned_sources(BuildGauge()
                                .Name("newsd_cluster_owned_sources")
                                .Help("Sources this instance polls: those of its partitions "
                                      "(with cluster:).")
                                .Register(*registry)),
      cluster_rebalances(BuildCounter()
                             .Name("newsd_cluster_rebalances_total")
                             .Help("Changes of this instance's partitions, by change: "
                                   "assigned, revoked (let go cleanly) or lost.")
                             .Register(*registry)),
      cluster_handover_seconds(BuildHistogram()
                                   .Name("newsd_cluster_handover_seconds")
                                   .Help("From a change of partitions to its end, by change: "
                                         "assigned (restored and polling), revoked or lost "
                                         "(polls ended, partitions let go).")
                                   .Register(*registry)) {
  using SF = SourceRegistry::Family;
  const auto src = [](SF f) { return Part{nullptr, f}; };
  const auto fam = [](const Collectable& f) { return Part{&f, {}}; };
  parts_ = {src(SF::fetches),
            src(SF::fetch_duration),
            src(SF::fetch_bytes),
            src(SF::posts),
            src(SF::parse_errors),
            fam(produced),
            fam(delivery_errors),
            fam(enqueue_failures),
            fam(ack_latency),
            fam(freshness),
            fam(queue_depth),
            fam(sources_paused),
            fam(kafka_broker_state),
            fam(kafka_broker_rtt),
            fam(kafka_producer_queue),
            fam(kafka_broker_errors),
            src(SF::last_success),
            src(SF::consecutive_failures),
            src(SF::last_new_post),
            src(SF::next_poll),
            fam(sources),
            fam(sources_failing),
            fam(config_reloads),
            fam(state_errors),
            fam(dead_letters),
            fam(seen_entries),
            fam(seen_pruned),
            fam(kafka_reachable),
            fam(build_info),
            fam(robots_disallowed),
            src(SF::gaps)};
  // The Kafka state store's families.
  parts_.insert(parts_.end(),
                {fam(kafka_transactions), fam(state_restore_seconds), fam(state_restore_records),
                 fam(state_records_written), fam(state_records_failed)});
  // Several instances' families.
  parts_.insert(parts_.end(), {fam(cluster_owned_partitions), fam(cluster_owned_sources),
                               fam(cluster_rebalances), fam(cluster_handover_seconds)});
  build_info
      .Add({{"version", std::string(build::version())}, {"commit", std::string(build::commit())}})
      .Set(1);
  // Series that dashboards and alerts read exist from the start, at zero.
  sources_paused.Add({}).Set(0);
  sources_failing.Add({}).Set(0);
  config_reloads.Add({{"result", "success"}});
  config_reloads.Add({{"result", "failure"}});
  seen_pruned.Add({});
}

namespace {

// Appends what is written to a string, without ostringstream's second copy of the text.
class AppendTo final : public std::streambuf {
 public:
  explicit AppendTo(std::string& s) : s_(s) {}

 protected:
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof()))
      s_.push_back(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* p, std::streamsize n) override {
    s_.append(p, static_cast<std::size_t>(n));
    return n;
  }

 private:
  std::string& s_;
};

void append(std::string& text, const std::vector<MetricFamily>& families) {
  AppendTo sink(text);
  std::ostream out(&sink);
  TextSerializer().Serialize(out, families);
}

}  // namespace

std::string Metrics::serialize() const {
  std::string text;
  Exposition e(*this);
  while (e.next(text, SIZE_MAX)) {
  }
  return text;
}

bool Exposition::next(std::string& out, std::size_t size) {
  const std::size_t start = out.size();
  const auto& parts = metrics_.parts_;
  while (part_ <= parts.size()) {
    if (out.size() - start >= size) return true;
    if (part_ == 0) {
      // process_* first: the CPU time it reports then excludes this scrape's own work, so two
      // scrapes measure what happened between them.
      append(out, process_collector()->Collect());
      ++part_;
      continue;
    }
    const Metrics::Part& p = parts[part_ - 1];
    if (p.family != nullptr) {
      append(out, p.family->Collect());
      ++part_;
      continue;
    }
    const std::size_t limit = size > SIZE_MAX - start ? SIZE_MAX : start + size;
    from_ = metrics_.per_source.write(p.source_family, from_, out, limit);
    if (from_.empty()) ++part_;
  }
  return out.size() > start;
}

}  // namespace newsd::metrics
