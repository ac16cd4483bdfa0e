// Pieces shared by the two HTML -> text paths (html_text.cpp: gumbo's tree;
// html_fast_text.cpp: a single pass over simple fragments). Both must produce the same text
// for the same fragment, so they share the tag classes and the paragraph accumulator.
#pragma once

#include <gumbo.h>

#include <string>
#include <string_view>

#include "parse/text_util.h"

namespace newsd::parse::detail {

// Elements that start and end a paragraph.
inline bool is_block(GumboTag tag) {
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

// Elements whose content is never text.
inline bool is_hidden(GumboTag tag) {
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

// Accumulates paragraphs: text within one paragraph is concatenated and normalized when the
// paragraph ends; paragraphs are joined by '\n' as they end, empty ones dropped.
class TextSink {
 public:
  void text(std::string_view t) { current_.append(t); }
  void text(char c) { current_.push_back(c); }
  void cell_gap() {
    if (!current_.empty()) current_.push_back(' ');
  }
  void paragraph_break() {
    if (current_.empty()) return;
    const std::size_t mark = out_.size();
    if (!out_.empty()) out_.push_back('\n');
    const std::size_t start = out_.size();
    append_normalized_ws(out_, current_);
    if (out_.size() == start) out_.resize(mark);
    current_.clear();
  }
  // In NFC: the same text always has the same bytes, so the content digest does not change
  // with how a page happened to compose its accents.
  std::string finish() {
    paragraph_break();
    return to_nfc(std::move(out_));
  }

 private:
  std::string current_;
  std::string out_;
};

}  // namespace newsd::parse::detail
