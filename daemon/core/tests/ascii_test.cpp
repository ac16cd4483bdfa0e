#include "core/ascii.h"

#include <gtest/gtest.h>

namespace newsd::ascii {
namespace {

TEST(Ascii, LowersOnlyAsciiLettersAndLeavesUtf8Alone) {
  EXPECT_EQ(lowered("Content-TYPE"), "content-type");
  EXPECT_EQ(lowered("\xC3\x89T\xC3\xA9"), "\xC3\x89t\xC3\xA9");  // ÉTé: only the T
}

TEST(Ascii, ComparesBothSidesLoweredOrAgainstALowerPattern) {
  EXPECT_TRUE(iequals("ETag", "etAG"));
  EXPECT_FALSE(iequals("ETag", "ETags"));
  EXPECT_TRUE(equals_lower("Last-Modified", "last-modified"));
  EXPECT_FALSE(equals_lower("last-modified", "Last-Modified"));  // the pattern must be lower
  EXPECT_TRUE(starts_with_lower("HTTPS://x", "https://"));
  EXPECT_FALSE(starts_with_lower("http", "https://"));
}

TEST(Ascii, FindsAPatternIgnoringCaseFromAnOffset) {
  EXPECT_EQ(find_lower("<HTML><Meta charset>", "<meta"), 6u);
  EXPECT_EQ(find_lower("aXbxc", "x", 2), 3u);
  EXPECT_EQ(find_lower("abc", "abcd"), std::string_view::npos);
  EXPECT_EQ(find_lower("abc", "", 1), 1u);
  EXPECT_EQ(find_lower("abc", "", 4), std::string_view::npos);
}

TEST(Ascii, TrimsHttpWhitespaceButNotFormFeeds) {
  EXPECT_EQ(trim_http(" \tvalue\r\n"), "value");
  EXPECT_EQ(trim_http("\fvalue"), "\fvalue");
  EXPECT_TRUE(is_html_space('\f'));
  EXPECT_FALSE(is_http_space('\f'));
}

}  // namespace
}  // namespace newsd::ascii
