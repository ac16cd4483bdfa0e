#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>

#include "parse/parser.h"
#include "parse/tests/test_util.h"

namespace newsd::parse {
namespace {

TEST(HtmlDebug, Dump) {
  const char* f = std::getenv("DUMP_HTML");
  if (!f) GTEST_SKIP();
  const auto items = testing::parse_ok(testing::read_file(f), Format::html, testing::context_for("https://x.example/a"));
  ASSERT_EQ(items.size(), 1u);
  std::cout << "TITLE: " << items[0].post.title << "\nURL: " << items[0].post.url.value_or("-")
            << "\nPUB: " << testing::rfc3339(items[0].post.published_at)
            << "\nUPD: " << testing::rfc3339(items[0].post.updated_at)
            << "\nAUTHOR: " << items[0].post.author.value_or("-")
            << "\nLANG: " << items[0].post.lang.value_or("-")
            << "\nCAT: " << items[0].post.category.value_or("-")
            << "\nSUMMARY: " << items[0].post.summary.value_or("-")
            << "\nTAGS: " << items[0].post.tags.size()
            << "\nBODY:\n" << items[0].post.body_text << "\nHTML:\n" << items[0].post.body_html.value_or("-") << "\n";
}

}  // namespace
}  // namespace newsd::parse
