#include "config/opml.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace newsd::config {
namespace {

std::string data(const std::string& name) {
  return std::string(NEWSD_SOURCE_DIR) + "/daemon/config/tests/data/" + name;
}

std::string problems_of(const std::string& file) {
  try {
    load_opml_file(data(file));
  } catch (const ConfigErrors& e) {
    return e.problems().at(0).to_string();
  }
  return "no error";
}

TEST(Opml, EachOutlineWithXmlUrlBecomesASourceNamedAfterItsText) {
  const OpmlImport got = load_opml_file(data("opml_folders_give_categories.opml"));
  ASSERT_EQ(got.sources.size(), 6u);
  const Source& s = got.sources[0];
  EXPECT_EQ(s.name, "daring-fireball");
  EXPECT_EQ(s.url, "https://daringfireball.net/feeds/main");
  EXPECT_EQ(s.format, "auto");  // type="rss" is what OPML writes for every subscription
  EXPECT_EQ(s.where.line, 6);
  EXPECT_EQ(s.where.column, 7);
  EXPECT_NE(s.where.file.find("opml_folders_give_categories.opml"), std::string::npos);
}

TEST(Opml, TitleStandsInForMissingTextAndXmlUrlIsFoundInAnyCase) {
  const OpmlImport got = load_opml_file(data("opml_folders_give_categories.opml"));
  EXPECT_EQ(got.sources[1].name, "julia-evans");
  EXPECT_EQ(got.sources[1].url, "https://jvns.ca/atom.xml");
  EXPECT_EQ(got.sources[1].format, "atom");
}

TEST(Opml, NamesMetAgainGetANumberInDocumentOrder) {
  const OpmlImport got = load_opml_file(data("opml_folders_give_categories.opml"));
  EXPECT_EQ(got.sources[2].name, "daring-fireball-2");
}

TEST(Opml, TheNearestEnclosingFolderIsTheCategory) {
  const OpmlImport got = load_opml_file(data("opml_folders_give_categories.opml"));
  EXPECT_EQ(got.sources[0].category, "tech-news");
  EXPECT_EQ(got.sources[3].category, "inner");
  EXPECT_EQ(got.sources[3].format, "jsonfeed");
  EXPECT_FALSE(got.sources[4].category);
}

TEST(Opml, NonLatinTitlesAreTransliteratedAndAnEmptyOneGivesTheHost) {
  const OpmlImport got = load_opml_file(data("opml_folders_give_categories.opml"));
  EXPECT_EQ(got.sources[4].name, "xin-hua-cai-jing");
  EXPECT_EQ(got.sources[5].name, "feeds-example-org");
  EXPECT_EQ(got.sources[5].category, "asia");  // from the category attribute
}

TEST(Opml, OutlinesThatAreNotFeedsAreSkippedWithWhereAndWhy) {
  const OpmlImport got = load_opml_file(data("opml_skipped_outlines.opml"));
  ASSERT_EQ(got.sources.size(), 1u);
  EXPECT_EQ(got.sources[0].name, "a-feed");
  ASSERT_EQ(got.skipped.size(), 4u);
  EXPECT_EQ(got.skipped[0].where.line, 4);
  EXPECT_NE(got.skipped[0].message.find("not an http"), std::string::npos);
  EXPECT_NE(got.skipped[1].message.find("already imported"), std::string::npos);
  EXPECT_NE(got.skipped[2].message.find("type=\"link\""), std::string::npos);
  EXPECT_NE(got.skipped[3].message.find("type=\"source\""), std::string::npos);
}

TEST(Opml, Latin1WithCarriageReturnsIsReadWithRightLines) {
  const OpmlImport got = load_opml_file(data("opml_latin1_with_cr_line_endings.opml"));
  ASSERT_EQ(got.sources.size(), 1u);
  EXPECT_EQ(got.sources[0].name, "le-monde-a-la-une");
  EXPECT_EQ(got.sources[0].category, "actualites");
  EXPECT_EQ(got.sources[0].where.line, 6);
}

TEST(Opml, BadFilesGiveFileLineErrors) {
  const std::string entity = problems_of("opml_html_entity_is_not_xml.opml");
  EXPECT_NE(entity.find("opml_html_entity_is_not_xml.opml:4:"), std::string::npos) << entity;
  EXPECT_NE(entity.find("not well-formed XML"), std::string::npos) << entity;
  const std::string body = problems_of("opml_without_body.opml");
  EXPECT_NE(body.find("opml_without_body.opml:2:1: opml: <opml> has no <body>"), std::string::npos)
      << body;
  EXPECT_NE(problems_of("no_such_file.opml").find("cannot read file"), std::string::npos);
  try {
    load_opml_string("<rss/>", "x.opml");
    FAIL();
  } catch (const ConfigErrors& e) {
    EXPECT_EQ(e.problems().at(0).to_string(),
              "x.opml:1:1: opml: not an OPML document (root element <rss>)");
  }
}

TEST(Opml, TheYamlIsAConfigThatLoadsToTheSameSources) {
  for (const char* file : {"opml_folders_give_categories.opml", "opml_skipped_outlines.opml",
                           "opml_latin1_with_cr_line_endings.opml"}) {
    SCOPED_TRACE(file);
    const OpmlImport got = load_opml_file(data(file));
    const std::string yaml = "kafka: {brokers: 127.0.0.1:9092}\n" + sources_to_yaml(got.sources);
    const Config cfg = load_string(yaml, "imported.yaml");
    ASSERT_EQ(cfg.sources.size(), got.sources.size());
    for (std::size_t i = 0; i < cfg.sources.size(); ++i) {
      EXPECT_EQ(cfg.sources[i].name, got.sources[i].name);
      EXPECT_EQ(cfg.sources[i].url, got.sources[i].url);
      EXPECT_EQ(cfg.sources[i].format, got.sources[i].format);
      EXPECT_EQ(cfg.sources[i].category, got.sources[i].category);
    }
  }
}

TEST(Opml, CharactersUrisDoNotAllowArePercentEncoded) {
  const OpmlImport got = load_opml_string(
      "<opml><body><outline text='a' xmlUrl=' https://e.com/${HOME}/caf\xC3\xA9 x'/></body></opml>",
      "u.opml");
  ASSERT_EQ(got.sources.size(), 1u);
  EXPECT_EQ(got.sources[0].url, "https://e.com/$%7BHOME%7D/caf%C3%A9%20x");
  const std::string yaml = "kafka: {brokers: 127.0.0.1:9092}\n" + sources_to_yaml(got.sources);
  EXPECT_EQ(load_string(yaml, "u.yaml").sources.at(0).url, got.sources[0].url);
}

TEST(Opml, AnEmptyListIsAnEmptySourcesList) {
  EXPECT_EQ(sources_to_yaml({}), "sources: []\n");
  const OpmlImport got = load_opml_string("<opml><body/></opml>", "e.opml");
  EXPECT_TRUE(got.sources.empty());
}

TEST(Opml, SlugsAreAsciiLowerCaseWithSingleHyphens) {
  EXPECT_EQ(ascii_slug("  Hello,  World! "), "hello-world");
  EXPECT_EQ(ascii_slug("Ελληνικά νέα"), "ellenika-nea");
  EXPECT_EQ(ascii_slug("***"), "");
  EXPECT_EQ(ascii_slug("abcdef", 3), "abc");
}

TEST(Opml, ReadsTheSharedCorpus) {
  const std::filesystem::path dir = std::filesystem::path(NEWSD_SHARED_DIR) / "corpus/opml";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "corpus absent: " << dir;
  // Feeds per file; -1 for files that are not OPML documents newsd reads.
  const std::map<std::string, int> expected = {
      {"Ranchero-Software_Subs.opml", 207}, {"brightdigit_category.opml", 0},
      {"brightdigit_directory.opml", 0},    {"kurtmckee_html-entity-attribute.xml", -1},
      {"lwindolf_feedlist_he.opml", 29},    {"newsboat_body-element-missing.opml", -1},
      {"newsboat_example.opml", 7},         {"nicolus_google-reader.opml", 22},
      {"nicolus_newsbeuter.opml", 35},      {"nicolus_subscriptionList.opml", 14},
  };
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    SCOPED_TRACE(name);
    const auto it = expected.find(name);
    ASSERT_NE(it, expected.end()) << "no expectation written down";
    try {
      const OpmlImport got = load_opml_file(e.path().string());
      EXPECT_EQ(static_cast<int>(got.sources.size()), it->second);
      const std::string yaml = "kafka: {brokers: 127.0.0.1:9092}\n" + sources_to_yaml(got.sources);
      EXPECT_EQ(load_string(yaml, name).sources.size(), got.sources.size());
    } catch (const ConfigErrors& err) {
      EXPECT_EQ(it->second, -1) << err.what();
    }
  }
}

}  // namespace
}  // namespace newsd::config
