// The main text of an article page, readability-style:
//   1. Elements that are never article text are left out: nav, header, footer, aside,
//      scripts, hidden elements, and elements whose class/id names comments, sharing, ads,
//      menus, sidebars, ... (unless the name also says article/content/post/...).
//   2. Every paragraph-like element with enough text scores its parent (fully), grandparent
//      (half) and great-grandparent (a sixth): more text and more commas score more.
//      Candidates start from a bonus/penalty by tag and class, and end multiplied by
//      (1 - link density), so link farms lose.
//   3. The best candidate plus those siblings that score close to it (or are good
//      paragraphs) are the article (clean.h then writes it).
#pragma once

#include <gumbo.h>

#include <cstddef>
#include <unordered_map>
#include <vector>

namespace newsd::parse::html {

struct Stats {
  std::size_t chars = 0;       // visible text, in code points
  std::size_t link_chars = 0;  // of which inside <a>
  std::size_t commas = 0;
  bool block_child = false;  // has a block-level element child
  bool excluded = false;
};
// One extraction over the <body> of a parsed page; the page must outlive it.
class Extractor {
 public:
  explicit Extractor(const GumboNode* body) : body_(body) {}

  // The article's nodes (siblings, in document order), empty when nothing scored.
  std::vector<const GumboNode*> run();

  // Sizes of an element's text (all zero for one never measured).
  const Stats& stats(const GumboNode* n) const;
  double link_density(const GumboNode* n) const;

 private:
  void measure();
  double initial_score(const GumboNode* n) const;
  bool is_paragraph(const GumboNode* n) const;
  void add(const GumboNode* n, double points);
  void score();
  std::vector<const GumboNode*> select() const;

  const GumboNode* body_;
  std::unordered_map<const GumboNode*, Stats> stats_;
  std::unordered_map<const GumboNode*, double> scores_;
  std::vector<const GumboNode*> order_;  // elements in document order
};

}  // namespace newsd::parse::html
