#include "parse/charset.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "parse/parser.h"
#include "parse/tests/test_util.h"
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

// One fixture per charset, written by python3 `.encode(charset)`: the page's title and
// paragraph must come out as this UTF-8 text.
TEST(Charset, DecodesEveryDeclaredLegacyCharsetInHtml) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"html_shift_jis_meta_charset.html", "日本語のニュース記事です。東京で桜が咲きました。"},
      {"html_euc_kr_meta_charset.html", "한국어 뉴스 기사입니다. 서울에 눈이 내렸습니다."},
      {"html_windows_1251_http_equiv.html", "Новости дня: в Москве прошёл снег."},
      {"html_windows_1252_meta_charset.html", "Café “Zürich” – naïve résumé € 5"},
      {"html_iso_8859_2_meta_charset.html", "Zażółć gęślą jaźń, Łódź"},
      {"html_iso_8859_7_meta_charset.html", "Ειδήσεις: η Αθήνα σήμερα"},
      {"html_big5_meta_charset.html", "繁體中文新聞：臺北今天下雨。"},
      {"html_gb18030_meta_charset.html", "简体中文新闻：北京今天晴。𠀀"},
      {"html_gbk_labelled_gb2312.html", "新华财经：中再集团召开工作会议。"},
  };
  for (const auto& [file, text] : cases) {
    SCOPED_TRACE(file);
    const auto items = testing::parse_ok(testing::fixture(file), Format::automatic,
                                         testing::context_for("https://charset.example/a"));
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].post.title, text);
    EXPECT_EQ(items[0].post.body_text, text);
  }
}

TEST(Charset, HttpHeaderCharsetWinsOverTheDocument) {
  // Shift_JIS bytes in a page whose meta says EUC-KR; the header is right.
  const std::string bytes = testing::fixture("html_shift_jis_meta_charset.html");
  const std::string out = to_utf8(bytes, "text/html; charset=Shift_JIS");
  EXPECT_NE(out.find("東京で桜が咲きました"), std::string::npos);
}

TEST(Charset, DecodesUtf16ByItsByteOrderMark) {
  for (const char* file : {"html_utf16le_bom.html", "html_utf16be_bom.html"}) {
    SCOPED_TRACE(file);
    const auto items = testing::parse_ok(testing::fixture(file), Format::automatic,
                                         testing::context_for("https://charset.example/a"));
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].post.title, "UTF-16 Überschrift");
    EXPECT_EQ(items[0].post.body_text, "Grüße aus 東京");
  }
}

TEST(Charset, Utf8WinsWhenTheDeclaredCharsetCannotReadTheBytes) {
  const auto items =
      testing::parse_ok(testing::fixture("html_utf8_mislabelled_shift_jis.html"), Format::automatic,
                        testing::context_for("https://charset.example/a"));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].post.title, "Ünïcödé 标题");
  EXPECT_EQ(items[0].post.body_text, "正文 text");
}

TEST(Charset, InvalidBytesBecomeReplacementCharacters) {
  const auto items = testing::parse_ok(testing::fixture("text_invalid_utf8_bytes.txt"),
                                       Format::text, testing::context_for("https://x.example/a"));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].post.title, "标题");
  EXPECT_TRUE(is_valid_utf8(items[0].post.body_text));
  EXPECT_NE(items[0].post.body_text.find("\xEF\xBF\xBD"), std::string::npos);
  EXPECT_NE(items[0].post.body_text.find("结束"), std::string::npos);
}

TEST(Charset, FindsAMetaCharsetAfterLongHeadScripts) {
  const std::string page = "<html><head><script>" + std::string(6000, ' ') +
                           "</script><meta charset=\"windows-1251\"></head><body>\xCD\xEE</body>";
  EXPECT_EQ(charset_from_document(page), "windows-1251");
  EXPECT_NE(to_utf8(page, "").find("Но"), std::string::npos);
}

}  // namespace
}  // namespace newsd::parse

namespace newsd::parse {
namespace {

TEST(Charset, ConvertsTheSameWhenAConverterIsReused) {
  // The per-thread converter cache: a truncated sequence at the end of one document must not
  // leak into the next one.
  const std::string gbk_truncated = "\xD6\xD0\xCE";  // 中 + half of 文
  const std::string gbk = "\xD6\xD0\xCE\xC4";        // 中文
  const std::string first = to_utf8(gbk_truncated, "text/plain; charset=gbk");
  EXPECT_EQ(to_utf8(gbk, "text/plain; charset=gbk"), "中文");
  EXPECT_EQ(to_utf8(gbk_truncated, "text/plain; charset=gbk"), first);
}

}  // namespace
}  // namespace newsd::parse

namespace newsd::parse {
namespace {

// normalize_ws() as its contract reads, one character at a time (text_util.h: ASCII
// whitespace, U+00A0, U+3000 and the other Unicode spaces; invalid bytes count as
// characters).
std::string reference_normalize_ws(std::string_view s) {
  static const std::vector<std::string_view> kSpaces = {
      " ",           "\t",           "\n",           "\r",           "\f",           "\v",
      "\xC2\xA0",    "\xE3\x80\x80", "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F",
      "\xEF\xBB\xBF"};
  std::string out;
  bool pending = false;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t space = 0;
    for (std::string_view sp : kSpaces) {
      if (s.substr(i).starts_with(sp)) space = sp.size();
    }
    for (unsigned char c2 = 0x80; c2 <= 0x8A && space == 0; ++c2) {  // U+2000..U+200A
      if (s.substr(i).starts_with(std::string{'\xE2', '\x80', static_cast<char>(c2)})) space = 3;
    }
    if (space > 0) {
      pending = !out.empty();
      i += space;
      continue;
    }
    if (pending) out.push_back(' ');
    pending = false;
    out.push_back(s[i++]);
  }
  return out;
}

TEST(NormalizeWs, AgreesWithTheCharacterByCharacterReadingOnGeneratedText) {
  std::mt19937 rng(7);
  const std::vector<std::string> pieces = {"a",
                                           "字",
                                           "，",
                                           "。",
                                           "「",
                                           " ",
                                           "  ",
                                           "\t",
                                           "\n",
                                           "\xC2\xA0",
                                           "\xE3\x80\x80",
                                           "\xE2\x80\x83",
                                           "\xE2\x80\x94",
                                           "\xE2\x80\xA8",
                                           "\xEF\xBB\xBF",
                                           "\xEF\xBC\x8C",
                                           "\xE3",
                                           "\xE2\x80",
                                           "\xC2",
                                           "\xEF",
                                           "\x80",
                                           "é"};
  for (int n = 0; n < 50'000; ++n) {
    std::string s;
    const int len = std::uniform_int_distribution<int>(0, 10)(rng);
    for (int i = 0; i < len; ++i) {
      s += pieces[std::uniform_int_distribution<std::size_t>(0, pieces.size() - 1)(rng)];
    }
    ASSERT_EQ(normalize_ws(s), reference_normalize_ws(s)) << "case " << n;
  }
}

}  // namespace
}  // namespace newsd::parse
