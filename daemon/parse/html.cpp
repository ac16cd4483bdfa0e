// Article pages: metadata from JSON-LD (NewsArticle, Article, BlogPosting, also inside
// @graph), OpenGraph/article: meta tags, <title>, <time>, <link rel=canonical>; the main text
// from a readability-style extraction:
//   1. Elements that are never article text are left out: nav, header, footer, aside,
//      scripts, hidden elements, and elements whose class/id names comments, sharing, ads,
//      menus, sidebars, ... (unless the name also says article/content/post/...).
//   2. Every paragraph-like element with enough text scores its parent (fully), grandparent
//      (half) and great-grandparent (a sixth): more text and more commas score more.
//      Candidates start from a bonus/penalty by tag and class, and end multiplied by
//      (1 - link density), so link farms lose.
//   3. The best candidate plus those siblings that score close to it (or are good
//      paragraphs) are the article; body_html is their cleaned HTML (no scripts, no
//      attributes beyond links and images, link-heavy blocks removed) and body_text its text.
#include <gumbo.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "parse/formats.h"
#include "parse/gumbo_arena.h"
#include "parse/html_names.h"
#include "parse/html_prepass.h"
#include "parse/html_text.h"
#include "parse/slug.h"
#include "parse/text_util.h"
#include "parse/timeparse.h"

namespace newsd::parse {
namespace {

namespace json = boost::json;

std::string_view attr(const GumboNode* n, const char* name) {
  const GumboAttribute* a = gumbo_get_attribute(&n->v.element.attributes, name);
  return a != nullptr ? std::string_view(a->value) : std::string_view{};
}

bool is_element(const GumboNode* n) {
  return n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE;
}

const GumboVector* children_of(const GumboNode* n) {
  if (n->type == GUMBO_NODE_DOCUMENT) return &n->v.document.children;
  if (is_element(n)) return &n->v.element.children;
  return nullptr;
}

GumboTag tag_of(const GumboNode* n) {
  return is_element(n) ? n->v.element.tag : GUMBO_TAG_UNKNOWN;
}

// Text directly inside a <script>/<title> (gumbo keeps it as text children).
std::string raw_text(const GumboNode* n) {
  std::string out;
  const GumboVector* kids = children_of(n);
  if (kids == nullptr) return out;
  for (unsigned k = 0; k < kids->length; ++k) {
    const auto* c = static_cast<const GumboNode*>(kids->data[k]);
    if (c->type == GUMBO_NODE_TEXT || c->type == GUMBO_NODE_CDATA ||
        c->type == GUMBO_NODE_WHITESPACE) {
      out += c->v.text.text;
    }
  }
  return out;
}

std::size_t count_chars(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

// ---- metadata ------------------------------------------------------------------------------

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

bool rel_has(std::string_view rel, std::string_view token) {
  const std::string lower = ascii_lower(rel);
  std::size_t i = 0;
  while (i < lower.size()) {
    const std::size_t end = std::min(lower.find_first_of(" \t\n\r", i), lower.size());
    if (std::string_view(lower).substr(i, end - i) == token) return true;
    i = end + 1;
  }
  return false;
}

// One iterative pass collecting the elements the metadata rules need, in document order.
Page scan(const GumboNode* root) {
  Page page;
  std::vector<const GumboNode*> stack{root};
  while (!stack.empty()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    const GumboVector* kids = children_of(n);
    if (kids == nullptr) continue;
    if (is_element(n)) {
      switch (n->v.element.tag) {
        case GUMBO_TAG_HTML:
          if (!page.html) page.html = n;
          break;
        case GUMBO_TAG_TITLE:
          if (!page.title) page.title = n;
          break;
        case GUMBO_TAG_BODY:
          if (!page.body) page.body = n;
          break;
        case GUMBO_TAG_H1:
          page.h1.push_back(n);
          break;
        case GUMBO_TAG_TIME:
          if (!attr(n, "datetime").empty()) page.times.push_back(n);
          break;
        case GUMBO_TAG_SCRIPT:
          if (ascii_lower(trim(attr(n, "type"))) == "application/ld+json") {
            page.ld_json.push_back(raw_text(n));
          }
          break;
        case GUMBO_TAG_LINK:
          if (page.canonical.empty() && rel_has(attr(n, "rel"), "canonical")) {
            page.canonical = std::string(trim(attr(n, "href")));
          }
          break;
        case GUMBO_TAG_META: {
          std::string key = ascii_lower(attr(n, "property"));
          if (key.empty()) key = ascii_lower(attr(n, "name"));
          if (key.empty()) key = ascii_lower(attr(n, "itemprop"));
          if (!key.empty()) page.meta.emplace_back(std::move(key), attr(n, "content"));
          break;
        }
        default:
          break;
      }
      if (!page.author && ascii_lower(trim(attr(n, "itemprop"))) == "author") page.author = n;
    }
    // Push in reverse so that document order is kept ("first" means first in the page).
    for (unsigned k = kids->length; k > 0; --k) {
      stack.push_back(static_cast<const GumboNode*>(kids->data[k - 1]));
    }
  }
  return page;
}

// What a JSON-LD article object says.
struct LdArticle {
  bool found = false;
  std::string headline, published, modified, author, section, lang, description;
};

std::string json_string(const json::value* v) {
  if (v == nullptr) return {};
  if (const json::string* s = v->if_string()) return std::string(trim(std::string_view(*s)));
  return {};
}

const json::value* get(const json::object& o, std::string_view key) {
  const auto it = o.find(json::string_view(key.data(), key.size()));
  return it == o.end() ? nullptr : &it->value();
}

bool is_article_type(std::string_view t) {
  if (const auto slash = t.rfind('/'); slash != std::string_view::npos) t = t.substr(slash + 1);
  if (const auto colon = t.rfind(':'); colon != std::string_view::npos) t = t.substr(colon + 1);
  return t.ends_with("Article") || t.ends_with("BlogPosting") || t == "Report";
}

bool has_article_type(const json::object& o) {
  const json::value* t = get(o, "@type");
  if (t == nullptr) return false;
  if (const json::string* s = t->if_string()) return is_article_type(*s);
  if (const json::array* a = t->if_array()) {
    for (const json::value& e : *a) {
      if (const json::string* s = e.if_string(); s != nullptr && is_article_type(*s)) return true;
    }
  }
  return false;
}

// A person/organization as a name: "x", {"name": "x"}, or a list of those (joined).
std::string names_of(const json::value* v) {
  if (v == nullptr) return {};
  if (v->is_string()) return normalize_ws(json_string(v));
  if (const json::object* o = v->if_object()) {
    const json::value* name = get(*o, "name");
    return name != nullptr ? names_of(name) : std::string{};
  }
  std::string out;
  if (const json::array* a = v->if_array()) {
    for (const json::value& e : *a) {
      if (e.is_array()) continue;  // no nesting beyond one list
      const std::string n = names_of(&e);
      if (n.empty() || out.find(n) != std::string::npos) continue;
      if (!out.empty()) out += ", ";
      out += n;
    }
  }
  return out;
}

std::string first_string(const json::value* v) {
  if (v == nullptr) return {};
  if (v->is_string()) return json_string(v);
  if (const json::array* a = v->if_array()) {
    for (const json::value& e : *a) {
      if (std::string s = json_string(&e); !s.empty()) return s;
    }
  }
  return {};
}

// Depth-first through arrays and @graph (bounded by the parse depth); the first article wins.
void find_article(const json::value& v, LdArticle& out) {
  if (out.found) return;
  if (const json::array* a = v.if_array()) {
    for (const json::value& e : *a) find_article(e, out);
    return;
  }
  const json::object* o = v.if_object();
  if (o == nullptr) return;
  if (has_article_type(*o)) {
    out.found = true;
    out.headline = normalize_ws(json_string(get(*o, "headline")));
    if (out.headline.empty()) out.headline = normalize_ws(json_string(get(*o, "name")));
    out.published = json_string(get(*o, "datePublished"));
    out.modified = json_string(get(*o, "dateModified"));
    out.author = names_of(get(*o, "author"));
    out.section = first_string(get(*o, "articleSection"));
    out.lang = first_string(get(*o, "inLanguage"));
    out.description = normalize_ws(json_string(get(*o, "description")));
    return;
  }
  if (const json::value* graph = get(*o, "@graph")) find_article(*graph, out);
}

LdArticle json_ld_article(const std::vector<std::string>& scripts) {
  LdArticle out;
  for (std::string text : scripts) {
    // Pages wrap the JSON in CDATA markers or HTML comments for old parsers.
    std::string_view t = trim(text);
    for (std::string_view open : {"//<![CDATA[", "<![CDATA[", "<!--"}) {
      if (t.starts_with(open)) t = trim(t.substr(open.size()));
    }
    for (std::string_view close : {"//]]>", "]]>", "-->"}) {
      if (t.ends_with(close)) t = trim(t.substr(0, t.size() - close.size()));
    }
    json::parse_options opt;
    opt.max_depth = 64;
    opt.allow_comments = true;
    opt.allow_trailing_commas = true;
    json::error_code ec;
    const json::value v = json::parse(json::string_view(t.data(), t.size()), ec, {}, opt);
    if (ec) continue;
    find_article(v, out);
    if (out.found) break;
  }
  return out;
}

// "Headline - Site" or "Site | Headline" from <title>/og:title: when an <h1> holds exactly one
// side of such a separator, the h1 is the headline.
std::string strip_site_name(const std::string& title, const Page& page) {
  static constexpr std::array<std::string_view, 9> kSeparators = {"|", "-", "_", "–", "—",
                                                                  "»", "·", ":", "/"};
  const auto is_separated = [&](std::string_view rest) {
    rest = trim(rest);
    for (std::string_view sep : kSeparators) {
      if (rest.starts_with(sep)) return true;
    }
    return false;
  };
  for (const GumboNode* h : page.h1) {
    const std::string h1 = normalize_ws(gumbo_node_text(h));
    if (h1.empty() || h1.size() >= title.size()) continue;
    if (title.starts_with(h1) && is_separated(std::string_view(title).substr(h1.size()))) {
      return h1;
    }
    if (title.ends_with(h1)) {
      std::string_view before = trim(std::string_view(title).substr(0, title.size() - h1.size()));
      for (std::string_view sep : kSeparators) {
        if (before.ends_with(sep)) return h1;
      }
    }
  }
  return title;
}

// Microdata author: the itemprop="name" inside the author element, else its text.
std::string microdata_name(const GumboNode* author) {
  std::vector<const GumboNode*> stack{author};
  while (!stack.empty()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (!is_element(n)) continue;
    if (n != author && ascii_lower(trim(attr(n, "itemprop"))) == "name") {
      const std::string_view content = trim(attr(n, "content"));
      return normalize_ws(content.empty() ? gumbo_node_text(n) : std::string(content));
    }
    const GumboVector& kids = n->v.element.children;
    for (unsigned k = kids.length; k > 0; --k) {
      stack.push_back(static_cast<const GumboNode*>(kids.data[k - 1]));
    }
  }
  const std::string text = normalize_ws(gumbo_node_text(author));
  return count_chars(text) <= 100 ? text : std::string{};
}

// True when `text` carries its own UTC offset (the zone it is read in does not matter).
bool has_offset(std::string_view text) {
  const auto a = parse_time(text, "UTC");
  return a && a == parse_time(text, "Pacific/Kiritimati");
}

// The first candidate that carries an offset, else the first that parses at all.
std::optional<Timestamp> best_time(const std::vector<std::string>& candidates,
                                   std::string_view zone) {
  for (const std::string& c : candidates) {
    if (has_offset(c)) return parse_time(c, zone);
  }
  for (const std::string& c : candidates) {
    if (auto t = parse_time(c, zone)) return t;
  }
  return std::nullopt;
}

// "en_GB" -> "en-GB".
std::string bcp47(std::string_view locale) {
  std::string out(trim(locale));
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

// ---- main text -----------------------------------------------------------------------------

// What an element's class and id say about it.
NameSignal class_signal(const GumboNode* n) {
  NameSignal sig = name_signal(attr(n, "class"));
  sig |= name_signal(attr(n, "id"));
  return sig;
}

bool is_furniture_tag(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_MATH:
    case GUMBO_TAG_CANVAS:
    case GUMBO_TAG_BUTTON:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_INPUT:
    case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_MENU:
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_LINK:
    case GUMBO_TAG_META:
      return true;
    default:
      return false;
  }
}

bool is_hidden(const GumboNode* n) {
  if (gumbo_get_attribute(&n->v.element.attributes, "hidden") != nullptr) return true;
  if (ascii_lower(trim(attr(n, "aria-hidden"))) == "true") return true;
  std::string style = ascii_lower(attr(n, "style"));
  std::erase(style, ' ');
  return style.find("display:none") != std::string::npos ||
         style.find("visibility:hidden") != std::string::npos;
}

bool is_content_root(const GumboNode* n) {
  const GumboTag t = tag_of(n);
  return t == GUMBO_TAG_BODY || t == GUMBO_TAG_HTML || t == GUMBO_TAG_ARTICLE ||
         t == GUMBO_TAG_MAIN || ascii_lower(trim(attr(n, "itemprop"))) == "articlebody";
}

// Left out of both scoring and output.
bool is_excluded(const GumboNode* n) {
  if (!is_element(n)) return false;
  const GumboTag tag = n->v.element.tag;
  if (is_furniture_tag(tag)) return true;
  if (tag == GUMBO_TAG_BODY || tag == GUMBO_TAG_HTML) return false;
  if (is_hidden(n)) return true;
  if (is_content_root(n)) return false;
  const NameSignal sig = class_signal(n);
  return sig.negative && !sig.keep;
}

bool is_blockish(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_P:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FORM:
      return true;
    default:
      return false;
  }
}

struct Stats {
  std::size_t chars = 0;       // visible text, in code points
  std::size_t link_chars = 0;  // of which inside <a>
  std::size_t commas = 0;
  bool block_child = false;  // has a block-level element child
  bool excluded = false;
};

class Extractor {
 public:
  explicit Extractor(const GumboNode* body) : body_(body) {}

  // The article's nodes (siblings, in document order), empty when nothing scored.
  std::vector<const GumboNode*> run() {
    measure();
    score();
    return select();
  }

  const Stats& stats(const GumboNode* n) const {
    static const Stats kEmpty;
    const auto it = stats_.find(n);
    return it == stats_.end() ? kEmpty : it->second;
  }

  double link_density(const GumboNode* n) const {
    const Stats& s = stats(n);
    return s.chars == 0 ? 0.0 : static_cast<double>(s.link_chars) / static_cast<double>(s.chars);
  }

 private:
  // Post-order, iterative: text sizes per element, excluded subtrees not counted.
  void measure() {
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
          if (is_blockish(c->v.element.tag)) stats_[f.node].block_child = true;
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

  double initial_score(const GumboNode* n) const {
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
    if (ascii_lower(trim(attr(n, "itemprop"))) == "articlebody") s += 30;
    return s;
  }

  bool is_paragraph(const GumboNode* n) const {
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

  void add(const GumboNode* n, double points) {
    auto [it, fresh] = scores_.try_emplace(n, 0.0);
    if (fresh) it->second = initial_score(n);
    it->second += points;
  }

  void score() {
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

  std::vector<const GumboNode*> select() const {
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

  const GumboNode* body_;
  std::unordered_map<const GumboNode*, Stats> stats_;
  std::unordered_map<const GumboNode*, double> scores_;
  std::vector<const GumboNode*> order_;  // elements in document order
};

// ---- cleaned HTML --------------------------------------------------------------------------

bool is_void(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_AREA:
    case GUMBO_TAG_BASE:
    case GUMBO_TAG_BR:
    case GUMBO_TAG_COL:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_IMG:
    case GUMBO_TAG_INPUT:
    case GUMBO_TAG_LINK:
    case GUMBO_TAG_META:
    case GUMBO_TAG_PARAM:
    case GUMBO_TAG_SOURCE:
    case GUMBO_TAG_TRACK:
    case GUMBO_TAG_WBR:
      return true;
    default:
      return false;
  }
}

void escape_into(std::string& out, std::string_view s, bool attribute) {
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        if (attribute) {
          out += "&quot;";
          break;
        }
        [[fallthrough]];
      default:
        out.push_back(c);
    }
  }
}

class Cleaner {
 public:
  Cleaner(const Extractor& ex, const std::string& title, const std::optional<std::string>& base)
      : ex_(ex), title_(title), base_(base) {}

  std::string html(const std::vector<const GumboNode*>& nodes) {
    std::string out;
    for (const GumboNode* n : nodes) write(n, out, true);
    return out;
  }

 private:
  // Dropped inside the article: link lists, forms, the headline repeated.
  bool drop(const GumboNode* n) const {
    const Stats& s = ex_.stats(n);
    if (s.excluded) return true;
    const GumboTag t = n->v.element.tag;
    if (t == GUMBO_TAG_FORM) return true;
    if ((t == GUMBO_TAG_H1 || t == GUMBO_TAG_H2) && !title_.empty() &&
        normalize_ws(gumbo_node_text(n)) == title_) {
      return true;
    }
    switch (t) {
      case GUMBO_TAG_DIV:
      case GUMBO_TAG_SECTION:
      case GUMBO_TAG_UL:
      case GUMBO_TAG_OL:
      case GUMBO_TAG_TABLE:
      case GUMBO_TAG_DL: {
        const double ld = ex_.link_density(n);
        const std::size_t plain = s.chars - s.link_chars;
        return s.chars > 0 && ld > 0.5 && plain < 200;
      }
      default:
        return false;
    }
  }

  void write_attr(std::string& out, const GumboNode* n, const char* name, bool url) const {
    std::string_view v = trim(attr(n, name));
    if (v.empty()) return;
    std::string value = url && base_ ? resolve_url(*base_, v) : std::string(v);
    if (url && starts_with_icase(value, "javascript:")) return;
    out += ' ';
    out += name;
    out += "=\"";
    escape_into(out, value, true);
    out += '"';
  }

  // Iterative pre/post-order serialization.
  void write(const GumboNode* root, std::string& out, bool is_root) {
    struct Frame {
      const GumboNode* node;
      unsigned next;
    };
    std::vector<Frame> stack;
    // Outside preformatted elements whitespace runs are cut as the pre-pass cuts them, so
    // body_html is the same with or without it (and no longer carries the page's indentation).
    int preformatted = 0;
    for (const GumboNode* a = root->parent; a != nullptr; a = a->parent) {
      if (is_preformatted(a)) ++preformatted;
    }
    const auto open = [&](const GumboNode* n) -> bool {
      if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE ||
          n->type == GUMBO_NODE_CDATA) {
        const std::string_view text = n->v.text.text;
        if (preformatted > 0) {
          escape_into(out, text, false);
        } else {
          escape_into(out, collapse_spaces(text), false);
        }
        return false;
      }
      if (!is_element(n)) return false;  // comments, doctype
      if (!(is_root && n == root) && drop(n)) return false;
      const GumboTag t = n->v.element.tag;
      // Unknown tags are written as their content only.
      const bool known = t != GUMBO_TAG_UNKNOWN && t != GUMBO_TAG_FONT && t != GUMBO_TAG_SPAN &&
                         t != GUMBO_TAG_CENTER && t != GUMBO_TAG_BODY;
      if (known) {
        out += '<';
        out += gumbo_normalized_tagname(t);
        if (t == GUMBO_TAG_A) write_attr(out, n, "href", true);
        if (t == GUMBO_TAG_IMG) {
          write_attr(out, n, "src", true);
          write_attr(out, n, "alt", false);
        }
        if (t == GUMBO_TAG_TIME) write_attr(out, n, "datetime", false);
        if (t == GUMBO_TAG_TD || t == GUMBO_TAG_TH) {
          write_attr(out, n, "colspan", false);
          write_attr(out, n, "rowspan", false);
        }
        out += '>';
      }
      if (is_void(t)) return false;
      if (is_preformatted(n)) ++preformatted;
      stack.push_back({n, 0});
      return true;
    };
    const auto close = [&](const GumboNode* n) {
      const GumboTag t = n->v.element.tag;
      const bool known = t != GUMBO_TAG_UNKNOWN && t != GUMBO_TAG_FONT && t != GUMBO_TAG_SPAN &&
                         t != GUMBO_TAG_CENTER && t != GUMBO_TAG_BODY;
      if (!known) return;
      out += "</";
      out += gumbo_normalized_tagname(t);
      out += '>';
    };
    open(root);
    while (!stack.empty()) {
      Frame& f = stack.back();
      const GumboVector& kids = f.node->v.element.children;
      if (f.next < kids.length) {
        const auto* c = static_cast<const GumboNode*>(kids.data[f.next++]);
        open(c);  // may push, invalidating f
        continue;
      }
      close(f.node);
      if (is_preformatted(f.node)) --preformatted;
      stack.pop_back();
    }
  }

  const Extractor& ex_;
  const std::string& title_;
  const std::optional<std::string>& base_;
};

}  // namespace

Expected<std::vector<Parsed>> parse_html(std::string_view text, const Context& ctx,
                                         HtmlPrepass prepass) {
  if (html_depth_estimate(text) > kMaxHtmlDepth) {
    return make_error("html: elements nested deeper than " + std::to_string(kMaxHtmlDepth));
  }
  // Most of a page is bytes html.cpp never reads (scripts, styles, unused attributes); gumbo
  // spends most of the time on them unless the pre-pass takes them out first.
  std::string shrunk;
  if (prepass == HtmlPrepass::on) {
    shrunk = shrink_html(text);
    text = shrunk;
  }
  const GumboTree tree(text);
  const GumboOutput* output = tree.output();
  if (output == nullptr) return make_error("html: gumbo could not parse the document");
  const Page page = scan(output->document);
  const LdArticle ld = json_ld_article(page.ld_json);

  Post post;
  // Title: JSON-LD headline, og:title, <title> (the latter two without a site-name suffix).
  post.title = ld.headline;
  if (post.title.empty()) {
    std::string t = normalize_ws(page.meta_value("og:title"));
    if (t.empty()) t = normalize_ws(page.meta_value("twitter:title"));
    if (t.empty() && page.title) t = normalize_ws(gumbo_node_text(page.title));
    post.title = strip_site_name(t, page);
  }

  std::string url = page.canonical.empty() ? page.meta_value("og:url") : page.canonical;
  if (!url.empty()) {
    url = ctx.url ? resolve_url(*ctx.url, url) : url;
    if (is_absolute_http(url)) post.url = url;
  }
  if (!post.url) post.url = ctx.url;

  std::vector<std::string> published = page.meta_values("article:published_time");
  for (const char* key : {"og:article:published_time", "datepublished"}) {
    for (std::string& v : page.meta_values(key)) published.push_back(std::move(v));
  }
  if (!ld.published.empty()) published.push_back(ld.published);
  std::vector<std::string> modified = page.meta_values("article:modified_time");
  for (const char* key : {"og:article:modified_time", "datemodified"}) {
    for (std::string& v : page.meta_values(key)) modified.push_back(std::move(v));
  }
  if (!ld.modified.empty()) modified.push_back(ld.modified);
  for (const GumboNode* t : page.times) {
    const std::string prop = ascii_lower(trim(attr(t, "itemprop")));
    (prop == "datemodified" ? modified : published).emplace_back(trim(attr(t, "datetime")));
  }
  post.published_at = best_time(published, ctx.timezone);
  post.updated_at = best_time(modified, ctx.timezone);
  if (!post.published_at) post.published_at = post.updated_at;

  std::string summary = page.meta_value("og:description");
  if (summary.empty()) summary = page.meta_value("description");
  if (summary.empty()) summary = ld.description;
  if (!summary.empty()) post.summary = normalize_ws(summary);

  std::string author = ld.author;
  for (const char* key : {"author", "article:author", "og:article:author", "dc.creator"}) {
    if (!author.empty()) break;
    const std::string v = page.meta_value(key);
    if (!v.empty() && !is_absolute_http(v)) author = normalize_ws(v);  // profile URLs are no name
  }
  if (author.empty() && page.author) author = microdata_name(page.author);
  if (!author.empty()) post.author = std::move(author);

  if (page.html) {
    if (const std::string_view lang = trim(attr(page.html, "lang")); !lang.empty()) {
      post.lang = std::string(lang);
    } else if (const std::string_view xml_lang = trim(attr(page.html, "xml:lang"));
               !xml_lang.empty()) {
      post.lang = std::string(xml_lang);
    }
  }
  if (!post.lang && !ld.lang.empty()) post.lang = bcp47(ld.lang);
  if (!post.lang) {
    if (std::string locale = page.meta_value("og:locale"); !locale.empty()) {
      post.lang = bcp47(locale);
    }
  }

  std::string section = page.meta_value("article:section");
  if (section.empty()) section = page.meta_value("og:article:section");
  if (section.empty()) section = ld.section;
  if (!section.empty()) {
    if (std::string slug = slugify(section); !slug.empty()) post.category = std::move(slug);
  }
  for (const std::string& tags : page.meta_values("article:tag")) {
    // One tag per meta, or one meta with a comma-separated list.
    std::size_t i = 0;
    while (i <= tags.size()) {
      const std::size_t end = std::min(tags.find(',', i), tags.size());
      if (std::string t = normalize_ws(std::string_view(tags).substr(i, end - i)); !t.empty()) {
        if (std::find(post.tags.begin(), post.tags.end(), t) == post.tags.end()) {
          post.tags.push_back(std::move(t));
        }
      }
      i = end + 1;
    }
  }

  // Main text.
  if (page.body) {
    Extractor ex(page.body);
    std::vector<const GumboNode*> nodes = ex.run();
    if (nodes.empty()) nodes.push_back(page.body);
    Cleaner cleaner(ex, post.title, post.url);
    std::string html = cleaner.html(nodes);
    post.body_text = html_to_text(html);
    if (!post.body_text.empty()) post.body_html = std::move(html);
  }
  if (post.body_text.empty() && post.summary) post.body_text = *post.summary;
  if (post.title.empty()) post.title = derive_title(post.summary, post.body_text, post.url);
  post.id = post.url && post.url != ctx.url ? *post.url : fallback_id(ctx);
  if (post.id.empty() && post.url) post.id = *post.url;
  std::vector<Parsed> out;
  out.push_back(Parsed{std::move(post), std::nullopt, std::nullopt});
  return out;
}

}  // namespace newsd::parse
