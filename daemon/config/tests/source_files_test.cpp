// `source_files`: OPML lists with the defaults of the YAML that includes them, and the
// slug a hand-written category becomes.
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"

namespace newsd::config {
namespace {

std::string data(const std::string& name) {
  return std::string(NEWSD_SOURCE_DIR) + "/daemon/config/tests/data/" + name;
}

std::string problems_of(const std::string& yaml) {
  try {
    load_string(yaml, "t.yaml");
  } catch (const ConfigErrors& e) {
    std::string out;
    for (const auto& p : e.problems()) out += p.to_string() + "\n";
    return out;
  }
  return "no error";
}

const std::string kKafka = "kafka: {brokers: x:1}\n";

TEST(SourceFiles, AnOpmlFileGivesOneSourcePerOutlineWithItsFolderAsCategory) {
  const Config c = load_string(
      kKafka + "source_files: ['" + data("opml_defaults_from_the_including_yaml.opml") + "']\n",
      "t.yaml");
  ASSERT_EQ(c.sources.size(), 3u);
  EXPECT_EQ(c.sources[0].name, "wire-one");
  EXPECT_EQ(c.sources[0].url, "https://one.example/feed.xml");
  EXPECT_EQ(c.sources[0].format, "auto");
  EXPECT_EQ(c.sources[0].category, "world-desk");
  EXPECT_EQ(c.sources[1].format, "atom");
  EXPECT_FALSE(c.sources[2].category);
  EXPECT_EQ(c.sources[0].interval, Source{}.interval);
  EXPECT_EQ(c.sources[0].where.line, 6);
  EXPECT_NE(c.sources[0].where.file.find(".opml"), std::string::npos);
}

TEST(SourceFiles, DefaultsOfTheIncludingItemApplyAndTheOutlineKeepsItsOwnValues) {
  const Config c = load_string(kKafka + "source_files:\n  - path: '" +
                                   data("opml_defaults_from_the_including_yaml.opml") +
                                   "'\n    defaults: {interval: 10m, category: Markets, "
                                   "robots: ignore, format: rss}\n",
                               "t.yaml");
  ASSERT_EQ(c.sources.size(), 3u);
  EXPECT_EQ(c.sources[0].interval, std::chrono::minutes(10));
  EXPECT_EQ(c.sources[0].robots, "ignore");
  EXPECT_EQ(c.sources[0].category, "world-desk");  // the folder beats the default
  EXPECT_EQ(c.sources[0].format, "rss");           // type="rss" says nothing: the default holds
  EXPECT_EQ(c.sources[1].format, "atom");          // a real type beats the default
  EXPECT_EQ(c.sources[2].category, "markets");     // no folder: the default, as a slug
}

TEST(SourceFiles, BadDefaultsAreReportedOnceAtTheirLineInTheYaml) {
  const std::string got = problems_of(kKafka + "source_files:\n  - path: '" +
                                      data("opml_defaults_from_the_including_yaml.opml") +
                                      "'\n    defaults:\n      interval: soon\n      name: x\n");
  EXPECT_EQ(got,
            "t.yaml:6:13: source_files[0].defaults.name: comes from each OPML outline\n"
            "t.yaml:5:17: source_files[0].defaults.interval: expected a duration such as 500ms, "
            "30s, 5m, 2h or 1d, got 'soon'\n")
      << got;
}

TEST(SourceFiles, AnOpmlFileThatIsNotOpmlIsAnErrorWithItsLine) {
  const std::string got =
      problems_of(kKafka + "source_files: ['" + data("opml_html_entity_is_not_xml.opml") + "']\n");
  EXPECT_NE(got.find("opml_html_entity_is_not_xml.opml:"), std::string::npos) << got;
  EXPECT_EQ(got.find("no error"), std::string::npos);
}

TEST(SourceFiles, AnItemNeedsAPath) {
  EXPECT_EQ(problems_of(kKafka + "source_files:\n  - defaults: {interval: 1m}\n"),
            "t.yaml:3:5: source_files[0].path: required key is missing\n");
}

TEST(SourceFiles, AHandWrittenCategoryBecomesASlug) {
  const Config c = load_string(
      kKafka + "sources:\n  - {name: a, url: 'http://a/', category: World News}\n", "t.yaml");
  EXPECT_EQ(c.sources[0].category, "world-news");
  EXPECT_EQ(problems_of(kKafka + "sources:\n  - {name: a, url: 'http://a/', category: '!!'}\n"),
            "t.yaml:3:43: sources[0].category: '!!' leaves nothing for a slug ([a-z0-9-])\n");
}

TEST(SourceFiles, RobotsIsObeyOrIgnore) {
  EXPECT_EQ(Source{}.robots, "obey");
  EXPECT_EQ(problems_of(kKafka + "sources:\n  - {name: a, url: 'http://a/', robots: no}\n"),
            "t.yaml:3:41: sources[0].robots: expected obey or ignore\n");
}

TEST(SourceFiles, SitemapIsAFormat) {
  const Config c = load_string(
      kKafka + "sources:\n  - {name: a, url: 'http://a/sitemap.xml', format: sitemap}\n", "t.yaml");
  EXPECT_EQ(c.sources[0].format, "sitemap");
}

}  // namespace
}  // namespace newsd::config
