#include <gtest/gtest.h>

#include "parse/parser.h"

namespace newsd::parse {
namespace {

using namespace std::chrono;

TEST(MergeFollowed, KeepsEntryIdentityAndTakesArticleContent) {
  Post entry;
  entry.id = "tag:feed,1";
  entry.source = "finews";
  entry.url = "https://finews.example/p/1.html";
  entry.title = "Entry title";
  entry.published_at = sys_days{2022y / January / 26} + 12h;
  entry.summary = "Entry summary";
  entry.body_text = "Entry summary";
  entry.category = "feedcat";
  entry.fetched_at = sys_days{2022y / January / 27};
  seal(entry);

  Post article;
  article.id = "NW1";
  article.source = "other";
  article.url = "https://mirror.example/1";
  article.title = "Article title";
  article.published_at = sys_days{2022y / January / 20};
  article.media = "新华财经";
  article.origin_url = "http://finews.zning.xyz/x?infoCode=NW1";
  article.body_text = "Full body.\nSecond paragraph.";
  article.body_html = "<p>Full body.</p><p>Second paragraph.</p>";
  article.fetched_at = sys_days{2022y / January / 28};

  const Post m = merge_followed(entry, article);
  EXPECT_EQ(m.id, "tag:feed,1");
  EXPECT_EQ(m.source, "finews");
  EXPECT_EQ(m.url, entry.url);
  EXPECT_EQ(m.title, "Entry title");
  EXPECT_EQ(m.published_at, entry.published_at);
  EXPECT_EQ(m.body_text, article.body_text);
  EXPECT_EQ(m.body_html, article.body_html);
  EXPECT_EQ(m.media, "新华财经");
  EXPECT_EQ(m.origin_url, article.origin_url);
  EXPECT_EQ(m.summary, "Entry summary");
  EXPECT_EQ(m.category, "feedcat");
  EXPECT_EQ(m.fetched_at, article.fetched_at);
  EXPECT_EQ(m.content_sha256, content_digest(m.title, m.body_text));
}

TEST(MergeFollowed, UsesArticleTitleWhenEntryTitleIsEmptyAndKeepsEntryBodyWhenArticleHasNone) {
  Post entry;
  entry.id = "1";
  entry.title = "  ";
  entry.body_text = "Summary only";
  Post article;
  article.title = "From article";
  const Post m = merge_followed(entry, article);
  EXPECT_EQ(m.title, "From article");
  EXPECT_EQ(m.body_text, "Summary only");
  EXPECT_EQ(m.id, "1");
}

// A sitemap <url> without news:title is titled by its URL: the page's title is better.
TEST(MergeFollowed, ThePagesTitleReplacesATitleThatIsOnlyTheEntrysUrl) {
  Post entry;
  entry.id = entry.title = "https://example.com/a.html";
  entry.url = entry.id;
  Post article;
  article.title = "A record harvest";
  EXPECT_EQ(merge_followed(entry, article).title, "A record harvest");
  article.title = "";
  EXPECT_EQ(merge_followed(entry, article).title, "https://example.com/a.html");
  entry.title = "Its own title";
  article.title = "A record harvest";
  EXPECT_EQ(merge_followed(entry, article).title, "Its own title");
}

}  // namespace
}  // namespace newsd::parse
