#include "parse/html_text.h"

#include <gumbo.h>

#include <memory>
#include <vector>

#include "parse/text_util.h"

namespace newsd::parse {
namespace {

bool is_block(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_P:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_BR:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_TFOOT:
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_FIELDSET:
    case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_SUMMARY:
    case GUMBO_TAG_CENTER:
    case GUMBO_TAG_BODY:
    case GUMBO_TAG_HTML:
      return true;
    default:
      return false;
  }
}

bool is_hidden(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_MATH:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_BUTTON:
      return true;
    default:
      return false;
  }
}

// Accumulates paragraphs; text within one paragraph is concatenated and normalized later.
class TextSink {
 public:
  void text(std::string_view t) { current_.append(t); }
  void cell_gap() {
    if (!current_.empty()) current_.push_back(' ');
  }
  void paragraph_break() {
    std::string p = normalize_ws(current_);
    if (!p.empty()) paragraphs_.push_back(std::move(p));
    current_.clear();
  }
  std::string finish() {
    paragraph_break();
    std::string out;
    for (const auto& p : paragraphs_) {
      if (!out.empty()) out.push_back('\n');
      out += p;
    }
    return out;
  }

 private:
  std::string current_;
  std::vector<std::string> paragraphs_;
};

// Iterative walk (explicit stack): deeply nested markup cannot exhaust the call stack.
void walk(const GumboNode* root, TextSink& sink) {
  struct Frame {
    const GumboNode* node;
    unsigned next_child;
  };
  std::vector<Frame> stack;
  int pre_depth = 0;
  stack.push_back({root, 0});
  while (!stack.empty()) {
    Frame& f = stack.back();
    const GumboNode* node = f.node;
    if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_CDATA ||
        node->type == GUMBO_NODE_WHITESPACE) {
      if (pre_depth > 0) {
        // Preformatted text keeps its line structure.
        bool first = true;
        for (std::string_view line : split_lines(node->v.text.text)) {
          if (!first) sink.paragraph_break();
          sink.text(line);
          first = false;
        }
      } else {
        sink.text(node->v.text.text);
      }
      stack.pop_back();
      continue;
    }
    if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_DOCUMENT &&
        node->type != GUMBO_NODE_TEMPLATE) {
      stack.pop_back();
      continue;
    }
    const GumboVector& children =
        node->type == GUMBO_NODE_DOCUMENT ? node->v.document.children : node->v.element.children;
    const GumboTag tag = node->type == GUMBO_NODE_DOCUMENT ? GUMBO_TAG_UNKNOWN : node->v.element.tag;
    if (f.next_child == 0) {
      if (node->type != GUMBO_NODE_DOCUMENT && is_hidden(tag)) {
        stack.pop_back();
        continue;
      }
      if (is_block(tag)) sink.paragraph_break();
      if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH) sink.cell_gap();
      if (tag == GUMBO_TAG_PRE) ++pre_depth;
    }
    if (f.next_child < children.length) {
      const auto* child = static_cast<const GumboNode*>(children.data[f.next_child]);
      ++f.next_child;
      stack.push_back({child, 0});  // invalidates `f`
      continue;
    }
    if (tag == GUMBO_TAG_PRE && pre_depth > 0) --pre_depth;
    if (is_block(tag)) sink.paragraph_break();
    if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH) sink.cell_gap();
    stack.pop_back();
  }
}

}  // namespace

std::string html_to_text(std::string_view html) {
  if (html.empty()) return {};
  // Gumbo expects UTF-8; it would replace bad bytes itself, but sanitizing keeps the
  // contract obvious.
  const std::string input = is_valid_utf8(html) ? std::string(html) : sanitize_utf8(html);
  GumboOptions options = kGumboDefaultOptions;
  options.max_errors = 0;  // errors are not needed; skip recording them
  std::unique_ptr<GumboOutput, void (*)(GumboOutput*)> output(
      gumbo_parse_with_options(&options, input.data(), input.size()),
      [](GumboOutput* o) { gumbo_destroy_output(&kGumboDefaultOptions, o); });
  if (!output) return normalize_ws(input);
  TextSink sink;
  walk(output->document, sink);
  return sink.finish();
}

std::string gumbo_node_text(const GumboNode* node) {
  if (node == nullptr) return {};
  TextSink sink;
  walk(node, sink);
  return sink.finish();
}

bool looks_like_html(std::string_view s) {
  const auto lt = s.find('<');
  if (lt != std::string_view::npos && lt + 1 < s.size()) {
    const char c = s[lt + 1];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '/' || c == '!') return true;
  }
  const auto amp = s.find('&');
  return amp != std::string_view::npos && s.find(';', amp) != std::string_view::npos;
}

}  // namespace newsd::parse
