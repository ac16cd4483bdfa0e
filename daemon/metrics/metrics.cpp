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

const Histogram::BucketBoundaries& freshness_buckets() {
  static const Histogram::BucketBoundaries b = {1,   5,    15,   30,   60,    120,   300,
                                                600, 1800, 3600, 7200, 21600, 43200, 86400};
  return b;
}

Metrics::Metrics()
    : registry(std::make_shared<Registry>()),
      fetches(BuildCounter()
                  .Name("newsd_fetches_total")
                  .Help("HTTP fetches by source and outcome (HTTP status, not_modified, or "
                        "error class).")
                  .Register(*registry)),
      fetch_duration(BuildHistogram()
                         .Name("newsd_fetch_duration_seconds")
                         .Help("Time from request start to complete response, by source.")
                         .Register(*registry)),
      fetch_bytes(
          BuildCounter()
              .Name("newsd_fetch_bytes_total")
              .Help("Response body bytes received (after decompression), by source; failed and "
                    "oversized transfers count what arrived before they ended.")
              .Register(*registry)),
      posts(BuildCounter()
                .Name("newsd_posts_total")
                .Help("Posts by source and result: parsed, new, updated, duplicate.")
                .Register(*registry)),
      parse_errors(BuildCounter()
                       .Name("newsd_parse_errors_total")
                       .Help("Documents that could not be parsed, by source and format.")
                       .Register(*registry)),
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
      last_success(BuildGauge()
                       .Name("newsd_source_last_success_timestamp_seconds")
                       .Help("Unix time of the source's last successful poll.")
                       .Register(*registry)),
      consecutive_failures(BuildGauge()
                               .Name("newsd_source_consecutive_failures")
                               .Help("Failed polls of the source since its last success.")
                               .Register(*registry)),
      last_new_post(BuildGauge()
                        .Name("newsd_source_last_new_post_timestamp_seconds")
                        .Help("Unix time at which the source's newest new or updated post was "
                              "acknowledged by Kafka.")
                        .Register(*registry)),
      next_poll(BuildGauge()
                    .Name("newsd_source_next_poll_timestamp_seconds")
                    .Help("Unix time at which the source is due to be polled next (interval, "
                          "server hints such as Retry-After, or error backoff).")
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
      seen_entries(BuildGauge()
                       .Name("newsd_seen_entries")
                       .Help("Posts remembered in the seen-store.")
                       .Register(*registry)),
      kafka_reachable(BuildGauge()
                          .Name("newsd_kafka_reachable")
                          .Help("1 when the last metadata request reached a broker.")
                          .Register(*registry)),
      build_info(BuildGauge()
                     .Name("newsd_build_info")
                     .Help("Always 1; the labels name the running build.")
                     .Register(*registry)) {
  families_ = {&fetches,
               &fetch_duration,
               &fetch_bytes,
               &posts,
               &parse_errors,
               &produced,
               &delivery_errors,
               &enqueue_failures,
               &ack_latency,
               &freshness,
               &queue_depth,
               &sources_paused,
               &kafka_broker_state,
               &kafka_broker_rtt,
               &kafka_producer_queue,
               &kafka_broker_errors,
               &last_success,
               &consecutive_failures,
               &last_new_post,
               &next_poll,
               &sources,
               &sources_failing,
               &config_reloads,
               &state_errors,
               &seen_entries,
               &kafka_reachable,
               &build_info};
  build_info.Add({{"version", NEWSD_VERSION}}).Set(1);
  // Series that dashboards and alerts read exist from the start, at zero.
  sources_paused.Add({}).Set(0);
  sources_failing.Add({}).Set(0);
  config_reloads.Add({{"result", "success"}});
  config_reloads.Add({{"result", "failure"}});
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

}  // namespace

std::string Metrics::serialize() const {
  std::string text;
  text.reserve(last_size_ + last_size_ / 8);  // no doubling of a 10 MB string while it grows
  AppendTo sink(text);
  std::ostream out(&sink);
  const TextSerializer serializer;
  // process_* first: the CPU time it reports then excludes this scrape's own work (13 MB of
  // text with per-source labels on 10,000 sources), so two scrapes measure what happened
  // between them.
  serializer.Serialize(out, process_collector()->Collect());
  for (const Collectable* family : families_) serializer.Serialize(out, family->Collect());
  last_size_ = text.size();
  return text;
}

}  // namespace newsd::metrics
