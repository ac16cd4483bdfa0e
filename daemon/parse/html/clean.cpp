#include "parse/html/clean.h"

#include <algorithm>
#include <string>
#include <vector>

#include "core/ascii.h"
#include "parse/html/node.h"
#include "parse/html/prepass.h"
#include "parse/html/tags.h"
#include "parse/html/text.h"
#include "parse/html/text_sink.h"
#include "parse/html/tokenizer.h"
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

// The text of the HTML the cleaner writes, as html_to_text() reads it back, built while the
// HTML is written instead of parsing it again. It follows what the HTML5 tree builder does
// with serialized markup: table structure outside a written table is ignored, a line feed
// right after <pre> is dropped, CR becomes LF and the characters gumbo's input reader
// replaces become U+FFFD. Where that reading needs more of the builder, it gives up and
// clean_article() parses the HTML after all: elements without text, kUnmirrored in tags.h
// (raw-text elements, elements that may go to <head>, <form>, whose pointer gumbo keeps,
// <listing>, whose end tag gumbo lets close an open form, <isindex>, which becomes a form),
// blocks that close an open <p> without being paragraphs, and documents deep enough for the
// tag stripper. That is rare: the cleaner drops most of these. The equality is tested
// (html/tests/clean_test.cpp).
class TextMirror {
 public:
  // A start tag, just written (`end` is the size of the output after it); `read` false when
  // the tree builder ignores it (ignored()).
  void start(GumboTag t, std::size_t end, bool read) {
    if (has(t, kNoText) || has(t, kUnmirrored)) gave_up_ = true;
    if (has(t, kVoid)) {
      if (read && has(t, kParagraph)) sink_.paragraph_break();
      return;
    }
    if (!has(t, kImpliedEnd)) deepest_ = std::max(deepest_, ++depth_);
    if (!read) return;
    // These close an open <p> when read back, without being paragraphs themselves.
    if (paragraphs_ > 0 && (t == GUMBO_TAG_DIR || t == GUMBO_TAG_MENU || t == GUMBO_TAG_HGROUP)) {
      gave_up_ = true;
    }
    if (t == GUMBO_TAG_P) ++paragraphs_;
    if (t == GUMBO_TAG_TABLE) ++tables_;
    if (t == GUMBO_TAG_PRE) line_feed_dropped_at_ = end;
    if (has(t, kParagraph)) sink_.paragraph_break();
    if (t == GUMBO_TAG_TD || t == GUMBO_TAG_TH) sink_.cell_gap();
    if (t == GUMBO_TAG_PRE) ++pre_;
  }
  void end(GumboTag t, bool read) {
    if (!has(t, kImpliedEnd)) --depth_;
    if (!read) return;
    if (t == GUMBO_TAG_P) --paragraphs_;
    if (t == GUMBO_TAG_TABLE) --tables_;
    if (t == GUMBO_TAG_PRE) --pre_;
    if (has(t, kParagraph)) sink_.paragraph_break();
    if (t == GUMBO_TAG_TD || t == GUMBO_TAG_TH) sink_.cell_gap();
  }
  // Whether the tree builder ignores start and end tags of `t` here: table structure
  // outside a table.
  bool ignored(GumboTag t) const { return tables_ == 0 && has(t, kTablePart); }

  // Text as written (before escaping), starting at `at` in the output.
  void text(std::string_view written, std::size_t at) {
    std::size_t i = 0;
    while (i < written.size() && written[i] != '\r' && !replaced_by_gumbo(written, i)) ++i;
    std::string read;
    if (i < written.size()) {
      read.assign(written.substr(0, i));
      while (i < written.size()) {
        const char c = written[i];
        if (c == '\r') {
          read.push_back('\n');
          i += written.substr(i).starts_with("\r\n") ? 2 : 1;
        } else if (replaced_by_gumbo(written, i)) {
          read.append("\xEF\xBF\xBD");
          i += utf8_length(c);
        } else {
          read.push_back(c);
          ++i;
        }
      }
      written = read;
    }
    std::string_view t = written;
    if (at == line_feed_dropped_at_ && t.starts_with('\n')) t.remove_prefix(1);
    if (pre_ == 0) {
      sink_.text(t);
      return;
    }
    bool first = true;
    for (std::string_view line : split_lines(t)) {
      if (!first) sink_.paragraph_break();
      sink_.text(line);
      first = false;
    }
  }

  // The text, or nullopt when html_to_text() has to read the HTML.
  std::optional<std::string> finish() {
    if (gave_up_ || deepest_ > kMaxHtmlDepth) return std::nullopt;
    return sink_.finish();
  }

 private:
  static std::size_t utf8_length(char lead) {
    const auto b = static_cast<unsigned char>(lead);
    return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  }

  detail::TextSink sink_;
  std::size_t depth_ = 0;  // open elements html_depth_estimate() counts
  std::size_t deepest_ = 0;
  std::size_t tables_ = 0;
  std::size_t paragraphs_ = 0;  // open <p>
  int pre_ = 0;
  std::size_t line_feed_dropped_at_ = std::string::npos;
  bool gave_up_ = false;
};

class Cleaner {
 public:
  Cleaner(const Extractor& ex, const std::string& title, const std::optional<std::string>& base)
      : ex_(ex), title_(title), base_(base) {}

  CleanArticle run(const std::vector<const GumboNode*>& nodes) {
    CleanArticle out;
    for (const GumboNode* n : nodes) write(n, out.html, true);
    std::optional<std::string> text = text_.finish();
    out.text = text ? std::move(*text) : html_to_text(out.html);
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
      bool known;  // its tags are written
      bool read;   // and read back as written (TextMirror::ignored)
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
        const std::size_t at = out.size();
        if (preformatted > 0) {
          escape_into(out, text, false);
          text_.text(text, at);
        } else {
          const std::string collapsed = collapse_spaces(text);
          escape_into(out, collapsed, false);
          text_.text(collapsed, at);
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
      const bool read = known && !text_.ignored(t);
      if (known) text_.start(t, out.size(), read);
      if (has(t, kVoid)) return false;
      if (is_preformatted(n)) ++preformatted;
      stack.push_back({n, 0, known, read});
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
      if (f.known) text_.end(f.node->v.element.tag, f.read);
      if (is_preformatted(f.node)) --preformatted;
      stack.pop_back();
    }
  }

  const Extractor& ex_;
  const std::string& title_;
  const std::optional<std::string>& base_;
  TextMirror text_;
};

}  // namespace

CleanArticle clean_article(const Extractor& ex, const std::vector<const GumboNode*>& nodes,
                           const std::string& title, const std::optional<std::string>& base) {
  return Cleaner(ex, title, base).run(nodes);
}

}  // namespace newsd::parse::html
