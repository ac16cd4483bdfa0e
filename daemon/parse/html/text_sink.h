// The paragraph accumulator of every HTML -> text path (tree_text.cpp: gumbo's tree and the
// tag stripper; fast_text.cpp: a single pass over simple fragments; clean.cpp: the cleaned
// article). They must produce the same text for the same markup, so they share it and the
// tag table (tags.h).
#pragma once

#include <string>
#include <string_view>

#include "parse/text_util.h"

namespace newsd::parse::detail {

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
