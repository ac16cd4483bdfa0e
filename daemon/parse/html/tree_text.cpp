// HTML -> text through gumbo's tree, and the linear tag stripper for documents too deep for
// gumbo; html_to_text() picks the path (the one-pass path of fast_text.cpp first).
#include <gumbo.h>

#include <algorithm>
#include <array>
#include <vector>

#include "core/ascii.h"
#include "parse/html/gumbo_tree.h"
#include "parse/html/tags.h"
#include "parse/html/text.h"
#include "parse/html/text_sink.h"
#include "parse/html/tokenizer.h"
#include "parse/text_util.h"

namespace newsd::parse {
namespace {

using detail::TextSink;
using html::has;

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
    const GumboTag tag =
        node->type == GUMBO_NODE_DOCUMENT ? GUMBO_TAG_UNKNOWN : node->v.element.tag;
    if (f.next_child == 0) {
      if (node->type != GUMBO_NODE_DOCUMENT && has(tag, html::kNoText)) {
        stack.pop_back();
        continue;
      }
      if (has(tag, html::kParagraph)) sink.paragraph_break();
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
    if (has(tag, html::kParagraph)) sink.paragraph_break();
    if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH) sink.cell_gap();
    stack.pop_back();
  }
}

// The tag name starting at s[i], as written.
std::string_view raw_tag_name_at(std::string_view s, std::size_t i) {
  std::size_t end = i;
  while (end < s.size() &&
         (ascii::is_alnum(s[end]) || s[end] == '!' || s[end] == '-' || s[end] == ':')) {
    ++end;
  }
  return s.substr(i, end - i);
}

GumboTag tag_at(std::string_view s, std::size_t i) {
  return html::tag_named(raw_tag_name_at(s, i));
}

// The references the tag stripper decodes, as written: the fallback for hostile documents
// has always read only these, whereas the one-pass path knows sixty names.
bool is_basic_reference(std::string_view written) {
  static constexpr std::array<std::string_view, 7> kBasic = {"&amp;", "&lt;",   "&gt;",  "&quot;",
                                                             "&#39;", "&apos;", "&nbsp;"};
  return std::find(kBasic.begin(), kBasic.end(), written) != kBasic.end();
}

// Linear tag stripper for documents too deep for gumbo: block tags break paragraphs, the
// common entities are decoded, script/style/comments are skipped.
std::string strip_tags(std::string_view s) {
  TextSink sink;
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t lt = s.find('<', i);
    std::string_view text = s.substr(i, lt == std::string_view::npos ? s.npos : lt - i);
    std::string decoded;
    for (std::size_t k = 0; k < text.size(); ++k) {
      if (text[k] == '&') {
        const html::Reference r = html::read_reference(text, k);
        if (r.kind == html::Reference::decoded && is_basic_reference(text.substr(k, r.next - k))) {
          char utf8[4];
          decoded.append(utf8, html::encode_utf8(r.code_point, utf8));
          k = r.next - 1;
          continue;
        }
      }
      decoded.push_back(text[k]);
    }
    sink.text(decoded);
    if (lt == std::string_view::npos) break;
    if (s.substr(lt).starts_with("<!--")) {
      const std::size_t end = s.find("-->", lt);
      i = end == std::string_view::npos ? s.size() : end + 3;
      continue;
    }
    const std::size_t gt = s.find('>', lt);
    if (gt == std::string_view::npos) break;
    const bool closing = lt + 1 < s.size() && s[lt + 1] == '/';
    const GumboTag tag = tag_at(s, lt + (closing ? 2 : 1));
    i = gt + 1;
    if (!closing && (tag == GUMBO_TAG_SCRIPT || tag == GUMBO_TAG_STYLE)) {
      // Skip to the matching end tag, compared case-insensitively in place.
      std::size_t end = i;
      for (; (end = s.find("</", end)) != std::string_view::npos; end += 2) {
        if (tag_at(s, end + 2) == tag) break;
      }
      i = end == std::string_view::npos ? s.size() : end;
      continue;
    }
    if (has(tag, html::kParagraph)) sink.paragraph_break();
  }
  return sink.finish();
}

}  // namespace

// An upper bound of the element nesting depth, without parsing: every open tag that is neither
// void nor implicitly closed counts. Overestimates only ever select the plain fallback below.
std::size_t html_depth_estimate(std::string_view s) {
  std::size_t depth = 0;
  std::size_t max_depth = 0;
  for (std::size_t i = s.find('<'); i != std::string_view::npos; i = s.find('<', i + 1)) {
    if (s.substr(i).starts_with("<!--")) {
      i = s.find("-->", i);
      if (i == std::string_view::npos) break;
      continue;
    }
    if (i + 1 >= s.size()) break;
    if (s[i + 1] == '/') {
      if (depth > 0) --depth;
      continue;
    }
    if (!ascii::is_alpha(s[i + 1])) continue;
    const std::size_t gt = s.find('>', i);
    if (gt == std::string_view::npos) break;
    const bool counts =
        s[gt - 1] != '/' && !has(tag_at(s, i + 1), html::TagFlag(html::kVoid | html::kImpliedEnd));
    i = gt;  // resume after the tag: every byte is looked at once
    if (counts) max_depth = std::max(max_depth, ++depth);
  }
  return max_depth;
}

std::string html_to_text(std::string_view html) {
  if (html.empty()) return {};
  // Both paths expect UTF-8; gumbo would replace bad bytes itself, but sanitizing keeps the
  // contract obvious.
  std::string repaired;
  if (!is_valid_utf8(html)) repaired = sanitize_utf8(html);
  const std::string_view input = repaired.empty() ? html : std::string_view(repaired);
  // The one-pass path keeps at most 64 open elements (and refuses deeper fragments), so only
  // gumbo needs the depth guard.
  if (std::optional<std::string> text = simple_html_to_text(input)) return std::move(*text);
  if (html_depth_estimate(input) > kMaxHtmlDepth) return strip_tags(input);
  return gumbo_html_to_text(input);
}

std::string gumbo_html_to_text(std::string_view html) {
  const GumboTree tree(html);
  if (tree.output() == nullptr) return normalize_ws(html);
  TextSink sink;
  walk(tree.output()->document, sink);
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
