// Typed, validated configuration loaded from one YAML file (plus `source_files` globs).
//
// Every key is declared once: a member of the structs below, whose default initializer is its
// default, and a row of schema.cpp with its type, checks and help text (which also make
// docs/configuration.md). Unknown keys are errors. Loading collects every problem and throws
// ConfigErrors once, each error naming file:line:col and the key, so `newsd check-config` can
// print them all.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace newsd::config {

struct Location {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based
};

struct Problem {
  Location where;
  std::string key;  // dotted path, e.g. sources[2].interval
  std::string message;
  std::string to_string() const;  // file:line:col: key: message
};

class ConfigErrors : public std::runtime_error {
 public:
  explicit ConfigErrors(std::vector<Problem> problems);
  const std::vector<Problem>& problems() const { return problems_; }

 private:
  std::vector<Problem> problems_;
};

struct JsonApi {
  std::string items;                          // JSON pointer to the item array
  std::map<std::string, std::string> fields;  // record field -> JSON pointer
  std::optional<std::string> detail_url;      // template with {field} placeholders
  std::optional<std::string> detail_body;     // JSON pointer to the body in the detail
  bool operator==(const JsonApi&) const = default;
};

// Bounds for an interval learned from how often the source publishes.
struct Adapt {
  std::chrono::milliseconds min{std::chrono::minutes(1)};
  std::chrono::milliseconds max{std::chrono::hours(1)};
  bool operator==(const Adapt&) const = default;
};

// Catch-up paging by a query parameter: the page after the first is `url` with `param` set
// to `first` + 1, then `first` + 2...
struct Paging {
  std::string param;
  std::size_t first = 1;  // the number of the page `url` shows
  bool operator==(const Paging&) const = default;
};

struct Source {
  std::string name;
  std::string url;
  std::string format = "auto";
  std::chrono::milliseconds interval{std::chrono::minutes(5)};
  // When set, the interval follows the source's publishing rhythm within these bounds;
  // `interval` applies until the documents show a rhythm.
  std::optional<Adapt> adapt;
  bool follow = false;
  std::string timezone = "UTC";
  std::optional<std::string> category;  // overrides what the document says
  std::optional<std::string> media;
  std::optional<JsonApi> json_api;
  // "obey": URLs newsd finds on its own (followed links, child sitemaps, detail requests to
  // other hosts) are checked against their host's robots.txt; "ignore": they are not.
  std::string robots = "obey";
  // Pages read per poll, the first included, when every entry of the first one is new
  // (docs/sources.md, "Catch-up paging"); 1: no paging.
  std::size_t max_pages = 10;
  std::optional<Paging> paging;
  Location where;

  // Same polling settings (where it was declared does not count): a reload keeps the
  // source's state and schedule.
  bool same_settings(const Source& o) const {
    return name == o.name && url == o.url && format == o.format && interval == o.interval &&
           adapt == o.adapt && follow == o.follow && timezone == o.timezone &&
           category == o.category && media == o.media && json_api == o.json_api &&
           robots == o.robots && max_pages == o.max_pages && paging == o.paging;
  }
};

struct Kafka {
  std::string brokers;
  std::string topic = "news.{category}";
  std::map<std::string, std::string> properties;  // handed to librdkafka unchanged
  // Messages handed to the producer and not yet acknowledged; past this, polling pauses.
  std::size_t max_in_flight = 10000;
  // Where documents that cannot be parsed go, raw, with the error in headers; empty: nowhere
  // (they are logged and counted only).
  std::string dead_letter_topic;
  // at_least_once or exactly_once (posts and their seen marks in one Kafka transaction,
  // which needs state.backend kafka).
  std::string delivery = "at_least_once";
  // Empty: the default, "newsd-" + host name + "-" + a hash of state_dir (state_open.h).
  std::string transactional_id;
  std::chrono::milliseconds transaction_interval{100};
};

// Where the seen marks and poll states live (docs/state-topic.md).
struct State {
  std::string backend = "sqlite";  // sqlite (in state_dir) or kafka (a compacted topic)
  std::string topic = "newsd.state";
  std::size_t partitions = 12;         // fixed for the topic's life
  std::size_t replication_factor = 0;  // 0: the broker's default
  bool operator==(const State&) const = default;
};

struct Metrics {
  std::string listen = "127.0.0.1:9464";
  // Off for very large source lists: per-source series collapse into source="_all" and the
  // per-source gauges are not exported (newsd_sources_failing still is).
  bool per_source_labels = true;
};

// The admin listener: operator actions (poll now, pause, resume) over HTTP; off when `listen`
// is empty, loopback only.
struct Admin {
  std::string listen;
  // The bearer token callers must present: an absolute path, or the name of a systemd
  // credential (read from $CREDENTIALS_DIRECTORY); empty: no token.
  std::string token_file;
};

struct Http {
  std::string user_agent = "newsd/0.1";
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds timeout{30'000};
  std::size_t max_body = 16u << 20;
  std::string proxy;  // empty: curl's defaults (http_proxy/https_proxy environment)
  // Minimum time between two request starts to the same host (0 = no spacing).
  std::chrono::milliseconds host_spacing{500};
  std::chrono::milliseconds max_interval{std::chrono::hours(6)};  // cap for server hints
  std::chrono::milliseconds max_backoff{std::chrono::hours(1)};   // cap for error backoff
};

// Several instances sharing the sources through a Kafka consumer group (docs/operations.md,
// "Running several instances"); absent: this instance polls every source.
struct Cluster {
  std::string group;     // the consumer group every instance of the set joins
  std::string instance;  // group.instance.id (static membership); empty: dynamic
  std::chrono::milliseconds session_timeout{10'000};
};

struct Config {
  std::string state_dir = "/var/lib/newsd";
  std::string log_level = "info";
  std::string log_format = "auto";  // auto (journald under systemd, else text), text, json
  Metrics metrics;
  Kafka kafka;
  Http http;
  State state;
  std::chrono::hours retention{24 * 90};  // seen entries older than this are pruned
  // Threads parsing fetched documents; 0: one per core, at most 4. Read at start-up only.
  std::size_t parse_threads = 0;
  Admin admin;
  std::vector<Source> sources;
  std::optional<Cluster> cluster;
};

// What the configuration is loaded for. A run that prints records (`once --sink stdout`)
// needs no `kafka:` section; one that is there is checked all the same.
struct LoadOptions {
  bool require_kafka = true;
};

// Loads and validates `path`. Throws ConfigErrors listing every problem.
Config load_file(const std::string& path, LoadOptions options = {});

// Same, from text (used by tests; `name` stands for the file in messages).
Config load_string(const std::string& yaml, const std::string& name);

// "500ms", "30s", "5m", "2h", "1d" -> duration; nullopt if malformed.
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);
// "8MiB", "512KiB", "1GB", "100" (bytes) -> bytes; nullopt if malformed.
std::optional<std::size_t> parse_size(const std::string& text);
// Replaces ${NAME} with the environment variable, ${file:/path} with the file's content and
// ${credential:NAME} with $CREDENTIALS_DIRECTORY/NAME (systemd's LoadCredential=), one trailing
// newline dropped. nullopt + a message naming the reference when one cannot be resolved.
std::optional<std::string> interpolate(const std::string& text, std::string* error);

}  // namespace newsd::config
