#include "config/schema.h"

#include <arpa/inet.h>
#include <unicode/timezone.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "core/topic_name.h"
#include "parse/json_template.h"

namespace newsd::config::schema {

namespace {

using namespace std::chrono_literals;

bool valid_source_name(const std::string& n) {
  return !n.empty() && n.size() <= 128 && std::all_of(n.begin(), n.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

bool valid_timezone(const std::string& tz) {
  std::unique_ptr<icu::TimeZone> zone(
      icu::TimeZone::createTimeZone(icu::UnicodeString::fromUTF8(tz)));
  return zone && *zone != icu::TimeZone::getUnknown();
}

bool http_url(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

// "127.0.0.1:9465", "[::1]:9465", "localhost:9465".
bool loopback_listen(const std::string& l) {
  const auto colon = l.rfind(':');
  if (colon == std::string::npos || colon + 1 == l.size()) return false;
  const std::string port = l.substr(colon + 1);
  if (!std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); }) ||
      port.size() > 5 || std::stoul(port) > 65535)
    return false;
  const std::string host = l.substr(0, colon);
  if (host == "localhost" || host == "[::1]") return true;
  in_addr a{};
  return inet_pton(AF_INET, host.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

bool json_pointer(const std::string& p) {
  return p.empty() || p[0] == '/';
}

// Values a key may take: its check and its help text read the same list.
using Values = std::vector<std::string>;

const Values kLogLevels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
const Values kLogFormats = {"auto", "text", "json", "journald"};
const Values kFormats = {"auto",     "rss",    "rdf",  "atom", "jsonfeed",
                         "json_api", "jekyll", "html", "text", "sitemap"};
const Values kDeliveries = {"at_least_once", "exactly_once"};
const Values kBackends = {"sqlite", "kafka"};
const Values kRobots = {"obey", "ignore"};
const Values kRecordFields = {"id",         "title",    "url",       "origin_url", "published_at",
                              "updated_at", "category", "tags",      "media",      "author",
                              "summary",    "body",     "body_html", "lang"};

bool one_of(const Values& values, const std::string& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

// "a, b, c", or with `last` before the last value: "a, b or c".
std::string joined(const Values& values, const std::string& last = ", ") {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += i + 1 == values.size() ? last : ", ";
    out += values[i];
  }
  return out;
}

// "`a`, `b`, `c`"
std::string in_code(const Values& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "`" : ", `") + v + "`";
  return out;
}

}  // namespace

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

const Table<Source>& source_keys() {
  static const Table<Source> t = {
      text("name", &Source::name)
          .required()
          .check([](const std::string& n, const Fail& fail) {
            if (!n.empty() && !valid_source_name(n))
              fail("use letters, digits, '-', '_' and '.' only (at most 128)");
          })
          .help("unique; letters, digits, `-`, `_`, `.` (at most 128); it is the record's "
                "`source`"),
      text("url", &Source::url)
          .required()
          .check([](const std::string& u, const Fail& fail) {
            if (!u.empty() && !http_url(u)) fail("must be an http:// or https:// URL");
          })
          .help("`http://` or `https://`"),
      text("format", &Source::format)
          .check([](const std::string& f, const Fail& fail) {
            if (!one_of(kFormats, f)) fail("unknown format '" + f + "' (" + joined(kFormats) + ")");
          })
          .help(in_code(kFormats) +
                "; binary content (an image, an archive, NUL bytes) is refused in every format "
                "but a gzip `sitemap` (docs/errors.md, docs/sources.md)"),
      duration("interval", &Source::interval)
          .at_least(1s)
          .help("time between polls (with ±10 % jitter)"),
      optional_section("adapt", &Source::adapt, adapt_keys,
                       "follow the source's publishing rhythm within `min` and `max` (below)"),
      flag("follow", &Source::follow)
          .help("fetch each new entry's link and take the article's full text"),
      text("timezone", &Source::timezone)
          .check([](const std::string& tz, const Fail& fail) {
            if (!valid_timezone(tz)) fail("unknown time zone '" + tz + "'");
          })
          .help("IANA zone for times written without an offset"),
      optional_text("category", &Source::category)
          .shown_as("from the document")
          .help("overrides the record's category (and so the topic); made an ASCII slug as OPML "
                "folders are (`World News` → `world-news`)"),
      optional_text("media", &Source::media)
          .shown_as("from the document")
          .help("overrides the record's media"),
      // Present when any of its keys is: they sit beside the others in the source's mapping.
      shown_as("`items`, `fields`, `detail`",
               row<Source>("items", "", "", "`json_api` mapping, below",
                           [](MapReader& r, Source& s) {
                             if (!r.get("items", false).IsDefined() &&
                                 !r.get("fields", false).IsDefined() &&
                                 !r.get("detail", false).IsDefined())
                               return;
                             JsonApi api;
                             read(r, api, json_api_keys());
                             s.json_api = std::move(api);
                           })),
      text("robots", &Source::robots)
          .check([](const std::string& v, const Fail& fail) {
            if (!one_of(kRobots, v)) fail("expected " + joined(kRobots, " or "));
          })
          .help("`obey`: URLs newsd finds on its own (followed articles, child sitemaps, "
                "detail requests to another host) are checked against robots.txt first; "
                "`ignore`: they are not. The source's own `url` is never checked "
                "(docs/sources.md)"),
      check<Source>("format",
                    [](const Source& s, const Fail& fail) {
                      if (s.format == "json_api" && !s.json_api)
                        fail("json_api sources need 'items' and 'fields'");
                    }),
      count("max_pages", &Source::max_pages)
          .range(1, 1000, "no paging")
          .help("pages read in one poll, the first included, when every entry of the first is "
                "new: older pages come from the feed's RFC 5005 links, a `Link: rel=\"next\"` "
                "header or `paging` (docs/sources.md)"),
      optional_section<Source>("paging", &Source::paging, paging_keys,
                               "older pages by a query parameter: `param` and `first` (below)"),
  };
  return t;
}

const Table<Paging>& paging_keys() {
  static const Table<Paging> t = {
      text("param", &Paging::param)
          .required()
          .check([](const std::string& p, const Fail& fail) {
            if (p.find_first_of("&=#?/ ") != std::string::npos)
              fail("a query parameter name, e.g. pageindex");
          })
          .help("the query parameter that numbers the pages, e.g. `pageindex`"),
      count("first", &Paging::first)
          .range(0, 1'000'000)
          .help("the number of the page the source's `url` shows; the next is one more"),
  };
  return t;
}

const Table<Adapt>& adapt_keys() {
  static const Table<Adapt> t = {
      duration("min", &Adapt::min)
          .at_least(1s)
          .help("the shortest interval it may learn; at most `max`"),
      duration("max", &Adapt::max).at_least(1s).help("the longest interval it may learn"),
      check<Adapt>("min",
                   [](const Adapt& a, const Fail& fail) {
                     if (a.min > a.max) fail("must not exceed adapt.max");
                   }),
  };
  return t;
}

const Table<JsonApi>& json_api_keys() {
  static const Table<JsonApi> t = {
      text("items", &JsonApi::items)
          .check([](const std::string& p, const Fail& fail) {
            if (!json_pointer(p)) fail("expected a JSON pointer such as /record");
          })
          .help("JSON pointer to the array of items, e.g. `/record`; a `json_api` source needs "
                "`items` and `fields`"),
      string_map("fields", &JsonApi::fields)
          .check([](const std::map<std::string, std::string>& fields, const Fail& fail) {
            for (const auto& [k, v] : fields) {
              if (!one_of(kRecordFields, k)) {
                fail("unknown record field '" + k + "'");
              } else if ((k == "url" || k == "origin_url") && parse::is_template(v)) {
                if (auto problem = parse::template_problem(v, fields, k))
                  fail("field '" + k + "': " + *problem);
              } else if (!json_pointer(v)) {
                fail("field '" + k + "' needs a JSON pointer");
              }
            }
          })
          .help("record field → JSON pointer in an item: " + in_code(kRecordFields) +
                ". `url` and `origin_url` may instead be a template (below), for items that "
                "carry only an id: `origin_url: \"http://…/NewsShare.html?infoCode={id}\"`"),
      shown_as("", row<JsonApi>("detail", "", "", "",
                                [](MapReader& r, JsonApi& api) {
                                  MapReader d(r.ctx(), r.get("detail", false),
                                              r.key_path("detail"));
                                  read(d, api, json_api_detail_keys());
                                  d.finish();
                                })),
  };
  return t;
}

const Table<JsonApi>& json_api_detail_keys() {
  static const Table<JsonApi> t = {
      optional_text("url", &JsonApi::detail_url)
          .help("URL template for one request per **new** item, e.g. `…/GetNewsText.do?id={id}`"),
      optional_text("body", &JsonApi::detail_body)
          .help("JSON pointer to the body in the detail response"),
      check<JsonApi>("url",
                     [](const JsonApi& api, const Fail& fail) {
                       if (api.detail_url && !http_url(*api.detail_url)) {
                         fail("must be an http:// or https:// URL template");
                       } else if (api.detail_url) {
                         if (auto problem = parse::template_problem(*api.detail_url, api.fields))
                           fail(*problem);
                       }
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
