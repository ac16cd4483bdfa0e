#include "parse/html/metadata.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>

#include "core/ascii.h"
#include "parse/html/node.h"
#include "parse/html/text.h"

namespace newsd::parse::html {
namespace {

namespace json = boost::json;

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

bool rel_has(std::string_view rel, std::string_view token) {
  const std::string lower = ascii::lowered(rel);
  std::size_t i = 0;
  while (i < lower.size()) {
    const std::size_t end = std::min(lower.find_first_of(" \t\n\r", i), lower.size());
    if (std::string_view(lower).substr(i, end - i) == token) return true;
    i = end + 1;
  }
  return false;
}

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

}  // namespace

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
          if (ascii::lowered(trim(attr(n, "type"))) == "application/ld+json") {
            page.ld_json.push_back(raw_text(n));
          }
          break;
        case GUMBO_TAG_LINK:
          if (page.canonical.empty() && rel_has(attr(n, "rel"), "canonical")) {
            page.canonical = std::string(trim(attr(n, "href")));
          }
          break;
        case GUMBO_TAG_META: {
          std::string key = ascii::lowered(attr(n, "property"));
          if (key.empty()) key = ascii::lowered(attr(n, "name"));
          if (key.empty()) key = ascii::lowered(attr(n, "itemprop"));
          if (!key.empty()) page.meta.emplace_back(std::move(key), attr(n, "content"));
          break;
        }
        default:
          break;
      }
      if (!page.author && ascii::lowered(trim(attr(n, "itemprop"))) == "author") page.author = n;
    }
    // Push in reverse so that document order is kept ("first" means first in the page).
    for (unsigned k = kids->length; k > 0; --k) {
      stack.push_back(static_cast<const GumboNode*>(kids->data[k - 1]));
    }
  }
  return page;
}

LdArticle json_ld_article(const std::vector<std::string>& scripts) {
  LdArticle out;
  for (const std::string& text : scripts) {
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
    std::string h1 = normalize_ws(gumbo_node_text(h));
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

std::string microdata_name(const GumboNode* author) {
  std::vector<const GumboNode*> stack{author};
  while (!stack.empty()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (!is_element(n)) continue;
    if (n != author && ascii::lowered(trim(attr(n, "itemprop"))) == "name") {
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

}  // namespace newsd::parse::html
