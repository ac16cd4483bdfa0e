#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/post.h"
#include "parse/formats.h"
#include "parse/html/prepass.h"
#include "parse/tests/gumbo_tree.h"
#include "parse/tests/test_util.h"

namespace newsd::parse {
namespace {

using testing::context_for;
using testing::fixture;
using testing::gumbo_tree;

enum class Prepass { on, off };

// html.cpp's records for a page, as JSON lines, with or without the pre-pass.
std::string records(std::string_view html, Prepass prepass) {
  const Context ctx = context_for("https://news.example/a");
  const auto result = prepass == Prepass::on ? parse_html(html, ctx) : read_html_page(html, ctx);
  if (!result) return "error: " + result.error().message;
  std::string out;
  for (const Parsed& p : *result) out += to_json(p.post) + "\n";
  return out;
}

// The pre-pass holds when gumbo builds the same tree (as html.cpp reads it) from the shrunk
// page and html.cpp makes the same record of it.
void expect_same_reading(const std::string& html, const std::string& what) {
  const std::string shrunk = shrink_html(html);
  EXPECT_EQ(gumbo_tree(html), gumbo_tree(shrunk)) << what << "\n--- page:\n"
                                                  << html << "\n--- shrunk:\n"
                                                  << shrunk;
  EXPECT_EQ(records(html, Prepass::off), records(html, Prepass::on)) << what;
}

TEST(HtmlPrepass, RemovesScriptAndStyleBodiesCommentsAndUnreadAttributes) {
  EXPECT_EQ(shrink_html("<head><style>p { color: red }</style><script src=a.js>var x = '<p>';"
                        "</script></head><!-- big comment --><p data-x=1 class=story>t</p>"),
            "<head><style></style><script></script></head><!----><p class=story>t</p>");
}

TEST(HtmlPrepass, FiltersTheStartTagsOfRawTextElementsButKeepsTheirBodies) {
  EXPECT_EQ(shrink_html("<iframe src=\"https://ads.example/x\" data-a=1 style=\"display:none\"><p "
                        "data-b=2></iframe><textarea rows=3>a  <b c=d></textarea>"),
            "<iframe style=\"display:none\"><p data-b=2></iframe><textarea>a  <b c=d></textarea>");
}

TEST(HtmlPrepass, KeepsJsonLdScripts) {
  const std::string page =
      "<script type=\"application/ld+json\">{\"@type\":\"NewsArticle\"}</script>"
      "<script type=\"text/javascript\">x()</script>";
  EXPECT_EQ(shrink_html(page),
            "<script type=\"application/ld+json\">{\"@type\":\"NewsArticle\"}</script>"
            "<script type=\"text/javascript\"></script>");
}

TEST(HtmlPrepass, KeepsEveryAttributeOfFormattingElementsButAnchors) {
  // The tree builder compares formatting elements' attributes; never those of two <a>.
  const std::string page = "<p><b data-n=1>a</b><a href=x onclick=y>b</a><span data-n=1>c</span>";
  EXPECT_EQ(shrink_html(page), "<p><b data-n=1>a</b><a href=x>b</a><span>c</span>");
}

TEST(HtmlPrepass, CutsWhitespaceRunsInTextToTheirFirstCharacterUntilAPre) {
  EXPECT_EQ(shrink_html("<ul>\n    <li>a  \t b</li>\r\n  <li style=\"x  y\">c</li>\n</ul>"),
            "<ul>\n<li>a b</li>\r<li style=\"x  y\">c</li>\n</ul>");
  // Raw text and RCDATA are not text to cut; after a <pre> the pass cuts nothing more.
  EXPECT_EQ(shrink_html("<title>a  b</title><textarea>  t  </textarea>x  y<pre>\n p  q</pre> r  s"),
            "<title>a  b</title><textarea>  t  </textarea>x y<pre>\n p  q</pre> r  s");
  EXPECT_EQ(shrink_html("<listing>  a</listing>  b"), "<listing>  a</listing>  b");
}

TEST(HtmlPrepass, CollapseSpacesCutsEveryWhitespaceRunToItsFirstCharacter) {
  EXPECT_EQ(collapse_spaces(" \n a\t\tb\f\rc  "), " a\tb\fc ");
  EXPECT_EQ(collapse_spaces("\xC2\xA0\xC2\xA0x\v\v"), "\xC2\xA0\xC2\xA0x\v\v");  // not HTML spaces
  EXPECT_EQ(collapse_spaces(""), "");
}

TEST(HtmlPrepass, KeepsOnlyTheClassAndIdNamesThatSaySomething) {
  EXPECT_EQ(
      shrink_html("<div class=\"c-grid  story-body\tx\" id=wrap><p class='a \"b' id=\"x y\">"),
      "<div class=\"story-body\"><p>");
  // Character references could spell a name: kept as written, like <body>'s and <html>'s
  // (a second <body> adds the attributes the first lacks) and formatting elements'.
  EXPECT_EQ(shrink_html("<div class=\"a &#97;d\"><body class=\"x y\"><b class=\"x y\">"),
            "<div class=\"a &#97;d\"><body class=\"x y\"><b class=\"x y\">");
  EXPECT_EQ(shrink_html("<section class='nav-bar x\"'>"), "<section class='nav-bar'>");
}

TEST(HtmlPrepass, LeavesTheRestAloneAfterWhatItDoesNotModel) {
  // <plaintext> makes everything after it text; the comment must stay as written.
  EXPECT_EQ(shrink_html("<p data-a=1>x<plaintext><!-- c --><p data-a=1>"),
            "<p>x<plaintext><!-- c --><p data-a=1>");
}

// One fixture per tokenizer or tree-builder quirk the pre-pass must follow or avoid.
class HtmlPrepassQuirk : public ::testing::TestWithParam<const char*> {};

TEST_P(HtmlPrepassQuirk, GumboReadsTheSameTreeAfterThePrepass) {
  expect_same_reading(fixture(GetParam()), GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, HtmlPrepassQuirk,
    ::testing::Values(
        "html_prepass_script_escaped_comment.html", "html_prepass_script_double_escaped.html",
        "html_prepass_style_inside_svg_is_markup.html",
        "html_prepass_style_inside_select_is_text.html",
        "html_prepass_svg_breakout_and_integration_points.html",
        "html_prepass_rcdata_and_rawtext_elements.html", "html_prepass_comment_forms.html",
        "html_prepass_bogus_comments_and_doctype.html", "html_prepass_attribute_syntax.html",
        "html_prepass_noahs_ark_formatting_attributes.html",
        "html_prepass_input_type_hidden_in_table.html",
        "html_prepass_jsonld_in_comment_markers.html", "html_prepass_unterminated_script.html",
        "html_prepass_frameset.html", "html_prepass_cdata_in_foreign_content.html",
        "html_prepass_repeated_valueless_attribute.html", "html_prepass_whitespace_runs.html"));

// Pieces that exercise the tokenizer states and the tree builder's special cases; random
// documents made of them (and cut short anywhere) must read the same after the pre-pass.
const std::vector<std::string>& pieces() {
  static const std::vector<std::string> kPieces = {
      "<!DOCTYPE html>",
      "<!doctype html public \"-//W3C//DTD HTML 4.01//EN\">",
      "<html lang=en data-x=1>",
      "<head>",
      "</head>",
      "<body class=b onload=f()>",
      "</body>",
      "</html>",
      "<title>T &amp; <b>t</b></title>",
      "<meta property=og:title content=\"OG\">",
      "<meta name=description content=d data-z>",
      "<link rel=canonical href=/c>",
      "<script>var a = '<p>';</script>",
      "<script>a<!--b</script>",
      "<script><!--</script>",
      "<script><!--<script></script>x</script>",
      "<script><!--<script>-->",
      "<script><!-- <script> </script> --></script>",
      "<SCRIPT>x</SCRIPT >",
      "<script>x</script foo=\">\">",
      "<script>-->",
      "<script>",
      "</script>",
      "<script type=\"application/ld+json\">{\"@type\":\"NewsArticle\",\"headline\":\"H\"}"
      "</script>",
      "<script type=application/ld&#43;json>{}</script>",
      "<style>p{}</style>",
      "<style>",
      "</style>",
      "<style>a</stylex></style>",
      "<!-- c -->",
      "<!---->",
      "<!-->",
      "<!--->",
      "<!-- a --!> b -->",
      "<!--",
      "-->",
      "<? pi ?>",
      "</ 3>",
      "</>",
      "<!bogus>",
      "<![CDATA[x]]>",
      "<p>",
      "</p>",
      "<div id=main class=\"content\" data-track='1'>",
      "</div>",
      "<p class=story data-a=\"x>y\" data-b='\"'>",
      "<article itemprop=articleBody>",
      "</article>",
      "<b>",
      "</b>",
      "<b data-n=1>",
      "<b data-n=2>",
      "<i class=x>",
      "</i>",
      "<a href=\"/x\" onclick=\"f()\">",
      "<a href=/y data-i=1>",
      "<a href=/y data-i=2>",
      "<b data-n=3>",
      "<object>",
      "</object>",
      "<marquee data-m=1>",
      "<caption>",
      "</a>",
      "<font color=red>",
      "</font>",
      "<span>",
      "</span>",
      "<img src=a.png srcset=\"a 1x\" alt=A>",
      "<img src=a/ data-x=1/>",
      "<br/>",
      "<div/class=x>",
      "<div class=a class=b data-q>",
      "<div class=\"comment-list x y\">",
      "<div class='menu a\"b'>",
      "<div id=sidebar class=\"entry-content  wide\">",
      "<div class=\"x &#97;d\">",
      "<p class=\"lead story\" id=p1>",
      "<body class=\"a b\">",
      "<body class=\"content\">",
      "<html class=\"x y\" id=\"site\">",
      "<DIV DATA-X=1 CLASS=Up>",
      "<div data-x=>",
      "<p b b style=x>",
      "<script t t ype=application/ld+json>{}</script>",
      std::string{"<p a\0 a\xEF\xBF\xBD class=c>", 19},
      "<div =x data-y>",
      "<table>",
      "</table>",
      "<tr>",
      "<td colspan=2>",
      "</td>",
      "<input type=hidden data-x>",
      "<input data-x type=hidden>",
      "<select>",
      "</select>",
      "<option data-v=1>",
      "</option>",
      "<optgroup>",
      "<textarea>t<b></textarea>",
      "<xmp><p></xmp>",
      "<iframe src=x><p></iframe>",
      "<noembed><p></noembed>",
      "<noframes><p></noframes>",
      "<noscript><p>n</p></noscript>",
      "<plaintext>",
      "<frameset>",
      "<template><p>t</template>",
      "<svg viewBox=\"0 0 1 1\" data-x=1>",
      "</svg>",
      "<svg/>",
      "<path d=\"M0 0L1 1\"/>",
      "<g fill=red>",
      "</g>",
      "<title>s</title>",
      "<foreignObject><p>f</p></foreignObject>",
      "<math>",
      "</math>",
      "<mi>x</mi>",
      "<annotation-xml encoding=text/html>",
      "<h1>Head</h1>",
      "<time datetime=2022-01-01>",
      "</time>",
      "<pre>\n",
      "</pre>",
      "<listing>\n  l  </listing>",
      "<textarea>",
      "</textarea>",
      "  ",
      "\t \n  ",
      "\f\f",
      "\r\r\n ",
      ". \n ",
      "&#32; ",
      "<ul><li>",
      "</ul>",
      "text",
      " ",
      "\n",
      "a, b, c. ",
      "&amp;",
      "&nbsp;",
      "<",
      ">",
      "\"",
      "'",
      "=",
      "/",
      "-",
      "!",
      "\r\n",
      "<p hidden>",
      "<div style=\"display:none\">",
      "<div aria-hidden=true>",
      "<nav class=menu>",
      "</nav>"};
  return kPieces;
}

std::string random_document(std::mt19937& rng) {
  const auto& p = pieces();
  std::uniform_int_distribution<std::size_t> piece(0, p.size() - 1);
  std::uniform_int_distribution<int> count(1, 40);
  std::string doc;
  for (int k = count(rng); k > 0; --k) doc += p[piece(rng)];
  if (rng() % 4 == 0) doc.resize(rng() % (doc.size() + 1));  // cut short: EOF anywhere
  return doc;
}

TEST(HtmlPrepass, GumboReadsGeneratedDocumentsTheSame) {
  std::mt19937 rng(20261123);
  for (int n = 0; n < 5000; ++n) {
    const std::string doc = random_document(rng);
    const std::string shrunk = shrink_html(doc);
    ASSERT_EQ(gumbo_tree(doc), gumbo_tree(shrunk)) << "document " << n << ":\n"
                                                   << doc << "\n--- shrunk:\n"
                                                   << shrunk;
  }
}

TEST(HtmlPrepass, HtmlParserReadsGeneratedDocumentsTheSame) {
  std::mt19937 rng(7);
  for (int n = 0; n < 1000; ++n) {
    std::string doc = random_document(rng);
    // A body worth extracting, so that scoring and cleaning run too.
    doc +=
        "<div class=content><p>First paragraph, long enough to count, with commas.</p>"
        "<p>Second paragraph, also long enough to count as one.</p></div>";
    ASSERT_EQ(records(doc, Prepass::off), records(doc, Prepass::on)) << doc;
  }
}

// Real pages (read from ../shared at run time), then the same pages with random pieces
// spliced in and random ranges cut out.
TEST(HtmlPrepass, ReadsTheSharedArticlePagesAndTheirMutationsTheSame) {
  const std::filesystem::path dir = testing::shared_dir() / "corpus/html";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << "no shared corpus at " << dir;
  std::mt19937 rng(3);
  std::size_t total = 0;
  std::size_t shrunk_total = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string page = testing::read_file(e.path());
    total += page.size();
    shrunk_total += shrink_html(page).size();
    expect_same_reading(page, e.path().filename().string());
    for (int m = 0; m < 6; ++m) {
      std::string mutated = page;
      for (int k = 0; k < 8; ++k) {
        const std::size_t at = rng() % (mutated.size() + 1);
        if (rng() % 2 == 0) {
          mutated.insert(at, pieces()[rng() % pieces().size()]);
        } else {
          mutated.erase(at, rng() % 200);
        }
      }
      EXPECT_EQ(gumbo_tree(mutated), gumbo_tree(shrink_html(mutated)))
          << e.path().filename().string() << " mutation " << m;
    }
  }
  // The point of the pre-pass: most of these pages is script, style and attributes.
  EXPECT_LT(shrunk_total, total / 2);
}

}  // namespace
}  // namespace newsd::parse
