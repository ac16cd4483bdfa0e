#include "parse/charset.h"

#include <gtest/gtest.h>
#include <unicode/ucnv.h>

#include <optional>
#include <random>
#include <vector>

#include "parse/parser.h"
#include "parse/tests/icu_reference.h"
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

// Bytes that stress the split into ASCII runs: lead bytes, trail bytes below 0x80 (Big5 and
// Shift_JIS take 0x40-0x7E, GB18030's four-byte form digits), single and paired ASCII, and
// truncated sequences at the ends.
std::string tricky_bytes(std::mt19937& rng, std::size_t length) {
  static const std::string kPool =
      "\x81\x82\xA1\xA4\xB0\xD6\xE0\xFC\xFE\xFF\x8E\x8F"
      "0123456789@AZ[\\]^_`az{|}~ \n<>&\"'\x7F\x80\xC0";
  std::string s;
  for (std::size_t i = 0; i < length; ++i) {
    if (rng() % 8 == 0) {
      s += "text ";  // a run of ASCII long enough to be copied whole
    } else {
      s.push_back(kPool[rng() % kPool.size()]);
    }
  }
  // A byte order mark would override the declaration (tested elsewhere).
  if (s.starts_with("\xFF\xFE") || s.starts_with("\xFE\xFF") || s.starts_with("\xEF\xBB\xBF")) {
    s.insert(0, "x");
  }
  return s;
}

// Well-formed text in `charset`: random picks of CJK, Cyrillic, Greek, Latin and ASCII
// encoded by ICU, with what it cannot encode substituted.
std::string encoded_text(std::mt19937& rng, const char* charset, std::size_t chars) {
  static const std::u16string kPool =
      u"新华财经中国人民银行发布數據臺灣日本語のテキストｶﾀｶﾅ한국어텍스트"
      u"Привет мир Ελληνικά καφέ café “quotes” — ¥€ abc XYZ 0123 <p>&amp; \\~@";
  std::u16string u;
  for (std::size_t i = 0; i < chars; ++i) u.push_back(kPool[rng() % kPool.size()]);
  if (rng() % 4 == 0) u += u"\U00020000\U0002A6D6";  // supplementary CJK: GB18030 four-byte
  UErrorCode status = U_ZERO_ERROR;
  UConverter* conv = ucnv_open(charset, &status);
  std::string out(u.size() * 4 + 16, '\0');
  const int32_t n = ucnv_fromUChars(conv, out.data(), static_cast<int32_t>(out.size()), u.data(),
                                    static_cast<int32_t>(u.size()), &status);
  ucnv_close(conv);
  out.resize(U_SUCCESS(status) ? static_cast<std::size_t>(n) : 0);
  return out;
}

TEST(Charset, ConvertsExactlyAsOneWholeIcuConversionOnGeneratedBytes) {
  const char* const charsets[] = {"GB18030",      "gbk",          "Big5-HKSCS", "big5",
                                  "Shift_JIS",    "windows-31j",  "EUC-KR",     "windows-949",
                                  "EUC-JP",       "windows-1251", "ISO-8859-7", "KOI8-R",
                                  "windows-1252", "windows-874",  "UTF-16LE"};
  std::mt19937 rng(11);
  int compared = 0;
  for (const char* charset : charsets) {
    const std::string content_type = std::string("text/plain; charset=") + charset;
    // The labels canonical_label() maps elsewhere (gbk -> GB18030 ...) are compared with that
    // target, as to_utf8() reads them.
    const char* icu_name = std::string_view(charset) == "gbk"         ? "GB18030"
                           : std::string_view(charset) == "big5"      ? "Big5-HKSCS"
                           : std::string_view(charset) == "Shift_JIS" ? "windows-31j"
                           : std::string_view(charset) == "EUC-KR"    ? "windows-949"
                                                                      : charset;
    for (int round = 0; round < 300; ++round) {
      const std::string bytes = round % 2 == 0 ? tricky_bytes(rng, 1 + rng() % 64)
                                               : encoded_text(rng, icu_name, 1 + rng() % 48);
      if (std::string_view(charset).starts_with("UTF-16")) continue;  // BOM-less: detection
      ASSERT_EQ(to_utf8(bytes, content_type), icu_reference::to_utf8(bytes, icu_name))
          << charset << " round " << round;
      ++compared;
    }
  }
  EXPECT_GT(compared, 4000);
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
                                           "é",
                                           "\r",
                                           "\v",
                                           "\f",
                                           "\x08",
                                           "\x0E",
                                           "words in a row ",
                                           "abcdefghijklmnopq"};
  // Up to 40 pieces: normalize_ws() takes sixteen bytes at a time where it can, so strings
  // must be long enough for blocks to start and end anywhere.
  for (int n = 0; n < 50'000; ++n) {
    std::string s;
    const int len = std::uniform_int_distribution<int>(0, n % 2 == 0 ? 10 : 40)(rng);
    for (int i = 0; i < len; ++i) {
      s += pieces[std::uniform_int_distribution<std::size_t>(0, pieces.size() - 1)(rng)];
    }
    ASSERT_EQ(normalize_ws(s), reference_normalize_ws(s)) << "case " << n;
  }
}

TEST(TextLines, NormalizesEachLineAndDropsBlankOnes) {
  EXPECT_EQ(text_lines("  first  line \r\n\n \t\n second\u3000line\n\n"),
            "first line\nsecond line");
  EXPECT_EQ(text_lines(""), "");
  EXPECT_EQ(text_lines("\n \r\n"), "");
  // Against the line-by-line reading on generated text (CR, LF, spaces, letters).
  std::mt19937 rng(3);
  const std::vector<std::string> pieces = {"a", "字", " ", "\t", "\n", "\r", "\r\n", "\xC2\xA0"};
  for (int n = 0; n < 20'000; ++n) {
    std::string s;
    const int len = std::uniform_int_distribution<int>(0, 12)(rng);
    for (int i = 0; i < len; ++i) {
      s += pieces[std::uniform_int_distribution<std::size_t>(0, pieces.size() - 1)(rng)];
    }
    std::string expected;
    for (std::string_view line : split_lines(s)) {
      const std::string norm = reference_normalize_ws(line);
      if (norm.empty()) continue;
      if (!expected.empty()) expected.push_back('\n');
      expected += norm;
    }
    ASSERT_EQ(text_lines(s), expected) << "case " << n;
  }
}

}  // namespace
}  // namespace newsd::parse
