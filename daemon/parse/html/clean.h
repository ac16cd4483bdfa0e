// The article's HTML as body_html carries it: the nodes readability chose, without scripts,
// forms, furniture, link-heavy blocks or the headline repeated; no attributes beyond links,
// images, times and table spans (URLs resolved); whitespace cut as the pre-pass cuts it.
#pragma once

#include <gumbo.h>

#include <optional>
#include <string>
#include <vector>

#include "parse/html/readability.h"

namespace newsd::parse::html {

struct CleanArticle {
  std::string html;
  std::string text;  // html_to_text(html), found while writing it
};

// `title` is the post's title (a heading repeating it is dropped); `base` resolves URLs.
CleanArticle clean_article(const Extractor& ex, const std::vector<const GumboNode*>& nodes,
                           const std::string& title, const std::optional<std::string>& base);

}  // namespace newsd::parse::html
