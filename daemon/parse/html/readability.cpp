#include "parse/html/readability.h"

#include <algorithm>
#include <string>

#include "core/ascii.h"
#include "parse/html/names.h"
#include "parse/html/node.h"
#include "parse/html/tags.h"
#include "parse/html/text.h"
#include "parse/text_util.h"

namespace newsd::parse::html {
namespace {

// What an element's class and id say about it.
NameSignal class_signal(const GumboNode* n) {
  NameSignal sig = name_signal(attr(n, "class"));
  sig |= name_signal(attr(n, "id"));
  return sig;
}

bool is_hidden(const GumboNode* n) {
  if (gumbo_get_attribute(&n->v.element.attributes, "hidden") != nullptr) return true;
  if (ascii::lowered(trim(attr(n, "aria-hidden"))) == "true") return true;
  std::string style = ascii::lowered(attr(n, "style"));
  std::erase(style, ' ');
  return style.find("display:none") != std::string::npos ||
         style.find("visibility:hidden") != std::string::npos;
}

bool is_content_root(const GumboNode* n) {
  const GumboTag t = tag_of(n);
  return t == GUMBO_TAG_BODY || t == GUMBO_TAG_HTML || t == GUMBO_TAG_ARTICLE ||
         t == GUMBO_TAG_MAIN || ascii::lowered(trim(attr(n, "itemprop"))) == "articlebody";
}

// Left out of both scoring and output.
bool is_excluded(const GumboNode* n) {
  if (!is_element(n)) return false;
  const GumboTag tag = n->v.element.tag;
  if (has(tag, kFurniture)) return true;
  if (tag == GUMBO_TAG_BODY || tag == GUMBO_TAG_HTML) return false;
  if (is_hidden(n)) return true;
  if (is_content_root(n)) return false;
  const NameSignal sig = class_signal(n);
  return sig.negative && !sig.keep;
}

}  // namespace

// The article's nodes (siblings, in document order), empty when nothing scored.
std::vector<const GumboNode*> Extractor::run() {
  measure();
  score();
  return select();
}

const Stats& Extractor::stats(const GumboNode* n) const {
  static const Stats kEmpty;
  const auto it = stats_.find(n);
  return it == stats_.end() ? kEmpty : it->second;
}

double Extractor::link_density(const GumboNode* n) const {
  const Stats& s = stats(n);
  return s.chars == 0 ? 0.0 : static_cast<double>(s.link_chars) / static_cast<double>(s.chars);
}

// Post-order, iterative: text sizes per element, excluded subtrees not counted.
void Extractor::measure() {
  struct Frame {
    const GumboNode* node;
    unsigned next;
    bool in_link;
  };
  std::vector<Frame> stack{{body_, 0, false}};
  stats_[body_];
  while (!stack.empty()) {
    Frame& f = stack.back();
    const GumboVector* kids = children_of(f.node);
    if (kids != nullptr && f.next < kids->length) {
      const auto* c = static_cast<const GumboNode*>(kids->data[f.next++]);
      const bool in_link = f.in_link;
      if (c->type == GUMBO_NODE_TEXT || c->type == GUMBO_NODE_CDATA) {
        const std::string t = normalize_ws(c->v.text.text);
        Stats& s = stats_[f.node];
        const std::size_t n = count_chars(t);
        s.chars += n;
        if (in_link) s.link_chars += n;
        for (std::size_t k = 0; k < t.size(); ++k) {
          if (t[k] == ',') ++s.commas;
          if (std::string_view(t).substr(k).starts_with("，") ||
              std::string_view(t).substr(k).starts_with("、")) {
            ++s.commas;
          }
        }
      } else if (is_element(c)) {
        Stats& cs = stats_[c];
        if (is_excluded(c)) {
          cs.excluded = true;
          continue;
        }
        if (has(c->v.element.tag, kBlockish)) stats_[f.node].block_child = true;
        stack.push_back({c, 0, in_link || c->v.element.tag == GUMBO_TAG_A});
        order_.push_back(c);
      }
      continue;
    }
    // Done with f.node: fold its sizes into the parent.
    const GumboNode* done = f.node;
    stack.pop_back();
    if (!stack.empty()) {
      const Stats s = stats_[done];
      Stats& p = stats_[stack.back().node];
      p.chars += s.chars;
      p.link_chars += s.link_chars;
      p.commas += s.commas;
    }
  }
}

double Extractor::initial_score(const GumboNode* n) const {
  double s = 0;
  switch (tag_of(n)) {
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_SECTION:
      s = 5;
      break;
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_MAIN:
      s = 10;
      break;
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_BLOCKQUOTE:
      s = 3;
      break;
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_FORM:
      s = -3;
      break;
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_TH:
      s = -5;
      break;
    default:
      break;
  }
  const NameSignal sig = class_signal(n);
  if (sig.positive) s += 25;
  if (sig.negative) s -= 25;
  if (ascii::lowered(trim(attr(n, "itemprop"))) == "articlebody") s += 30;
  return s;
}

bool Extractor::is_paragraph(const GumboNode* n) const {
  switch (tag_of(n)) {
    case GUMBO_TAG_P:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_BLOCKQUOTE:
      return true;
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_SECTION:
      // A div of text and inline elements only is written like a paragraph.
      return !stats(n).block_child;
    default:
      return false;
  }
}

void Extractor::add(const GumboNode* n, double points) {
  auto [it, fresh] = scores_.try_emplace(n, 0.0);
  if (fresh) it->second = initial_score(n);
  it->second += points;
}

void Extractor::score() {
  for (const GumboNode* n : order_) {
    if (!is_paragraph(n)) continue;
    const Stats& s = stats(n);
    if (s.chars < 25) continue;
    const double points =
        1.0 + static_cast<double>(s.commas) + std::min(static_cast<double>(s.chars) / 100.0, 3.0);
    const GumboNode* a = n->parent;
    for (int level = 0; level < 3 && a != nullptr && is_element(a); ++level, a = a->parent) {
      add(a, level == 0 ? points : level == 1 ? points / 2 : points / 6);
    }
  }
  for (auto& [node, s] : scores_) s *= 1.0 - link_density(node);
}

std::vector<const GumboNode*> Extractor::select() const {
  const GumboNode* top = nullptr;
  double best = 0;
  for (const GumboNode* n : order_) {  // document order: ties go to the first
    const auto it = scores_.find(n);
    if (it != scores_.end() && it->second > best) {
      best = it->second;
      top = n;
    }
  }
  if (top == nullptr) return {};
  const GumboNode* parent = top->parent;
  if (parent == nullptr || !is_element(parent)) return {top};
  // Siblings that belong to the article: scored close to it, or good paragraphs.
  const double threshold = std::max(10.0, best * 0.2);
  std::vector<const GumboNode*> out;
  const GumboVector& kids = parent->v.element.children;
  for (unsigned k = 0; k < kids.length; ++k) {
    const auto* s = static_cast<const GumboNode*>(kids.data[k]);
    if (s == top) {
      out.push_back(s);
      continue;
    }
    if (!is_element(s) || stats(s).excluded) continue;
    const auto it = scores_.find(s);
    if (it != scores_.end() && it->second >= threshold) {
      out.push_back(s);
      continue;
    }
    if (tag_of(s) == GUMBO_TAG_P) {
      const std::size_t chars = stats(s).chars;
      const double ld = link_density(s);
      if ((chars > 80 && ld < 0.25) ||
          (chars > 0 && ld == 0 && chars <= 80 &&
           std::string(gumbo_node_text(s)).find(". ") != std::string::npos)) {
        out.push_back(s);
      }
    }
  }
  return out;
}

}  // namespace newsd::parse::html
