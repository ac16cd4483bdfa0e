// The schema's tables for the top level and its sections (schema.h); a source's tables are in
// schema_source.cpp, the checks both use in schema_checks.cpp.
#include "config/schema.h"

#include <chrono>

#include "config/schema_checks.h"
#include "core/topic_name.h"

namespace newsd::config::schema {

using namespace std::chrono_literals;
using namespace checks;

const Table<Config>& top_level_keys() {
  static const Table<Config> t = {
      text("state_dir", &Config::state_dir)
          .help("SQLite state (seen posts, polling state); one newsd per directory"),
      text("log_level", &Config::log_level).help(in_code(kLogLevels)),
      text("log_format", &Config::log_format)
          .check([](const std::string& v, const Fail& fail) {
            if (!one_of(kLogFormats, v)) fail("expected " + joined(kLogFormats, " or "));
          })
          .help("`auto` (journald under systemd, else text), `text`, `json`, `journald`"),
      check<Config>("log_level",
                    [](const Config& c, const Fail& fail) {
                      if (!one_of(kLogLevels, c.log_level))
                        fail("expected one of " + joined(kLogLevels));
                    }),
      duration("retention", &Config::retention)
          .at_least(1h)
          .help("seen entries acknowledged longer ago than this are pruned: at start, then "
                "hourly, 10,000 at a time between other work; a reload applies a new value at "
                "once (`newsd_seen_pruned_total`)"),
      count("parse_threads", &Config::parse_threads)
          .range(0, 64, "one per core")
          .help("threads parsing fetched documents; `0` is one per core, at most 4; read at "
                "start-up (a reload keeps the running pool)"),
      section("metrics", &Config::metrics, metrics_keys, false, "see below"),
      section("kafka", &Config::kafka, kafka_keys, true, "see below"),
      section("http", &Config::http, http_keys, false, "see below"),
      section("state", &Config::state, state_keys, false, "see below"),
      // Across sections: reported at kafka.delivery, where the choice is made.
      shown_as("", row<Config>("delivery", "", "", "",
                               [](MapReader& r, Config& c) {
                                 if (c.kafka.delivery != "exactly_once" ||
                                     c.state.backend == "kafka")
                                   return;
                                 MapReader k(r.ctx(), r.get("kafka", false), r.key_path("kafka"));
                                 k.fail("delivery",
                                        "exactly_once needs state.backend: kafka (the seen marks "
                                        "must join the posts' transaction)");
                               })),
      section("admin", &Config::admin, admin_keys, false, "see below"),
      // Read by the loader: a large list is read item by item (yaml_split.h).
      row<Config>("sources", "list", "`[]`", "list of sources, see below"),
      row<Config>("source_files", "list", "`[]`",
                  "glob patterns of more source files; each holds a list of sources or a "
                  "mapping with `sources:`, or is an OPML subscription list (`.opml`, "
                  "docs/sources.md). An item may instead be `{path: GLOB, defaults: {…}}`: "
                  "`defaults` holds source keys (`interval`, `category`, `follow`, …) given to "
                  "every source of the matching OPML files"),
      optional_section("cluster", &Config::cluster, cluster_keys,
                       "share the sources with other instances through a Kafka consumer group, "
                       "see below"),
      // Across sections: reported at cluster.group.
      shown_as("", row<Config>("cluster", "", "", "",
                               [](MapReader& r, Config& c) {
                                 if (!c.cluster || c.state.backend == "kafka") return;
                                 MapReader k(r.ctx(), r.get("cluster", false),
                                             r.key_path("cluster"));
                                 k.fail("group",
                                        "cluster needs state.backend: kafka (the instances share "
                                        "the state topic's partitions)");
                               })),
  };
  return t;
}

const Table<Metrics>& metrics_keys() {
  static const Table<Metrics> t = {
      text("listen", &Metrics::listen).help("`HOST:PORT` of `/metrics`, `/healthz`, `/readyz`"),
      flag("per_source_labels", &Metrics::per_source_labels)
          .help("`false` collapses per-source series into `source=\"_all\"` (for many "
                "thousands of sources)"),
      check<Metrics>("listen",
                     [](const Metrics& m, const Fail& fail) {
                       if (m.listen.rfind(':') == std::string::npos)
                         fail("expected HOST:PORT, e.g. 127.0.0.1:9464");
                     }),
  };
  return t;
}

const Table<Kafka>& kafka_keys() {
  static const Table<Kafka> t = {
      text("brokers", &Kafka::brokers)
          .required()
          .help("bootstrap servers, `host:port[,host:port…]`"),
      text("topic", &Kafka::topic)
          .help("topic template: `{source}`, `{category}`, `{lang}`; reduced to Kafka's legal "
                "characters"),
      text("dead_letter_topic", &Kafka::dead_letter_topic)
          .shown_as("off")
          .check([](const std::string& t, const Fail& fail) {
            if (!t.empty() && !legal_topic_name(t))
              fail("expected a Kafka topic name: up to 249 of A-Z a-z 0-9 . _ -");
          })
          .help("where documents that cannot be parsed go, as fetched: the value is the raw "
                "bytes, the key the source's name, and the headers `newsd_source`, `newsd_url`, "
                "`newsd_format`, `newsd_error` and `newsd_fetched_at` say where it came from and "
                "why it failed. The same bytes are sent once per run, however often the broken "
                "document is polled; a letter Kafka did not take is sent again at the next "
                "poll. A document larger than the producer's `message.max.bytes` (1 MB by "
                "default) cannot be sent and is only logged. Not used with `--sink stdout`; "
                "applies on reload"),
      string_map("properties", &Kafka::properties)
          .help("handed to librdkafka unchanged (e.g. `compression.type`, `security.protocol`, "
                "`sasl.*`, `ssl.*`). `acks` and `enable.idempotence` cannot be weakened"),
      count("max_in_flight", &Kafka::max_in_flight)
          .range(1, 10'000'000)
          .help("posts handed to the producer and not yet acknowledged; past this polling "
                "pauses (back-pressure), and once a quarter as many more wait in polls for "
                "room, no new request starts"),
      check<Kafka>("properties",
                   [](const Kafka& k, const Fail& fail) {
                     for (const char* forced : {"enable.idempotence", "acks"}) {
                       auto it = k.properties.find(forced);
                       if (it == k.properties.end()) continue;
                       const bool ok = std::string(forced) == "acks"
                                           ? (it->second == "all" || it->second == "-1")
                                           : it->second == "true";
                       if (!ok)
                         fail(std::string(forced) +
                              " must stay at its default: newsd never loses a post");
                     }
                   }),
      text("delivery", &Kafka::delivery)
          .check([](const std::string& v, const Fail& fail) {
            if (!one_of(kDeliveries, v)) fail("expected " + joined(kDeliveries, " or "));
          })
          .help("`at_least_once`: a crash may publish a post twice. `exactly_once`: posts and "
                "the seen marks that say they were published commit in one Kafka transaction, "
                "so a `read_committed` consumer sees each post once; needs `state.backend: "
                "kafka` (docs/state-topic.md). Read at start-up"),
      text("transactional_id", &Kafka::transactional_id)
          .shown_as("`newsd-HOST-HASH`")
          .help("with `exactly_once`: the producer's `transactional.id`. A restarted instance "
                "with the same id fences its predecessor; two instances must never share one. "
                "The default is the host name and a hash of `state_dir`: stable across "
                "restarts, distinct for two instances on one host (they need distinct "
                "`state_dir`s anyway). Set it when the host name is not stable (containers)"),
      duration("transaction_interval", &Kafka::transaction_interval)
          .at_least(1ms)
          .help("with `exactly_once`: a transaction is committed this long after its first "
                "write (or at 4096 writes); read_committed consumers see a post up to this "
                "much plus the commit's round trips later"),
  };
  return t;
}

const Table<State>& state_keys() {
  static const Table<State> t = {
      text("backend", &State::backend)
          .check([](const std::string& v, const Fail& fail) {
            if (!one_of(kBackends, v)) fail("expected " + joined(kBackends, " or "));
          })
          .help("`sqlite`: `state_dir`/newsd.sqlite3. `kafka`: a compacted topic, read to its "
                "end at start (docs/state-topic.md)"),
      text("topic", &State::topic)
          .check([](const std::string& t, const Fail& fail) {
            if (!legal_topic_name(t))
              fail("expected a Kafka topic name: up to 249 of A-Z a-z 0-9 . _ -");
          })
          .help("with `kafka`: the state topic; created (compacted) when missing"),
      count("partitions", &State::partitions)
          .range(1, 10'000)
          .help("with `kafka`: the state topic's partitions; fixed for the topic's life, "
                "checked at start"),
      count("replication_factor", &State::replication_factor)
          .range(0, 32'767, "the broker's default")
          .help("with `kafka`: used when newsd creates the topic; `0` is the broker's default"),
  };
  return t;
}

const Table<Http>& http_keys() {
  static const Table<Http> t = {
      text("user_agent", &Http::user_agent).help("sent with every request; put a contact in it"),
      duration("connect_timeout", &Http::connect_timeout).at_least(100ms).help("TCP + TLS connect"),
      duration("timeout", &Http::timeout)
          .at_least(100ms)
          .help("whole request, once it has a connection"),
      size("max_body", &Http::max_body)
          .help("larger bodies (also after decompression) are abandoned as `too_large`"),
      text("proxy", &Http::proxy)
          .shown_as("curl's default")
          .check([](const std::string& p, const Fail& fail) {
            if (!p.empty() && p.find("://") == std::string::npos)
              fail("expected a proxy URL such as http://proxy.example:3128");
          })
          .help("proxy URL; empty uses `http_proxy`/`https_proxy` from the environment"),
      duration("host_spacing", &Http::host_spacing)
          .at_least(0ms)
          .help("minimum time between two request starts to the same host (`0`: no spacing)"),
      duration("max_interval", &Http::max_interval)
          .at_least(1s)
          .help("no server hint (max-age, Expires, `<ttl>`) pushes a poll further than this"),
      duration("max_backoff", &Http::max_backoff)
          .at_least(1s)
          .help("cap of the exponential backoff of a failing source"),
  };
  return t;
}

const Table<Admin>& admin_keys() {
  static const Table<Admin> t = {
      text("listen", &Admin::listen)
          .shown_as("off")
          .check([](const std::string& l, const Fail& fail) {
            if (!l.empty() && !loopback_listen(l))
              fail(
                  "expected a loopback HOST:PORT (127.0.0.1:PORT or [::1]:PORT): the admin "
                  "listener changes state and is never exposed");
          })
          .help("`HOST:PORT` of the admin listener (the status API and page, plus `POST` "
                "actions: poll now, pause, resume); loopback only; read at start-up"),
      text("token_file", &Admin::token_file)
          .shown_as("none")
          .help("bearer token callers must send (`Authorization: Bearer …`): an absolute path, "
                "or the name of a systemd credential read from `$CREDENTIALS_DIRECTORY` "
                "(`LoadCredential=`); its content, trailing newline dropped; read at start-up"),
      check<Admin>("token_file",
                   [](const Admin& a, const Fail& fail) {
                     if (!a.token_file.empty() && a.listen.empty())
                       fail("a token without admin.listen: set admin.listen too");
                   }),
  };
  return t;
}

const Table<Cluster>& cluster_keys() {
  static const Table<Cluster> t = {
      text("group", &Cluster::group)
          .required()
          .help("the Kafka consumer group every instance of the set joins (`group.id`)"),
      text("instance", &Cluster::instance)
          .shown_as("dynamic")
          .check([](const std::string& i, const Fail& fail) {
            if (!i.empty() && !valid_source_name(i))
              fail("use letters, digits, '-', '_' and '.' only (at most 128)");
          })
          .help("this instance's name in the group (`group.instance.id`), unique in the set: "
                "a static member keeps its partitions across a restart quicker than "
                "`session_timeout`; without it a restart moves them twice"),
      duration("session_timeout", &Cluster::session_timeout)
          .at_least(1s)
          .help("how long the group waits for a silent instance before its sources move to "
                "the others (`session.timeout.ms`; brokers accept 6s to 30m by default)"),
  };
  return t;
}

}  // namespace newsd::config::schema
