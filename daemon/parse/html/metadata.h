// What an article page says about itself: the elements the metadata rules read (one scan of
// gumbo's tree), its JSON-LD article object, and the headline and author found in markup.
#pragma once

#include <gumbo.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "parse/text_util.h"

namespace newsd::parse::html {

struct Page {
  const GumboNode* html = nullptr;
  const GumboNode* title = nullptr;
  const GumboNode* body = nullptr;
  std::vector<const GumboNode*> h1;
  std::vector<const GumboNode*> times;  // <time datetime=…>
  const GumboNode* author = nullptr;    // first microdata itemprop="author"
  std::vector<std::string> ld_json;     // <script type="application/ld+json"> texts
  std::string canonical;
  std::vector<std::pair<std::string, std::string>> meta;  // (property or name, content)

  std::string meta_value(std::string_view key) const {
    for (const auto& [k, v] : meta) {
      if (k == key && !trim(v).empty()) return std::string(trim(v));
    }
    return {};
  }
  std::vector<std::string> meta_values(std::string_view key) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : meta) {
      if (k == key && !trim(v).empty()) out.emplace_back(trim(v));
    }
    return out;
  }
};

// The elements the metadata rules need, in document order.
Page scan(const GumboNode* root);

// What a JSON-LD article object says.
struct LdArticle {
  bool found = false;
  std::string headline, published, modified, author, section, lang, description;
};

// The first article object of the page's JSON-LD scripts (also inside @graph).
LdArticle json_ld_article(const std::vector<std::string>& scripts);

// "Headline - Site" or "Site | Headline" from <title>/og:title: when an <h1> holds exactly one
// side of such a separator, the h1 is the headline.
std::string strip_site_name(const std::string& title, const Page& page);

// Microdata author: the itemprop="name" inside the author element, else its text.
std::string microdata_name(const GumboNode* author);

}  // namespace newsd::parse::html
