#include "parse/charset.h"

#include <gtest/gtest.h>

#include "parse/text_util.h"

namespace newsd::parse {
namespace {

TEST(Charset, ReadsDeclarationsFromHeaderXmlAndMeta) {
  EXPECT_EQ(charset_from_content_type("text/xml; Charset=\"GBK\""), "GBK");
  EXPECT_EQ(charset_from_content_type("text/html"), "");
  EXPECT_EQ(charset_from_document("<?xml version='1.0' encoding='Big5'?><rss/>"), "Big5");
  EXPECT_EQ(charset_from_document("<html><head><meta charset=gb2312></head>"), "gb2312");
  EXPECT_EQ(charset_from_document(
                R"(<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">)"),
            "windows-1251");
}

TEST(Charset, KeepsValidUtf8AndStripsTheBom) {
  EXPECT_EQ(to_utf8("\xEF\xBB\xBF新华", ""), "新华");
  EXPECT_EQ(to_utf8("新华财经", ""), "新华财经");
  EXPECT_EQ(to_utf8("新华财经", "text/plain; charset=utf-8"), "新华财经");
}

TEST(Charset, ConvertsFromTheDeclaredCharset) {
  // "新华" in GBK.
  EXPECT_EQ(to_utf8("\xD0\xC2\xBB\xAA", "text/plain; charset=gbk"), "新华");
  EXPECT_EQ(to_utf8("\xD0\xC2\xBB\xAA", "text/plain; charset=gb2312"), "新华");
  // Latin-1 labels decode as windows-1252, as browsers do.
  EXPECT_EQ(to_utf8("caf\xE9 \x93q\x94", "text/html; charset=iso-8859-1"), "café “q”");
}

TEST(Charset, DetectsUndeclaredNonUtf8) {
  const std::string gbk =
      "\xD6\xD0\xB9\xFA\xC8\xCB\xC3\xF1\xD2\xF8\xD0\xD0\xBD\xF1\xCC\xEC\xB7\xA2\xB2\xBC\xC1\xCB"
      "\xD0\xC2\xB5\xC4\xBE\xAD\xBC\xC3\xCA\xFD\xBE\xDD\xA3\xAC\xCA\xD0\xB3\xA1\xB1\xED\xCF\xD6"
      "\xC6\xBD\xCE\xC8\xA1\xA3";
  const std::string out = to_utf8(gbk, "");
  EXPECT_TRUE(is_valid_utf8(out));
  EXPECT_EQ(out, "中国人民银行今天发布了新的经济数据，市场表现平稳。");
}

TEST(Charset, ReplacesInvalidSequencesWithReplacementCharacter) {
  const std::string out = to_utf8("ok\xFF\xFEnot", "text/plain; charset=utf-8");
  EXPECT_TRUE(is_valid_utf8(out));
  EXPECT_EQ(out, "ok\xEF\xBF\xBD\xEF\xBF\xBDnot");
  // An unknown charset name falls back to detection / UTF-8 repair, never a crash.
  EXPECT_TRUE(is_valid_utf8(to_utf8("a\xC3(b", "text/plain; charset=x-no-such")));
}

TEST(Charset, ConvertsUtf16WithByteOrderMark) {
  EXPECT_EQ(to_utf8(std::string("\xFF\xFE\xB0\x65\x4E\x53", 6), ""), "新华");
}

TEST(Utf8, ValidatesAndSanitizes) {
  EXPECT_TRUE(is_valid_utf8("aé新😀"));
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xE6\x96"));          // truncated
  EXPECT_EQ(sanitize_utf8("a\xE6\x96"), "a\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(TextUtil, CutsOnCodePointBoundaries) {
  EXPECT_EQ(cut_chars("新华财经", 2), "新华");
  EXPECT_EQ(cut_chars("ab", 5), "ab");
  EXPECT_EQ(normalize_ws("  a \t\n b\xE3\x80\x80 c\xC2\xA0 "), "a b c");
  EXPECT_EQ(file_slug("https://x/y/000_defc41a5a387f797.txt?x=1#f"), "000_defc41a5a387f797");
  EXPECT_EQ(resolve_url("https://e.org/a/b", "../c"), "https://e.org/c");
  EXPECT_EQ(resolve_url("not a url", "c"), "c");
}

}  // namespace
}  // namespace newsd::parse
