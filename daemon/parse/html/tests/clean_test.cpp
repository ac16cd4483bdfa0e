#include "parse/html/clean.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "parse/html/gumbo_tree.h"
#include "parse/html/metadata.h"
#include "parse/html/node.h"
#include "parse/html/prepass.h"
#include "parse/html/readability.h"
#include "parse/html/text.h"
#include "parse/text_util.h"

namespace newsd::parse::html {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Every element under `root`, in document order, up to `limit`.
std::vector<const GumboNode*> elements(const GumboNode* root, std::size_t limit) {
  std::vector<const GumboNode*> out;
  std::vector<const GumboNode*> stack{root};
  while (!stack.empty() && out.size() < limit) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (!is_element(n)) continue;
    out.push_back(n);
    const GumboVector& kids = n->v.element.children;
    for (unsigned k = kids.length; k > 0; --k) {
      stack.push_back(static_cast<const GumboNode*>(kids.data[k - 1]));
    }
  }
  return out;
}

// The cleaner's text equals the text of the HTML it wrote, for the article readability
// picks, the whole body, and (up to `single_roots`) each element of the body alone: a
// table row or cell, a <pre>, an element inside a <pre>, ...
void expect_text_of_its_html(std::string_view page, std::size_t single_roots,
                             const std::string& what) {
  const std::string valid = is_valid_utf8(page) ? std::string(page) : sanitize_utf8(page);
  const GumboTree tree(valid);
  ASSERT_NE(tree.output(), nullptr);
  const Page p = scan(tree.output()->document);
  if (p.body == nullptr) return;
  Extractor ex(p.body);
  std::vector<std::vector<const GumboNode*>> choices;
  if (std::vector<const GumboNode*> nodes = ex.run(); !nodes.empty()) {
    choices.push_back(std::move(nodes));
  }
  for (const GumboNode* n : elements(p.body, single_roots + 1)) choices.push_back({n});
  for (const auto& nodes : choices) {
    for (const std::string title : {"", "Heading"}) {
      const CleanArticle a = clean_article(ex, nodes, title, "https://news.example/a/");
      ASSERT_EQ(a.text, html_to_text(a.html)) << what << "\n--- html:\n"
                                              << ::testing::PrintToString(a.html);
    }
  }
}

TEST(CleanArticle, GivesTheTextOfItsHtmlForTheQuirksItFollows) {
  const char* const kPages[] = {
      // Table structure without its table is ignored when read back.
      "<table><tr><td>a</td><td>b</td></tr><tr><th>c<td>d</table>",
      "<table><tbody><tr><td><table><tr><td>in</td></tr></table>out</td></tr></tbody></table>",
      "<table><caption>cap</caption><colgroup><col></colgroup><tr><td>x</table>",
      // A line feed right after <pre> or <listing> is dropped, CR is a line feed.
      "<pre>&#10;first\nsecond</pre><listing>&#10;&#10;l</listing>",
      "<div><pre><b>&#10;bold</b> x&#13;y&#13;&#10;z</pre></div>",
      // Characters gumbo replaces when it reads them.
      "<p>a&#1;b&#x7F;c&#x85;d&#xFDD0;e&#x1FFFE;f</p>",
      // Raw text, and elements that would go to <head> when read back.
      "<div><title>T &amp; t</title>after</div><div><xmp>a &amp; b</xmp></div>",
      "<div><noembed>n &lt; m</noembed><noframes>f</noframes><plaintext>p &amp; <b>q",
      // Unwritten wrappers (span, font, center, unknown elements) and dropped blocks.
      "<p>a<center>b</center>c<font>d<div>e</div></font><x-y>f<p>g</x-y></p>",
      "<div><h1>Heading</h1><p>text, more text, and more</p><form>f</form><nav>n</nav></div>",
      "<ul><li>1<div><li>2</div></ul><dl><dt>t<dd>d</dl><h1>a<div><h2>b</h2>c</div></h1>",
      "<b>1<p>2</b>3</p><a href=x>4<div>5</div>6</a><p>7<table><tr><td>8</table>9",
  };
  for (const char* page : kPages) expect_text_of_its_html(page, 64, page);
}

TEST(CleanArticle, GivesTheTextOfItsHtmlForTheFixturesAndTheSharedCorpus) {
  std::vector<std::filesystem::path> files;
  for (const auto& dir : {std::filesystem::path(NEWSD_SOURCE_DIR) / "daemon/parse/tests/data",
                          std::filesystem::path(NEWSD_SHARED_DIR) / "corpus",
                          std::filesystem::path(NEWSD_SHARED_DIR) / "seeds"}) {
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
      if (e.is_regular_file()) files.push_back(e.path());
    }
  }
  ASSERT_GT(files.size(), 30u);
  for (const auto& f : files) {
    const std::string bytes = read_file(f);
    if (html_depth_estimate(bytes) > kMaxHtmlDepth) continue;  // parse_html refuses them
    // Every file, feeds included, as parse --format html reads it (and its pre-pass output).
    expect_text_of_its_html(bytes, 200, f.string());
    expect_text_of_its_html(shrink_html(bytes), 0, f.string() + " (pre-pass)");
  }
}

// Random documents of the pieces the text mirror has rules for.
TEST(CleanArticle, GivesTheTextOfItsHtmlForGeneratedDocuments) {
  static const std::vector<std::string> kPieces = {
      "<p>",
      "</p>",
      "<div>",
      "</div>",
      "<pre>",
      "</pre>",
      "\n",
      "\r\n",
      "&#13;",
      "&#10;",
      "<listing>",
      "</listing>",
      "<table>",
      "</table>",
      "<tr>",
      "</tr>",
      "<td>",
      "</td>",
      "<th>",
      "<tbody>",
      "<caption>",
      "<center>",
      "</center>",
      "<span>",
      "</span>",
      "<font>",
      "</font>",
      "<x-y>",
      "</x-y>",
      "<b>",
      "</b>",
      "<i>",
      "</i>",
      "<a href=u>",
      "</a>",
      "<br>",
      "<hr>",
      "<img src=i>",
      "<li>",
      "<ul>",
      "</ul>",
      "<h1>",
      "</h1>",
      "<h2>",
      "</h2>",
      "<dd>",
      "<dt>",
      "<form>",
      "</form>",
      "word ",
      "more, text",
      "  ",
      "&amp;",
      "&lt;b&gt;",
      "&#1;",
      "&nbsp;",
      "<title>",
      "</title>",
      "<xmp>",
      "</xmp>",
      "<div class=share>",
      "<!-- c -->",
      "<dir>",
      "<menu>",
      "<hgroup>",
      "<option>",
      "<nobr>",
      "<ruby><rt>",
      "<svg>",
      "</svg>",
      "<math>",
      "<blockquote>",
      "</blockquote>",
      "<figure>",
      "<button>",
      "<select>",
      "<object>",
      "</object>",
      "<marquee>",
      "<image src=m>",
      "<body>",
      "<html>",
      "<head>",
      "<address>",
      "<textarea>",
      "<isindex>",
      "<frameset>",
      "<plaintext>",
      "<h3>",
      "</h3>",
      "<thead>",
      "<tfoot>",
      "</tbody>",
      "<colgroup>",
      "<col>",
      "</caption>",
      "<em>",
      "</em>",
      "Heading",
      "<p>A long enough paragraph, with commas, to be scored as article text.</p>"};
  std::mt19937 rng(19);
  std::uniform_int_distribution<std::size_t> pick(0, kPieces.size() - 1);
  std::uniform_int_distribution<int> length(1, 40);
  for (int round = 0; round < 3000; ++round) {
    std::string doc;
    for (int k = length(rng); k > 0; --k) doc += kPieces[pick(rng)];
    expect_text_of_its_html(doc, 16, doc);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace newsd::parse::html
