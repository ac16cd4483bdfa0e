// The one-pass front-matter reader against yaml-cpp: whenever the fast reader answers, yaml-cpp
// must read the same mapping.
#include "parse/front_matter.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <sstream>

#include "parse/tests/test_util.h"
#include "parse/text_util.h"

namespace newsd::parse {
namespace {

using namespace testing;

std::string dump(const FrontMatterValue& v);

std::string dump(const FrontMatter& map) {
  std::string out = "{";
  for (const FrontMatterEntry& e : map) out += "<" + e.key + ">:" + dump(e.value) + ",";
  return out + "}";
}

std::string dump(const FrontMatterValue& v) {
  switch (v.kind) {
    case FrontMatterValue::Kind::null:
      return "null";
    case FrontMatterValue::Kind::scalar:
      return "'" + v.scalar + "'";
    case FrontMatterValue::Kind::sequence: {
      std::string out = "[";
      for (const auto& item : v.items) out += (item ? "'" + *item + "'" : "~") + ",";
      return out + "]";
    }
    case FrontMatterValue::Kind::map:
      return dump(v.map);
    case FrontMatterValue::Kind::other:
      return "other";
  }
  return "?";
}

// True when the fast reader answered; then it must agree with yaml-cpp.
bool expect_agreement(const std::string& yaml) {
  const std::optional<FrontMatter> fast = read_simple_front_matter(yaml);
  if (!fast) return false;
  const Expected<FrontMatter> slow = read_front_matter_with_yaml_cpp(yaml, 2);
  EXPECT_TRUE(slow.ok()) << "yaml-cpp rejects what the fast reader took:\n"
                         << yaml << "\n"
                         << (slow.ok() ? "" : slow.error().message);
  if (slow.ok()) {
    EXPECT_EQ(dump(*fast), dump(*slow)) << "front matter:\n" << yaml;
  }
  return true;
}

std::string front_matter_of(const std::string& post) {
  std::istringstream in(post);
  std::string line;
  std::string out;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line == "---") {
      if (inside) return out;
      inside = true;
      continue;
    }
    if (inside) out += line + "\n";
  }
  return {};
}

TEST(FrontMatter, FastReaderReadsTheSeedPostsLikeYamlCpp) {
  const auto seeds = shared_dir() / "seeds";
  if (!std::filesystem::is_directory(seeds)) GTEST_SKIP() << "no " << seeds;
  int read = 0;
  for (const auto& e : std::filesystem::directory_iterator(seeds)) {
    const std::string fm = front_matter_of(read_file(e.path()));
    if (fm.empty()) continue;
    EXPECT_TRUE(expect_agreement(fm)) << e.path() << ": the fast reader gave up";
    ++read;
  }
  EXPECT_GE(read, 4);
}

TEST(FrontMatter, FastReaderReadsTheJekyllFixturesLikeYamlCpp) {
  for (const auto& e : std::filesystem::directory_iterator(data_dir())) {
    if (!e.path().filename().string().starts_with("jekyll_")) continue;
    std::string post = read_file(e.path());
    std::erase(post, '\r');
    expect_agreement(front_matter_of(post));
  }
}

// Found by the jekyll fuzz target: a NUL inside a scalar made yaml-cpp return a lone byte
// ("a\0Nb" read as "a\x85b"), and the post's title was not UTF-8.
TEST(FrontMatter, ScalarsFromYamlCppAreAlwaysUtf8) {
  const std::string yaml("title: :[a\0Nb\nkey\0N: [x\0Ny]\n", 28);
  const Expected<FrontMatter> fm = read_front_matter_with_yaml_cpp(yaml, 2);
  ASSERT_TRUE(fm.ok()) << fm.error().message;
  ASSERT_FALSE(fm->empty());
  for (const FrontMatterEntry& e : *fm) {
    EXPECT_TRUE(is_valid_utf8(e.key)) << e.key;
    EXPECT_TRUE(is_valid_utf8(e.value.scalar)) << e.value.scalar;
    for (const auto& item : e.value.items) {
      if (item) {
        EXPECT_TRUE(is_valid_utf8(*item)) << *item;
      }
    }
  }
}

TEST(FrontMatter, FastReaderReadsTheUsualShapes) {
  const std::string yaml =
      "layout: post\n"
      "title: \"a: b # c\"\n"
      "subtitle: 'it''s'\n"
      "date: 2022-01-26 20:27:25 +0800\n"
      "url: http://example.com/a#b\n"
      "empty:\n"
      "nothing: ~\n"
      "# a comment\n"
      "\n"
      "tags: [a, b c, null]\n"
      "categories:\n"
      "  - x\n"
      "  - \"y z\"\n"
      "list0:\n"
      "- p\n"
      "- ~\n";
  ASSERT_TRUE(expect_agreement(yaml));
  const FrontMatter fm = *read_simple_front_matter(yaml);
  EXPECT_EQ(dump(fm),
            "{<layout>:'post',<title>:'a: b # c',<subtitle>:'it's',"
            "<date>:'2022-01-26 20:27:25 +0800',<url>:'http://example.com/a#b',<empty>:null,"
            "<nothing>:null,<tags>:['a','b c',~,],<categories>:['x','y z',],"
            "<list0>:['p',~,],}");
}

TEST(FrontMatter, FastReaderGivesUpOnWhatItDoesNotKnow) {
  for (const char* yaml : {
           "a: &x 1\nb: *x\n",        // anchors and aliases
           "a: !!str 1\n",            // tags
           "a: |\n  text\n",          // block scalars
           "a: {b: 1}\n",             // flow mappings
           "author:\n  name: x\n",    // nested mappings
           "a: \"x\\ny\"\n",          // escapes
           "a: b\n  c\n",             // multi-line plain scalars
           "a: b # comment\n",        // comments after values
           "a: 1\na: 2\n",            // duplicate keys
           "a:\tb\n",                 // tabs
           "\"a\": b\n",              // quoted keys
           "%YAML 1.2\n---\na: b\n",  // directives and documents
           "a: b: c\n",               // not YAML
       }) {
    EXPECT_FALSE(read_simple_front_matter(yaml)) << yaml;
  }
}

// Front matters built from pieces that are on both sides of every rule of the fast reader.
std::string generated_front_matter(std::mt19937& rng) {
  static const std::vector<std::string> kKeys = {
      "title", "tags", "categories", "author", "date", "a-b", "x_1",   "2020",
      "null",  "~",    "-k",         "\"q\"",  "k k",  "url", "TITLE", "name"};
  static const std::vector<std::string> kSeparators = {": ", ":", ":  ", ": ", " : ", ":\t"};
  static const std::vector<std::string> kAtoms = {"word",
                                                  "新闻",
                                                  "a b",
                                                  "a  b",
                                                  "#",
                                                  " #x",
                                                  "a#b",
                                                  ":",
                                                  "a:b",
                                                  ": ",
                                                  "-",
                                                  "- ",
                                                  "?",
                                                  "\"",
                                                  "'",
                                                  "''",
                                                  "[",
                                                  "]",
                                                  ",",
                                                  "{",
                                                  "}",
                                                  "&a",
                                                  "*a",
                                                  "!",
                                                  "!!str",
                                                  "|",
                                                  ">",
                                                  "%",
                                                  "@",
                                                  "`",
                                                  "\\",
                                                  "\\n",
                                                  "null",
                                                  "Null",
                                                  "NULL",
                                                  "~",
                                                  "true",
                                                  "1",
                                                  "0x1F",
                                                  " ",
                                                  "  ",
                                                  "\t",
                                                  "http://e.com/a?b=c#d",
                                                  "\xC2\x85",
                                                  "\xEF\xBB\xBF",
                                                  "\xE2\x80\xA8",
                                                  "é",
                                                  "---",
                                                  "...",
                                                  "<p>",
                                                  "\x7F",
                                                  "\x01"};
  const auto pick = [&](const std::vector<std::string>& v) {
    return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)];
  };
  const auto chance = [&](int percent) {
    return std::uniform_int_distribution<int>(0, 99)(rng) < percent;
  };
  const auto text = [&] {
    std::string s;
    const int n = std::uniform_int_distribution<int>(0, 3)(rng);
    for (int i = 0; i < n; ++i)
      s += chance(60) ? pick({"word", "新闻", "a b", "x-y"}) : pick(kAtoms);
    return s;
  };
  const auto value = [&]() -> std::string {
    switch (std::uniform_int_distribution<int>(0, 5)(rng)) {
      case 0:
        return "\"" + text() + "\"" + (chance(10) ? text() : "");
      case 1:
        return "'" + text() + "'" + (chance(10) ? text() : "");
      case 2: {
        std::string s = "[";
        const int n = std::uniform_int_distribution<int>(0, 3)(rng);
        for (int i = 0; i < n; ++i) s += (i ? (chance(50) ? ", " : ",") : "") + text();
        return s + (chance(90) ? "]" : "");
      }
      default:
        return text();
    }
  };
  std::string yaml;
  const int lines = std::uniform_int_distribution<int>(0, 8)(rng);
  for (int i = 0; i < lines; ++i) {
    const int kind = std::uniform_int_distribution<int>(0, 9)(rng);
    if (kind < 5) {
      yaml += pick(kKeys) + (chance(85) ? ": " : pick(kSeparators)) + value();
    } else if (kind < 8) {
      yaml += std::string(chance(50) ? "  " : (chance(50) ? "" : " ")) + "- " + value();
    } else if (kind == 8) {
      yaml += chance(50) ? "# " + text() : "";
    } else {
      yaml += "  " + text();
    }
    yaml += chance(5) ? " " : "";
    yaml += "\n";
  }
  return yaml;
}

TEST(FrontMatter, FastReaderAgreesWithYamlCppOnGeneratedFrontMatter) {
  std::mt19937 rng(20261123);
  int taken = 0;
  constexpr int kCount = 100'000;
  for (int i = 0; i < kCount; ++i) {
    if (expect_agreement(generated_front_matter(rng))) ++taken;
    if (HasFailure()) break;
  }
  // The generator must exercise the fast reader, not only its refusals.
  EXPECT_GT(taken, kCount / 50);
}

}  // namespace
}  // namespace newsd::parse
