#include <gtest/gtest.h>

#include "parse/html_text.h"

namespace newsd::parse {
namespace {

TEST(HtmlText, TurnsBlocksIntoParagraphsAndDecodesEntities) {
  EXPECT_EQ(html_to_text("<p>One &amp; <b>two</b></p>\n <p>Three&nbsp;four</p>"),
            "One & two\nThree four");
  EXPECT_EQ(html_to_text("a<br>b<br/>c"), "a\nb\nc");
  EXPECT_EQ(html_to_text("<div><h2>Head</h2><ul><li>x</li><li>y</li></ul></div>"),
            "Head\nx\ny");
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

}  // namespace
}  // namespace newsd::parse
