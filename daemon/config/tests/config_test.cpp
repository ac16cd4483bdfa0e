#include "config/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>

#include "config/internal.h"
#include "config/tests/errors_of.h"

namespace newsd::config {
namespace {

using namespace std::chrono_literals;

TEST(Config, LoadsTheDesignExampleShape) {
  const auto cfg = load_string(R"(
state_dir: /var/lib/newsd
metrics:
  listen: 127.0.0.1:9464
kafka:
  brokers: 127.0.0.1:9092
  topic: news.{category}
  properties:
    compression.type: zstd
sources:
  - name: finews
    url: https://finews.withounder.com/feed.xml
    format: atom
    interval: 60s
    follow: true
    timezone: Asia/Shanghai
  - name: eastmoney-37
    url: http://api.example/webapi?marketType=37&count=100
    format: json_api
    items: /record
    fields: {id: /infoCode, title: /title, published_at: /datetime, media: /medianame}
    detail: {url: "http://api.example/GetNewsText.do?id={id}", body: /text}
    timezone: Asia/Shanghai
)",
                               "design.yaml");
  ASSERT_EQ(cfg.sources.size(), 2u);
  EXPECT_EQ(cfg.sources[0].interval, 60s);
  EXPECT_TRUE(cfg.sources[0].follow);
  EXPECT_EQ(cfg.sources[0].timezone, "Asia/Shanghai");
  EXPECT_EQ(cfg.kafka.properties.at("compression.type"), "zstd");
  ASSERT_TRUE(cfg.sources[1].json_api);
  EXPECT_EQ(cfg.sources[1].json_api->fields.at("id"), "/infoCode");
  EXPECT_EQ(*cfg.sources[1].json_api->detail_url, "http://api.example/GetNewsText.do?id={id}");
  EXPECT_EQ(cfg.sources[0].where.line, 11);
}

TEST(Config, ReportsEveryErrorWithFileLineColumnAndKey) {
  const std::string path =
      std::string(NEWSD_SOURCE_DIR) + "/daemon/config/tests/data/every_error_at_once.yaml";
  try {
    load_file(path);
    FAIL() << "expected errors";
  } catch (const ConfigErrors& e) {
    const std::string all = e.what();
    EXPECT_NE(all.find(path + ":4:3: kafka.colour: unknown key"), std::string::npos) << all;
    EXPECT_NE(all.find("sources[1].name: use letters"), std::string::npos) << all;
    EXPECT_NE(all.find(path + ":10:10: sources[1].url: must be an http"), std::string::npos) << all;
    EXPECT_NE(all.find("sources[1].format: unknown format 'yaml'"), std::string::npos) << all;
    EXPECT_NE(all.find("sources[1].interval: expected a duration"), std::string::npos) << all;
    EXPECT_NE(all.find("sources[1].timezone: unknown time zone"), std::string::npos) << all;
    EXPECT_NE(all.find("duplicate source name 'ok'"), std::string::npos) << all;
    EXPECT_EQ(e.problems().size(), 7u) << all;
  }
}

TEST(Config, RejectsUnknownTopLevelKeys) {
  const auto errs = errors_of("kafka: {brokers: x:1}\nsourcse: []\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0], "t.yaml:2:1: sourcse: unknown key");
}

TEST(Config, RequiresKafkaBrokers) {
  const auto errs = errors_of("state_dir: /tmp\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].find("kafka: required key is missing"), std::string::npos);
}

TEST(Config, KafkaIsNotRequiredWhenRecordsArePrintedButIsCheckedWhenGiven) {
  const std::string path = ::testing::TempDir() + "/no_kafka.yaml";
  std::ofstream(path) << "state_dir: /tmp\nsources: []\n";
  EXPECT_EQ(load_file(path, {.require_kafka = false}).kafka.brokers, "");
  EXPECT_THROW(load_file(path), ConfigErrors);
  std::ofstream(path) << "kafka: {brokers: x:1, properties: {acks: '1'}}\n";
  EXPECT_THROW(load_file(path, {.require_kafka = false}), ConfigErrors);
  std::remove(path.c_str());
}

TEST(Config, ReportsSyntaxErrorsWithPosition) {
  const auto errs = errors_of("kafka:\n  brokers: [unclosed\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].rfind("t.yaml:", 0), 0u);
}

TEST(Config, ReplacesEnvironmentVariables) {
  ::setenv("NEWSD_TEST_BROKERS", "10.0.0.1:9092", 1);
  const auto cfg = load_string("kafka: {brokers: '${NEWSD_TEST_BROKERS}'}\n", "t.yaml");
  EXPECT_EQ(cfg.kafka.brokers, "10.0.0.1:9092");
  ::unsetenv("NEWSD_TEST_UNSET_VAR");
  const auto errs = errors_of("kafka: {brokers: '${NEWSD_TEST_UNSET_VAR}'}\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].find("${NEWSD_TEST_UNSET_VAR} is not set"), std::string::npos);
}

// A scratch directory standing in for systemd's $CREDENTIALS_DIRECTORY.
class SecretFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("newsd-config-secrets-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    ::unsetenv("CREDENTIALS_DIRECTORY");
    std::filesystem::remove_all(dir_);
  }
  std::string write(const std::string& name, const std::string& content) {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }
  std::filesystem::path dir_;
};

TEST_F(SecretFiles, FileReferenceReadsTheFileWithoutItsTrailingNewline) {
  const auto path = write("password", "s3cret\n");
  const auto cfg = load_string(
      "kafka: {brokers: x:1, properties: {sasl.password: '${file:" + path + "}'}}\n", "t.yaml");
  EXPECT_EQ(cfg.kafka.properties.at("sasl.password"), "s3cret");
}

TEST_F(SecretFiles, CredentialReferenceReadsFromTheCredentialsDirectory) {
  write("kafka-sasl-password", "p@ss word\r\n");
  ::setenv("CREDENTIALS_DIRECTORY", dir_.c_str(), 1);
  const auto cfg = load_string(
      "kafka: {brokers: x:1, properties: {sasl.password: '${credential:kafka-sasl-password}'}}\n",
      "t.yaml");
  EXPECT_EQ(cfg.kafka.properties.at("sasl.password"), "p@ss word");
}

TEST_F(SecretFiles, UnresolvableReferencesSayWhy) {
  ::unsetenv("CREDENTIALS_DIRECTORY");
  auto errs = errors_of("kafka: {brokers: '${credential:pw}'}\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].find("$CREDENTIALS_DIRECTORY is not set"), std::string::npos) << errs[0];

  ::setenv("CREDENTIALS_DIRECTORY", dir_.c_str(), 1);
  errs = errors_of("kafka: {brokers: '${credential:../etc/passwd}'}\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].find("plain file name"), std::string::npos) << errs[0];

  errs = errors_of("kafka: {brokers: '${file:" + (dir_ / "absent").string() + "}'}\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].find("No such file or directory"), std::string::npos) << errs[0];

  errs = errors_of("kafka: {brokers: '${file:relative/pw}'}\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].find("must be absolute"), std::string::npos) << errs[0];

  errs = errors_of("kafka: {brokers: '${file:" + dir_.string() + "}'}\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].find("not a regular file"), std::string::npos) << errs[0];

  write("huge", std::string(64 * 1024 + 1, 'x'));
  errs = errors_of("kafka: {brokers: '${file:" + (dir_ / "huge").string() + "}'}\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].find("larger than 64 KiB"), std::string::npos) << errs[0];
}

TEST(Config, ReadsAdaptiveIntervalBounds) {
  const auto cfg = load_string(
      "kafka: {brokers: x:1}\nsources:\n  - {name: a, url: 'http://h/f', adapt: {min: 30s, "
      "max: 2h}}\n  - {name: b, url: 'http://h/g'}\n",
      "t.yaml");
  ASSERT_TRUE(cfg.sources[0].adapt);
  EXPECT_EQ(cfg.sources[0].adapt->min, 30s);
  EXPECT_EQ(cfg.sources[0].adapt->max, 2h);
  EXPECT_FALSE(cfg.sources[1].adapt);
  const auto errs = errors_of(
      "kafka: {brokers: x:1}\nsources:\n  - {name: a, url: 'http://h/f', adapt: {min: 2h, "
      "max: 1m, every: 3}}\n");
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_NE(errs[0].find("adapt.min: must not exceed adapt.max"), std::string::npos) << errs[0];
  EXPECT_NE(errs[1].find("adapt.every"), std::string::npos) << errs[1];
}

// check-config lists a file's problems in the order the keys are read; a check that needs a
// later key (or used to be made after it) reports after that key's own problems.
TEST(Config, ReportsProblemsInTheOrderTheKeysAreRead) {
  const auto errs = errors_of(
      "log_level: loud\nlog_format: loud\nmetrics: {listen: nocolon, per_source_labels: "
      "maybe}\nkafka: {brokers: x:1, properties: {acks: '1'}, max_in_flight: 0}\n");
  ASSERT_EQ(errs.size(), 6u);
  EXPECT_EQ(errs[0], "t.yaml:2:13: log_format: expected auto, text, json or journald");
  EXPECT_EQ(errs[1],
            "t.yaml:1:12: log_level: expected one of trace, debug, info, warn, error, critical, "
            "off");
  EXPECT_EQ(errs[2], "t.yaml:3:47: metrics.per_source_labels: expected true or false, got 'maybe'");
  EXPECT_EQ(errs[3], "t.yaml:3:19: metrics.listen: expected HOST:PORT, e.g. 127.0.0.1:9464");
  EXPECT_EQ(errs[4],
            "t.yaml:4:63: kafka.max_in_flight: expected a whole number from 1 to 10000000");
  EXPECT_EQ(errs[5],
            "t.yaml:4:35: kafka.properties: acks must stay at its default: newsd never loses a "
            "post");
}

TEST(Config, RefusesToWeakenDeliveryGuarantees) {
  const auto errs = errors_of("kafka: {brokers: x:1, properties: {acks: '1'}}\n");
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].find("acks must stay at its default"), std::string::npos);
}

TEST(Config, DeadLetterTopicIsOffByDefaultAndMustBeAKafkaTopicName) {
  EXPECT_EQ(load_string("kafka: {brokers: x:1}\n", "t.yaml").kafka.dead_letter_topic, "");
  EXPECT_EQ(load_string("kafka: {brokers: x:1, dead_letter_topic: news.dead-letters}\n", "t.yaml")
                .kafka.dead_letter_topic,
            "news.dead-letters");
  for (const char* bad : {"'news dead'", "'news/{source}'", "'..'", "'新闻'"}) {
    const auto errs =
        errors_of(std::string("kafka: {brokers: x:1, dead_letter_topic: ") + bad + "}\n");
    ASSERT_EQ(errs.size(), 1u) << bad;
    EXPECT_NE(errs[0].find("kafka.dead_letter_topic: expected a Kafka topic name"),
              std::string::npos)
        << errs[0];
  }
}

// The eastmoney seed shape: list items carry an infoCode, the record's id.
std::string json_api_source(const std::string& fields, const std::string& detail_url) {
  return "kafka: {brokers: x:1}\nsources:\n  - name: em\n    url: http://api.example/list\n"
         "    format: json_api\n    items: /record\n    fields: " +
         fields + "\n    detail: {url: \"" + detail_url + "\", body: /text}\n";
}

TEST(Config, JsonApiTemplatesNameRecordFieldsOrItemMembers) {
  const std::string fields =
      "{id: /infoCode, title: /title, media: /medianame, "
      "origin_url: \"http://finance.example/NewsShare.html?infoCode={id}\"}";
  for (const char* ok : {"http://api.example/GetNewsText.do?id={id}",
                         "http://api.example/GetNewsText.do?id={infoCode}",
                         "http://api.example/GetNewsText.do?id={/infoCode}&c={category}"}) {
    EXPECT_TRUE(errors_of(json_api_source(fields, ok)).empty()) << ok;
  }
  const auto cfg = load_string(json_api_source(fields, "http://a.example/?id={id}"), "t.yaml");
  EXPECT_EQ(cfg.sources.at(0).json_api->fields.at("origin_url"),
            "http://finance.example/NewsShare.html?infoCode={id}");
}

TEST(Config, RejectsJsonApiTemplatesThatCouldNeverBeRendered) {
  const std::string fields = "{id: /infoCode, title: /title}";
  for (const char* bad : {"http://api.example/GetNewsText.do?id={author}",  // not mapped
                          "http://api.example/GetNewsText.do?id={body}",
                          "http://api.example/GetNewsText.do?id={id"}) {
    const auto errs = errors_of(json_api_source(fields, bad));
    ASSERT_EQ(errs.size(), 1u) << bad;
    EXPECT_NE(errs[0].find("t.yaml:8:"), std::string::npos) << errs[0];
    EXPECT_NE(errs[0].find("sources[0].detail.url: "), std::string::npos) << errs[0];
  }
  const auto errs = errors_of(json_api_source(
      "{id: /infoCode, origin_url: \"http://f.example/s?c={media}\"}", "http://a.example/{id}"));
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_NE(errs[0].find("sources[0].fields: "), std::string::npos) << errs[0];
  EXPECT_NE(errs[0].find("{media}"), std::string::npos) << errs[0];
}

TEST(Config, ParsesDurationsWithUnits) {
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("30s"), 30s);
  EXPECT_EQ(parse_duration("5m"), 5min);
  EXPECT_EQ(parse_duration("1.5h"), 90min);
  EXPECT_EQ(parse_duration("1d"), 24h);
  EXPECT_FALSE(parse_duration("5"));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_FALSE(parse_duration("s"));
}

TEST(Config, ParsesSizesWithUnits) {
  EXPECT_EQ(parse_size("8MiB"), 8u << 20);
  EXPECT_EQ(parse_size("512KiB"), 512u << 10);
  EXPECT_EQ(parse_size("1GB"), 1000000000u);
  EXPECT_EQ(parse_size("100"), 100u);
  EXPECT_FALSE(parse_size("8 parsecs"));
}

TEST(Config, ParseThreadsDefaultsToAutomaticAndIsBounded) {
  const std::string base = "kafka:\n  brokers: 127.0.0.1:9092\n";
  EXPECT_EQ(load_string(base, "t.yaml").parse_threads, 0u);
  EXPECT_EQ(load_string(base + "parse_threads: 3\n", "t.yaml").parse_threads, 3u);
  for (const char* bad : {"65", "-1", "two", "1.5"}) {
    const auto errors = errors_of(base + "parse_threads: " + bad + "\n");
    ASSERT_EQ(errors.size(), 1u) << bad;
    EXPECT_NE(errors[0].find("parse_threads: expected a whole number from 0"), std::string::npos)
        << errors[0];
  }
}

// What a load amounts to, for comparing two ways of reading one document: the sources with
// where each was declared, or every problem reported.
std::string outcome(const std::function<Config()>& load) {
  std::string out;
  try {
    const Config c = load();
    for (const auto& s : c.sources) {
      out += s.name + " " + s.url + " " + s.format + " " + std::to_string(s.interval.count()) +
             " " + s.timezone + " " + s.category.value_or("-") + " " +
             std::to_string(s.where.line) + ":" + std::to_string(s.where.column) + "\n";
    }
    out += "kafka " + c.kafka.brokers + " " + c.kafka.topic + "\n";
  } catch (const ConfigErrors& e) {
    for (const auto& p : e.problems()) out += "error " + p.to_string() + "\n";
  }
  return out;
}

void expect_same_as_whole(const std::string& yaml, const std::string& what) {
  const std::string split = outcome([&] { return load_string(yaml, "t.yaml"); });
  const std::string whole = outcome([&] { return detail::load_whole(yaml, "t.yaml"); });
  EXPECT_EQ(split, whole) << what << "\n--- document ---\n" << yaml;
}

TEST(ConfigSplitList, ReadsASourcesListItemByItemExactlyAsTheWholeDocument) {
  // Shapes a hand-written or generated list takes: indentation, comments and blank lines
  // between items, CRLF, block and quoted multi-line scalars, nested maps, keys after the
  // list, items with errors (their line and column must not move).
  const std::vector<std::string> items = {
      "- name: a\n  url: https://a.example/feed?x=1&y=2\n",
      "- name: b\n  url: https://b.example/*/rss\n  interval: 90s\n",
      "# a comment between items\n\n- name: c\n  url: https://c.example/\n  category: >\n    "
      "folded\n    text\n",
      "- name: d\n  url: \"https://d.example/\n    continued\"\n",
      "-\n  name: e\n  url: https://e.example/\n",
      "- {name: f, url: 'https://f.example/'}\n",
      "- name: g\n  url: https://g.example/\n  json_api:\n    items: /data\n    fields:\n"
      "      id: /id\n      title: /title\n",
      "- name: h\n  url: ftp://h.example/\n  bogus: 1\n",
      "- name: a\n  url: https://a2.example/\n",  // duplicate name
      "- just a scalar\n",
      "- name: i\n  url: https://i.example/\n  interval: |\n    10s\n",
  };
  const std::string head = "kafka:\n  brokers: 127.0.0.1:9092\n";
  for (const int indent : {0, 2, 4}) {
    for (std::size_t n = 1; n <= items.size(); ++n) {
      std::string list;
      for (std::size_t i = 0; i < n; ++i) {
        std::string item = items[i];
        std::string shifted;
        std::size_t at = 0;
        while (at < item.size()) {
          const auto end = item.find('\n', at);
          const std::string line = item.substr(at, end - at);
          if (!line.empty()) shifted += std::string(indent, ' ');
          shifted += line + "\n";
          at = end + 1;
        }
        list += shifted;
      }
      const std::string doc = head + "sources:\n" + list + "metrics:\n  listen: 127.0.0.1:1\n";
      expect_same_as_whole(doc,
                           "indent " + std::to_string(indent) + ", items " + std::to_string(n));
      EXPECT_TRUE(detail::reads_list_in_items(doc)) << doc;
      std::string crlf;
      for (const char c : doc) {
        if (c == '\n') crlf += '\r';
        crlf += c;
      }
      expect_same_as_whole(crlf, "CRLF, indent " + std::to_string(indent));
      EXPECT_TRUE(detail::reads_list_in_items(crlf)) << crlf;
    }
  }
}

TEST(ConfigSplitList, ListsLongerThanOneGroupKeepTheirIndicesAndLines) {
  std::string doc = "kafka:\n  brokers: 127.0.0.1:9092\nsources:\n";
  for (int i = 0; i < 300; ++i) {
    doc += "  - name: s" + std::to_string(i) + "\n";
    if (i % 37 == 5) doc += "    # a comment line\n\n";
    doc += "    url: " + std::string(i % 41 == 3 ? "gopher" : "https") + "://h/" +
           std::to_string(i) + "\n";
  }
  expect_same_as_whole(doc, "300 items");
  EXPECT_TRUE(detail::reads_list_in_items(doc));
  const std::string o = outcome([&] { return load_string(doc, "t.yaml"); });
  EXPECT_NE(o.find("sources[290].url"), std::string::npos) << o;  // index past the groups
}

TEST(ConfigSplitList, LeavesDocumentsItCannotCutSafelyToYamlCpp) {
  const std::string head = "kafka:\n  brokers: 127.0.0.1:9092\n";
  const std::vector<std::string> docs = {
      // An alias in one item to an anchor in another.
      head +
          "sources:\n  - &base\n    name: a\n    url: https://a.example/\n  - <<: *base\n"
          "    name: b\n",
      head + "sources:\n  - name: a\n    url: &u https://a.example/\n  - name: b\n    url: *u\n",
      // Flow list, tabs, an anchor on the list itself, the key twice.
      head + "sources: [{name: a, url: 'https://a.example/'}]\n",
      head + "sources:\n\t- name: a\n",
      head + "sources: &all\n  - name: a\n    url: https://a.example/\n",
      head + "sources:\n  - name: a\n    url: https://a.example/\nsources:\n  - name: b\n",
      // Syntax errors inside and after the list.
      head + "sources:\n  - name: a\n    url: https://a.example/\n  bad: [\n",
      head + "sources:\n  - name: a\n url: https://a.example/\n",
      head + "sources:\n  - name: a\n    url: https://a.example/\n- name: b\n",
      // Found by the config fuzz target: an item that parses alone but not in the document.
      head +
          "sources:\n  - name: b\n    url: \"hb.example/\n      continued\"\n    x >\n"
          "      folded\n  -\n    name: c\n",
      // A plain scalar on the line after `url:` is its value when the document goes on with
      // an empty key, and a key of its own when the item is read alone: the item lines match,
      // what yaml-cpp builds from them does not.
      head + "sources:\n  - name: a\n    url:\n    https://a.example/\n: 5q\n",
      // Nothing to split.
      head + "sources:\n",
      head + "sources:\n# only a comment\n",
      head,
  };
  for (const auto& d : docs) {
    expect_same_as_whole(d, "unsplittable");
    EXPECT_FALSE(detail::reads_list_in_items(d)) << d;
  }
  // Cut, but only because the split keeps what follows the list with it: a quote yaml-cpp
  // closes at the end of the document, an empty key right after the list (an empty
  // `sources:` value would take it), a quoted scalar running on into what looks like a
  // comment.
  const std::vector<std::string> cut = {
      head + "sources:\n  - name: a\n    url: \"https://a.example/\n",
      "sources:\n  - name: x /  \n\n\n\n\n\n\n: 5q\n\x15    bogus: 1\n",
      "sources:\n  - name: b\n    url: \"https://b.example/\n      x\n  # looks like a comment\n",
  };
  for (const auto& d : cut) {
    expect_same_as_whole(d, "cut at the end of the document");
    EXPECT_TRUE(detail::reads_list_in_items(d)) << d;
  }
}

TEST(ConfigSplitList, SourceFilesAreSplitToo) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("newsd-split-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "list.yaml") << "# a bare list\n- name: x\n  url: https://x.example/\n"
                                        "- name: y\n  url: ftp://y.example/\n";
    std::ofstream(dir / "map.yaml") << "sources:\n  - name: z\n    url: https://z.example/\n"
                                       "unknown_key: 1\n";
  }
  const std::string doc =
      "kafka:\n  brokers: 127.0.0.1:9092\nsource_files:\n  - " + (dir / "*.yaml").string() + "\n";
  expect_same_as_whole(doc, "source_files");
  const std::string o = outcome([&] { return load_string(doc, "t.yaml"); });
  EXPECT_NE(o.find("list.yaml:5:"), std::string::npos) << o;  // y's url, on its own line
  EXPECT_NE(o.find("map.yaml:4:"), std::string::npos) << o;   // the unknown key
  std::filesystem::remove_all(dir);
}

TEST(ConfigSplitList, TheShippedExamplesReadTheSameEitherWay) {
  for (const char* path : {NEWSD_SOURCE_DIR "/config/newsd.example.yaml",
                           NEWSD_SOURCE_DIR "/daemon/config/tests/data/every_error_at_once.yaml",
                           NEWSD_SOURCE_DIR "/tests/fuzz/corpus/config/full.yaml",
                           NEWSD_SOURCE_DIR "/tests/fuzz/corpus/config/alias.yaml",
                           NEWSD_SOURCE_DIR "/tests/fuzz/corpus/config/errors.yaml"}) {
    std::ifstream in(path);
    ASSERT_TRUE(in) << path;
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    expect_same_as_whole(text, path);
  }
}

}  // namespace
}  // namespace newsd::config
