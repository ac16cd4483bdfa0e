#include "parse/html/clean.h"

#include <string>
#include <vector>

#include "core/ascii.h"
#include "parse/html/node.h"
#include "parse/html/prepass.h"
#include "parse/html/tags.h"
#include "parse/html/text.h"
#include "parse/text_util.h"

namespace newsd::parse::html {
namespace {

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
    if (url && ascii::starts_with_lower(value, "javascript:")) return;
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
      if (has(t, kVoid)) return false;
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

std::string clean_article(const Extractor& ex, const std::vector<const GumboNode*>& nodes,
                          const std::string& title, const std::optional<std::string>& base) {
  return Cleaner(ex, title, base).html(nodes);
}

}  // namespace newsd::parse::html
