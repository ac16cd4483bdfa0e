#include <gtest/gtest.h>

#include "parse/parser.h"

namespace newsd::parse {
namespace {

TEST(Detect, PrefersFeedContentTypes) {
  EXPECT_EQ(detect("<whatever/>", "application/atom+xml; charset=utf-8"), Format::atom);
  EXPECT_EQ(detect("<whatever/>", "application/rss+xml"), Format::rss);
  EXPECT_EQ(detect("{}", "application/feed+json"), Format::jsonfeed);
}

TEST(Detect, FindsTheRootElementBehindPrologCommentsAndDoctype) {
  EXPECT_EQ(detect("\xEF\xBB\xBF  <?xml version='1.0'?>\n<!-- c -->\n<?xml-stylesheet x?>"
                   "<feed xmlns='http://www.w3.org/2005/Atom'/>",
                   "text/xml"),
            Format::atom);
  EXPECT_EQ(detect("<?xml version='1.0'?><!DOCTYPE rss SYSTEM 'x.dtd'><rss version='2.0'/>", ""),
            Format::rss);
  EXPECT_EQ(detect("<rdf:RDF xmlns:rdf='x'></rdf:RDF>", "application/xml"), Format::rdf);
  EXPECT_EQ(detect("<?xml version='1.0'?><html><body/></html>", ""), Format::html);
}

TEST(Detect, TrustsAFeedRootOverAMislabelledHtmlContentType) {
  EXPECT_EQ(detect("<?xml version='1.0'?><rss/>", "text/html"), Format::rss);
  EXPECT_EQ(detect("<p>hi</p>", "text/html"), Format::html);
}

TEST(Detect, RecognisesHtmlPages) {
  EXPECT_EQ(detect("<!DOCTYPE html><html></html>", ""), Format::html);
  EXPECT_EQ(detect("\n\n<HTML><body>x</body></HTML>", ""), Format::html);
}

TEST(Detect, RecognisesFrontMatterAfterBlankLines) {
  EXPECT_EQ(detect("\r\n\r\n---\r\ntitle: x\r\n---\r\n", ""), Format::jekyll);
  EXPECT_EQ(detect("---\ntitle: x\n---\n", "text/markdown"), Format::jekyll);
  EXPECT_EQ(detect("---\ntitle: x\n---\n", "text/plain"), Format::jekyll);
  EXPECT_EQ(detect("------ not front matter", ""), Format::text);
}

TEST(Detect, TellsJsonFeedFromJsonApi) {
  EXPECT_EQ(detect(R"({"version": "https://jsonfeed.org/version/1.1", "items": []})", ""),
            Format::jsonfeed);
  EXPECT_EQ(detect(R"({"record": [{"infoCode": "NW1"}]})", "application/json"), Format::json_api);
  EXPECT_EQ(detect("[1,2]", ""), Format::json_api);
}

TEST(Detect, FallsBackToText) {
  EXPECT_EQ(detect("同志们：\n正文", ""), Format::text);
  EXPECT_EQ(detect("", ""), Format::text);
  EXPECT_EQ(detect("plain", "text/markdown"), Format::text);
}

TEST(FormatNames, RoundTrip) {
  for (Format f : {Format::automatic, Format::rss, Format::rdf, Format::atom, Format::jsonfeed,
                   Format::json_api, Format::jekyll, Format::html, Format::text}) {
    EXPECT_EQ(format_from_string(to_string(f)), f);
  }
  EXPECT_EQ(format_from_string("ATOM"), Format::atom);
  EXPECT_EQ(format_from_string("yaml"), std::nullopt);
}

}  // namespace
}  // namespace newsd::parse
