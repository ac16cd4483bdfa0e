#include "parse/html/text.h"

#include <gtest/gtest.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <chrono>
#include <random>
#include <vector>

#include "parse/text_util.h"

namespace newsd::parse {
namespace {

TEST(HtmlText, TurnsBlocksIntoParagraphsAndDecodesEntities) {
  EXPECT_EQ(html_to_text("<p>One &amp; <b>two</b></p>\n <p>Three&nbsp;four</p>"),
            "One & two\nThree four");
  EXPECT_EQ(html_to_text("a<br>b<br/>c"), "a\nb\nc");
  EXPECT_EQ(html_to_text("<div><h2>Head</h2><ul><li>x</li><li>y</li></ul></div>"), "Head\nx\ny");
}

TEST(HtmlText, DropsScriptStyleAndComments) {
  EXPECT_EQ(html_to_text("<style>p{}</style><p>Text<!-- c --></p><script>alert(1)</script>"),
            "Text");
}

TEST(HtmlText, CollapsesWhitespaceInsideParagraphs) {
  EXPECT_EQ(html_to_text("<p>  a\n\n   b\t c  </p><p>   </p><p>d</p>"), "a b c\nd");
}

TEST(HtmlText, KeepsLinesOfPreformattedText) {
  EXPECT_EQ(html_to_text("<pre>line 1\nline 2</pre>"), "line 1\nline 2");
}

TEST(HtmlText, SurvivesDeepNestingAndBadBytes) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<div><span>";
  deep += "x";
  EXPECT_EQ(html_to_text(deep), "x");
  EXPECT_EQ(html_to_text("<p>a\xFF</p>"), "a\xEF\xBF\xBD");
}

TEST(HtmlText, StaysLinearOnHostileTagSoup) {
  // Many script blocks and a long run of unterminated tags, in a document too deep for gumbo.
  std::string soup;
  for (int i = 0; i < 1000; ++i) soup += "<div>";
  for (int i = 0; i < 100000; ++i) soup += "<script>x</SCRIPT>";
  for (int i = 0; i < 100000; ++i) soup += "<a";
  soup += "><p>tail";
  const auto start = std::chrono::steady_clock::now();
  const std::string text = html_to_text(soup);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(text, "tail");
}

TEST(HtmlText, StripsTagsOfTooDeepDocumentsWithoutGumbo) {
  std::string deep;
  for (int i = 0; i < 600; ++i) deep += "<div>";
  deep += "<p>a &amp; b</p><script>s()</script><p>c</p>";
  EXPECT_GT(html_depth_estimate(deep), kMaxHtmlDepth);
  EXPECT_EQ(html_to_text(deep), "a & b\nc");
}

TEST(HtmlToText, ComposesTextToNfc) {
  // "e" + COMBINING ACUTE ACCENT, "A" + COMBINING RING ABOVE, Hangul jamo.
  EXPECT_EQ(html_to_text("<p>Cafe\xCC\x81 A\xCC\x8Angstr\xC3\xB6m</p>"), "Café Ångström");
  EXPECT_EQ(html_to_text("<p>\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB</p>"), "한");
  EXPECT_EQ(to_nfc("plain ascii"), "plain ascii");
}

// to_nfc() answers most text from a table of the characters that are NFC and never compose
// with what precedes them; ICU decides the rest. Generated strings mix characters on both
// sides of that line (Greek with and without tonos, a combining acute after them, Hangul
// syllables and trailing jamo, CJK and CJK compatibility ideographs, the en quad that NFC
// maps to the en space, ...); the result must be ICU's whole-string normalization.
TEST(HtmlToText, ToNfcAgreesWithIcuOnGeneratedText) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  ASSERT_TRUE(U_SUCCESS(status));
  const std::vector<char32_t> pieces = {
      U'a',      U' ',      U'\u00E9', U'\u0301',     U'\u0308',    U'\u0345', U'\u0374', U'\u037E',
      U'\u0387', U'\u03AC', U'\u03B1', U'\u03C9',     U'\u0399',    U'\u1F71', U'\u0430', U'\u0419',
      U'\u0306', U'\u05D0', U'\u05B7', U'\u05B0',     U'\u0915',    U'\u093C', U'\u2000', U'\u2019',
      U'\u212B', U'\u3001', U'\u3099', U'\u304B',     U'\u4E2D',    U'\uF900', U'\uFF0C', U'\uAC00',
      U'\u11A8', U'\u1100', U'\u1161', U'\U0001D15E', U'\U00020000'};
  std::mt19937 rng(20261123);
  int by_icu = 0;
  for (int n = 0; n < 20000; ++n) {
    icu::UnicodeString u;
    const int len = 1 + static_cast<int>(rng() % 6);
    for (int k = 0; k < len; ++k) u.append(static_cast<UChar32>(pieces[rng() % pieces.size()]));
    std::string utf8;
    u.toUTF8String(utf8);
    std::string expected;
    nfc->normalize(u, status).toUTF8String(expected);
    ASSERT_TRUE(U_SUCCESS(status));
    if (expected != utf8) ++by_icu;
    ASSERT_EQ(to_nfc(utf8), expected) << utf8;
  }
  EXPECT_GT(by_icu, 1000);  // the generator does reach text that is not NFC
  EXPECT_EQ(to_nfc("\xCE\xB1\xCC\x81"), "\xCE\xAC");  // alpha + acute -> alpha with tonos
  EXPECT_EQ(to_nfc("\xE2\x80\x80"), "\xE2\x80\x82");  // U+2000 -> U+2002
}

TEST(HtmlToText, DecodesEntitiesAndDropsScriptsStylesAndTags) {
  EXPECT_EQ(html_to_text("<div>a &amp; b &lt;c&gt; &#x4E2D;&#25991; &eacute;</div>"
                         "<script>x()</script><style>p{}</style><noscript>n</noscript>"
                         "<ul><li>one</li><li>two</li></ul>"),
            "a & b <c> 中文 é\none\ntwo");
}

// The single-pass path must give gumbo's text for every fragment it accepts. Fragments are
// generated from the markup feeds use, misnested and unclosed on purpose.
TEST(HtmlToText, FastPathAgreesWithGumboOnGeneratedFragments) {
  static const std::vector<std::string> kPieces = {"<p>",
                                                   "</p>",
                                                   "<div>",
                                                   "</div>",
                                                   "<b>",
                                                   "</b>",
                                                   "<i>",
                                                   "</i>",
                                                   "<a href=\"x>y\">",
                                                   "</a>",
                                                   "<span class=s>",
                                                   "</span>",
                                                   "<br>",
                                                   "<br/>",
                                                   "<hr>",
                                                   "<ul>",
                                                   "</ul>",
                                                   "<ol>",
                                                   "</ol>",
                                                   "<li>",
                                                   "</li>",
                                                   "<dl>",
                                                   "<dt>",
                                                   "<dd>",
                                                   "</dd>",
                                                   "<h1>",
                                                   "</h1>",
                                                   "<h2>",
                                                   "</h2>",
                                                   "<blockquote>",
                                                   "</blockquote>",
                                                   "<img src='a.png' alt=\"<p>\">",
                                                   "<em>",
                                                   "</em>",
                                                   "<strong>",
                                                   "</strong>",
                                                   "<section>",
                                                   "</section>",
                                                   "<o:p>",
                                                   "</o:p>",
                                                   "<table>",
                                                   "</table>",
                                                   "<tr>",
                                                   "</tr>",
                                                   "<td>",
                                                   "</td>",
                                                   "<th>",
                                                   "<tbody>",
                                                   "<pre>",
                                                   "</pre>",
                                                   "<script>x<p>y</script>",
                                                   "<!-- c -->",
                                                   "<!---->",
                                                   "<!-->",
                                                   "&amp;",
                                                   "&lt;",
                                                   "&nbsp;",
                                                   "&eacute;",
                                                   "&#233;",
                                                   "&#x4E2D;",
                                                   "&#128;",
                                                   "&#10;",
                                                   "&D",
                                                   "&notit;",
                                                   "&amp",
                                                   "&ampx",
                                                   "&Amp;",
                                                   ";",
                                                   "&sup2x",
                                                   "&#0;",
                                                   "&copy",
                                                   "&T",
                                                   "AT&T",
                                                   "& ",
                                                   "a < b",
                                                   "<",
                                                   ">",
                                                   "</>",
                                                   "<?x?>",
                                                   "<!doctype html>",
                                                   "text",
                                                   " more text, ",
                                                   "\n",
                                                   "\t",
                                                   "\r\n",
                                                   "\xC2\xA0",
                                                   "\xE3\x80\x80",
                                                   "中文",
                                                   "e\xCC\x81",
                                                   "\x02",
                                                   "\x0B",
                                                   "\x7F",
                                                   "\xC2\x85",
                                                   "\xEF\xB7\x90",
                                                   "\xEF\xBF\xBF",
                                                   "\xF0\x9F\xBF\xBE",
                                                   "<P CLASS=\"a\">",
                                                   "</DIV >",
                                                   "<div\n id=x/>",
                                                   "<a/=\"x>\">",
                                                   "<title>t</title>",
                                                   "<body>",
                                                   "<center>",
                                                   "</center>",
                                                   "<figure>",
                                                   "<figcaption>",
                                                   "</figure>",
                                                   "<font>",
                                                   "</font>",
                                                   "<main>",
                                                   "</main>",
                                                   "<h3>",
                                                   "<sup>",
                                                   "</sup>",
                                                   "<noscript>n</noscript>"};
  std::mt19937 rng(20261122);
  std::uniform_int_distribution<std::size_t> pick(0, kPieces.size() - 1);
  std::uniform_int_distribution<int> length(1, 24);
  int accepted = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string html;
    for (int k = length(rng); k > 0; --k) html += kPieces[pick(rng)];
    const std::optional<std::string> fast = simple_html_to_text(html);
    if (!fast) continue;
    ++accepted;
    ASSERT_EQ(*fast, gumbo_html_to_text(html)) << "fragment: " << html;
  }
  EXPECT_GT(accepted, 2000);  // the comparison means something only if many are accepted
}

TEST(HtmlToText, FastPathTakesTypicalFeedMarkup) {
  EXPECT_EQ(simple_html_to_text("<p>One &amp; <b>two</b></p>\n <p>Three&nbsp;four</p>"),
            "One & two\nThree four");
  EXPECT_EQ(simple_html_to_text("<div><h2>Head</h2><ul><li>x<li>y</ul></div>"), "Head\nx\ny");
  EXPECT_EQ(simple_html_to_text("<pre>\nline 1\n  line 2</pre>after"), "line 1\nline 2\nafter");
  EXPECT_EQ(simple_html_to_text("<table><tr><td>x</td><td>y</td></tr></table>z"), "x y\nz");
  // A Reddit entry: a thumbnail cell and a text cell.
  EXPECT_EQ(simple_html_to_text("<table> <tr><td> <a href=\"u\"> <img src=\"t.jpg\" /> </a> "
                                "</td><td> <div class=\"md\"><p>Text</p> </div> &#32; by "
                                "<a href=\"v\"> /u/x </a> <br/> <span>[link]</span> </td></tr>"
                                "</table>"),
            "Text\nby /u/x\n[link]");
  EXPECT_EQ(simple_html_to_text("<p>a<table><tr><td>b</td></tr></table>c</p>d"), "a\nb\nc\nd");
  // Nested: the </tr> in the inner table has no row to end there and is ignored.
  EXPECT_EQ(simple_html_to_text("<table><tr><td>a<table></tr></table>b<td>c"), "a\nb c");
  // Text directly in a table is moved before it by the tree builder: gumbo's job.
  EXPECT_EQ(simple_html_to_text("<table>moved<tr><td>x</td></tr></table>"), std::nullopt);
  EXPECT_EQ(simple_html_to_text("<table><tr>&nbsp;<td>x</td></tr></table>"), std::nullopt);
  EXPECT_EQ(simple_html_to_text("<table><tr><b>x</b></tr></table>"), std::nullopt);
  EXPECT_EQ(simple_html_to_text("<b><table><tr><td>x</td></tr></table></b>"), std::nullopt);
}

// Tables as the tree builder reads them: implied tbody and tr, a cell ended by the next one
// or by a row or table end tag, end tags ignored when nothing matches, nested tables, and
// text or tags that gumbo would move out of the table. The generator mostly follows where it
// is (between rows, in a cell, outside) so that many fragments keep a table the fast path
// takes; one piece in sixteen is a misplaced one.
TEST(HtmlToText, FastPathAgreesWithGumboOnGeneratedTables) {
  static const std::vector<std::string> kStructure = {
      "<table>", "</table>", "<tbody>", "</tbody>", "<thead>", "</thead>", "<tfoot>", "<tr>",
      "</tr>",   "<td>",     "</td>",   "<th>",     "</th>",   " ",        "\n ",     "<!-- c -->"};
  static const std::vector<std::string> kCell = {
      "cell",    "more ",    "cell",       " ",        "<p>",   "</p>",  "<div>",       "</div>",
      "<b>",     "</b>",     "<a href=x>", "</a>",     "<br>",  "<li>",  "<ul>",        "</ul>",
      "<h2>",    "</h2>",    "<pre>",      "</pre>",   "&amp;", "&#32;", "<img src=a>", "<span>",
      "</span>", "<hr>",     "</li>",      "<td>",     "</td>", "<th>",  "</th>",       "<tr>",
      "</tr>",   "</table>", "<table>",    "</tbody>", "\n"};
  static const std::vector<std::string> kOutside = {"<table>", "<p>", "text", "<div>",    "</div>",
                                                    "<pre>",   "<b>", "</b>", "<ul><li>", " "};
  // What would make the tree builder move something: text, references and other tags
  // directly in a table, col/caption, stray cells.
  static const std::vector<std::string> kMisplaced = {
      "x", "&#32;", "&nbsp;", "<caption>", "<col>", "<b>", "<td>", "</td>", "<p>", "</p>"};
  const auto state_after = [](const std::string& piece, int state) {
    if (piece == "<td>" || piece == "<th>") return 2;
    if (piece == "</table>") return 0;
    if (piece.starts_with("<t") || piece == "</td>" || piece == "</th>" || piece == "</tr>" ||
        piece == "</tbody>" || piece == "</thead>") {
      return 1;
    }
    return state;
  };
  std::mt19937 rng(20261123);
  std::uniform_int_distribution<int> length(1, 40);
  int with_table = 0;
  for (int n = 0; n < 30000; ++n) {
    std::string html;
    int state = 0;
    for (int k = length(rng); k > 0; --k) {
      const std::vector<std::string>& from = rng() % 8 == 0 ? kCell
                                                            : (state == 0   ? kOutside
                                                               : state == 1 ? kStructure
                                                                            : kCell);
      const std::string& piece = from[rng() % from.size()];
      html += piece;
      state = state_after(piece, state);
    }
    const std::optional<std::string> fast = simple_html_to_text(html);
    if (!fast) continue;
    if (html.find("<t") != std::string::npos) ++with_table;
    ASSERT_EQ(*fast, gumbo_html_to_text(html)) << "fragment: " << html;
  }
  EXPECT_GT(with_table, 1000);
}

}  // namespace
}  // namespace newsd::parse
