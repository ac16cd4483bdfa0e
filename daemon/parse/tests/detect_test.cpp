#include <gtest/gtest.h>

#include "parse/parser.h"
#include "parse/tests/test_util.h"

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

// A favicon where a feed should be: an ICO header (reserved 0, type 1, one 16x16 image of
// 32 bits) and the start of its bitmap.
std::string favicon_like_bytes() {
  std::string ico(
      "\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x20\x00\x68\x04\x00\x00"
      "\x16\x00\x00\x00\x28\x00\x00\x00\x10\x00\x00\x00\x20\x00\x00\x00",
      34);
  ico.append(64, '\xFF');
  return ico;
}

std::string refusal(std::string_view bytes, Format format, std::string_view content_type = "") {
  Context ctx = testing::context_for("https://news.example/feed");
  ctx.content_type = content_type;
  const auto r = parse(bytes, format, ctx);
  return r.ok() ? "(parsed)" : r.error().message;
}

TEST(BinaryContent, AutomaticDetectionRefusesAFaviconSayingWhatItIs) {
  const std::string why = refusal(favicon_like_bytes(), Format::automatic);
  EXPECT_NE(why.find("binary content"), std::string::npos) << why;
  EXPECT_NE(why.find("ICO image"), std::string::npos) << why;
  // Also when the engine detected first (as text) and then parses in that format.
  const std::string ico = favicon_like_bytes();
  EXPECT_NE(refusal(ico, detect(ico, "")).find("ICO image"), std::string::npos);
}

TEST(BinaryContent, KnownImageAndArchiveSignaturesAreRefusedWithoutNulBytes) {
  for (const auto& [bytes, what] : std::vector<std::pair<std::string, std::string>>{
           {"\x89PNG\r\n\x1a\nIHDR", "PNG image"},
           {"GIF89a\x10\x01\x10\x01 text after", "GIF image"},
           {"\xFF\xD8\xFF\xE1 Exif", "JPEG image"},
           {"RIFF\x24\x01\x01\x01WEBPVP8 ", "WebP image"},
           {"PK\x03\x04\x14\x01\x08\x01 zip", "ZIP archive"},
           {"\x1F\x8B\x08\x08 gzip", "gzip archive"},
           {"%PDF-1.7\n%\xE2\xE3\xCF\xD3", "PDF document"}}) {
    const std::string why = refusal(bytes, Format::automatic);
    EXPECT_NE(why.find(what), std::string::npos) << why;
  }
}

TEST(BinaryContent, TextFormatRefusesNulBytes) {
  const std::string why = refusal(std::string("Title\0\0\0\nbody\n", 15), Format::text);
  EXPECT_NE(why.find("NUL bytes"), std::string::npos) << why;
}

TEST(BinaryContent, ImageResponsesAreRefusedAndOctetStreamOnlyWhenTheBytesAreBinary) {
  EXPECT_NE(refusal("<rss version='2.0'/>", Format::automatic, "image/png").find("image/png"),
            std::string::npos);
  EXPECT_NE(refusal(favicon_like_bytes(), Format::automatic, "application/octet-stream")
                .find("ICO image"),
            std::string::npos);
  EXPECT_EQ(refusal("Title\nbody\n", Format::automatic, "application/octet-stream"), "(parsed)");
}

TEST(BinaryContent, Utf16TextWithItsByteOrderMarkIsNotBinary) {
  const std::string utf16le("\xFF\xFET\0i\0t\0l\0e\0\n\0b\0o\0d\0y\0", 22);
  EXPECT_EQ(refusal(utf16le, Format::text), "(parsed)");
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
