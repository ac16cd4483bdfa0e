#include "robots/robots.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace newsd::robots {
namespace {

Robots fixture(const std::string& name) {
  std::ifstream in(std::string(NEWSD_SOURCE_DIR) + "/daemon/robots/tests/data/" + name,
                   std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::ostringstream buf;
  buf << in.rdbuf();
  return Robots::parse(buf.str());
}

bool allowed(const Robots& r, std::string_view agent, std::string_view url) {
  return r.decide(agent, url).allowed;
}

TEST(Robots, AnEmptyFileAllowsEverything) {
  const Robots r = Robots::parse("");
  const Decision d = r.decide("newsd", "https://example.com/anything");
  EXPECT_TRUE(d.allowed);
  EXPECT_FALSE(d.rule);
  EXPECT_EQ(d.reason, "no group for this agent");
}

TEST(Robots, GroupsNamingTheAgentAreMergedAndHideTheStarGroup) {
  const Robots r = fixture("groups_for_one_agent_are_merged.txt");
  EXPECT_TRUE(allowed(r, "newsd", "/news/1"));  // the * group's Disallow: / does not apply
  EXPECT_FALSE(allowed(r, "newsd", "/private/x"));
  EXPECT_TRUE(allowed(r, "newsd", "/private/open/x"));  // from the second newsd group
  EXPECT_FALSE(allowed(r, "otherbot", "/news/1"));
}

TEST(Robots, AgentsAreMatchedByProductTokenCaseInsensitively) {
  const Robots r = Robots::parse("User-agent: NewsD/2.0\nDisallow: /x\n");
  EXPECT_FALSE(allowed(r, "newsd", "/x"));
  EXPECT_FALSE(allowed(r, product_token("newsd/0.1 (+https://github.com/newsd)"), "/x"));
  EXPECT_TRUE(allowed(r, "newsdbot", "/x"));
}

TEST(Robots, TheDecidingRuleIsNamedWithItsLine) {
  const Robots r = fixture("groups_for_one_agent_are_merged.txt");
  const Decision d = r.decide("newsd", "https://example.com/private/secret.html");
  EXPECT_FALSE(d.allowed);
  ASSERT_TRUE(d.rule);
  EXPECT_EQ(d.rule->line, 2);
  EXPECT_EQ(d.rule->text, "Disallow: /private/");
  EXPECT_EQ(d.reason, "matched rule");
}

TEST(Robots, TheLongestMatchWinsWhateverTheOrder) {
  const Robots r = fixture("wildcards_and_end_anchor.txt");
  EXPECT_FALSE(allowed(r, "newsd", "/about"));
  EXPECT_TRUE(allowed(r, "newsd", "/news/2024/story"));
  EXPECT_FALSE(allowed(r, "newsd", "/news/2024/print"));
}

TEST(Robots, AllowWinsATieOfEqualLength) {
  const Robots r = fixture("allow_wins_ties.txt");
  EXPECT_TRUE(allowed(r, "newsd", "/page"));
  EXPECT_TRUE(allowed(r, "newsd", "/pages"));
}

TEST(Robots, DollarAnchorsOnlyAtTheEnd) {
  const Robots r = fixture("wildcards_and_end_anchor.txt");
  EXPECT_TRUE(allowed(r, "newsd", "/"));
  EXPECT_FALSE(allowed(r, "newsd", "/news/a.pdf"));
  EXPECT_TRUE(allowed(r, "newsd", "/news/a.pdf?download=1"));
  EXPECT_TRUE(allowed(r, "newsd", "/price$5"));  // a `$` inside a pattern is literal
  EXPECT_TRUE(allowed(r, "newsd", "/price%245"));
}

TEST(Robots, StarMatchesAnyRunIncludingTheQuery) {
  const Robots r = fixture("wildcards_and_end_anchor.txt");
  EXPECT_FALSE(allowed(r, "newsd", "/search?lang=en&q=x"));
  EXPECT_TRUE(matches(normalize("/search*q="), match_target("/search?lang=en&q=x")));
  EXPECT_FALSE(matches(normalize("/search*q="), match_target("/search?lang=en")));
  EXPECT_TRUE(matches("/a*b*c", "/a--b--c--"));
  EXPECT_FALSE(matches("/a*b*c$", "/a--b--c--"));
  EXPECT_TRUE(matches("/a*c$", "/abcbc"));
  EXPECT_TRUE(matches("*", "/anything"));
  EXPECT_FALSE(matches("/a*b", "/ba"));
}

TEST(Robots, PathsAndPatternsArePercentNormalised) {
  const Robots r = fixture("percent_encoding.txt");
  EXPECT_FALSE(allowed(r, "newsd", "/新闻/today"));
  EXPECT_FALSE(allowed(r, "newsd", "/%e6%96%b0%e9%97%bb/today"));
  EXPECT_FALSE(allowed(r, "newsd", "/caf%C3%A9/menu"));
  EXPECT_FALSE(allowed(r, "newsd", "/~user/home"));         // %7E is unreserved: decoded
  EXPECT_FALSE(allowed(r, "newsd", "/a%2Fb/c"));            // escapes compare upper-cased
  EXPECT_TRUE(allowed(r, "newsd", "/a/b/c"));               // an encoded '/' is not a '/'
  EXPECT_TRUE(allowed(r, "newsd", "/file-with-a-*.html"));  // %2A is a literal star
  EXPECT_FALSE(allowed(r, "newsd", "/file-with-a-b.html"));
  EXPECT_EQ(normalize("/%7e%41%e3%83%84"), "/~A%E3%83%84");
}

TEST(Robots, AByteOrderMarkBeforeTheFirstLineIsIgnored) {
  const Robots r = fixture("bom_before_the_first_line.txt");
  EXPECT_FALSE(allowed(r, "newsd", "/private/x"));
  EXPECT_EQ(r.decide("newsd", "/private/x").rule->line, 2);
}

TEST(Robots, ARuleWithoutAColonIsStillRead) {
  const Robots r = fixture("rule_without_colon.txt");
  EXPECT_FALSE(allowed(r, "newsd", "/drafts/x"));
  EXPECT_TRUE(allowed(r, "newsd", "/drafts/public/x"));
}

TEST(Robots, LinesMayEndInALoneCarriageReturn) {
  const Robots r = fixture("cr_only_line_endings.txt");
  EXPECT_FALSE(allowed(r, "newsd", "/a/x"));
  EXPECT_TRUE(allowed(r, "newsd", "/a/b"));
  EXPECT_EQ(r.decide("newsd", "/a/b").rule->line, 3);
}

TEST(Robots, RulesBeforeTheFirstUserAgentBelongToNoGroup) {
  const Robots r = fixture("rules_before_first_user_agent.txt");
  EXPECT_TRUE(allowed(r, "newsd", "/before-any-group/x"));
  EXPECT_FALSE(allowed(r, "newsd", "/tmp/x"));
  ASSERT_EQ(r.sitemaps().size(), 1u);
  EXPECT_EQ(r.sitemaps()[0], "https://example.com/sitemap.xml");
}

TEST(Robots, CrawlDelayAndSitemapLinesAreKept) {
  const Robots r = fixture("crawl_delay_and_sitemaps.txt");
  EXPECT_EQ(r.crawl_delay("newsd"), std::chrono::seconds(30));
  EXPECT_EQ(r.crawl_delay("slowbot"), std::chrono::milliseconds(2500));
  ASSERT_EQ(r.sitemaps().size(), 1u);
  EXPECT_TRUE(allowed(r, "slowbot", "/tmp/x"));  // an empty Disallow matches nothing
  EXPECT_FALSE(allowed(r, "newsd", "/tmp/x"));
}

TEST(Robots, RobotsTxtItselfIsAlwaysAllowed) {
  const Robots r = Robots::parse("User-agent: *\nDisallow: /\n");
  EXPECT_TRUE(allowed(r, "newsd", "https://example.com/robots.txt"));
  EXPECT_FALSE(allowed(r, "newsd", "https://example.com/robots.txt.bak"));
}

TEST(Robots, UrlsAreMatchedOnPathAndQueryWithoutFragment) {
  EXPECT_EQ(match_target("https://example.com"), "/");
  EXPECT_EQ(match_target("https://example.com?x=1"), "/?x=1");
  EXPECT_EQ(match_target("https://example.com/a/b?c=d#frag"), "/a/b?c=d");
  EXPECT_EQ(match_target("/a*b$"), "/a%2Ab%24");
}

TEST(Robots, OnlyTheFirst500KiBAreRead) {
  std::string text = "User-agent: *\n";
  text.append(kMaxBytes, '#');
  text += "\nDisallow: /\n";
  const Robots r = Robots::parse(text);
  EXPECT_TRUE(r.truncated());
  EXPECT_TRUE(allowed(r, "newsd", "/x"));
}

TEST(Robots, ProductTokensAreLettersUnderscoresAndHyphens) {
  EXPECT_EQ(product_token("newsd/0.1 (+https://github.com/newsd)"), "newsd");
  EXPECT_EQ(product_token("Googlebot-News"), "Googlebot-News");
  EXPECT_EQ(product_token("/bad"), "");
}

}  // namespace
}  // namespace newsd::robots
