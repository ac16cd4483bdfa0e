// The HTML5 tree builder reduced to what decides the text of simple fragments (the stack of
// open elements, implied tags, tables), for the one-pass path of fast_text.cpp. Each step
// answers false where the full builder would do something this model does not follow.
#pragma once

#include <gumbo.h>

#include <array>
#include <cstddef>

#include "parse/html/tags.h"
#include "parse/html/text_sink.h"

namespace newsd::parse::html::fast {

using detail::TextSink;

using TagClass = html::BuilderClass;

inline TagClass classify(GumboTag t) {
  return html::builder_class(t);
}

inline bool is_inline(TagClass c) {
  return c == TagClass::phrasing || c == TagClass::formatting || c == TagClass::anchor;
}

inline bool is_heading(GumboTag t) {
  return t >= GUMBO_TAG_H1 && t <= GUMBO_TAG_H6;
}

inline bool is_table_section(GumboTag t) {
  return t == GUMBO_TAG_TBODY || t == GUMBO_TAG_THEAD || t == GUMBO_TAG_TFOOT;
}
inline bool is_cell(GumboTag t) {
  return t == GUMBO_TAG_TD || t == GUMBO_TAG_TH;
}
// Where an element "in scope" stops being looked for (of the HTML5 scope markers, the only
// ones the fast path ever opens).
inline bool is_scope_marker(GumboTag t) {
  return is_cell(t) || t == GUMBO_TAG_TABLE;
}

// The tree builder's insertion modes that matter here. In the three table modes only table
// structure may be open above the table, so the top of the stack tells the mode.
enum class Mode { body, table, table_body, row, cell };

// The stack of open elements as the HTML5 tree builder keeps it, for fragments in which
// nothing is ever reparented: whenever an operation would close an inline element
// implicitly (whose formatting the builder would later reconstruct) or end a misnested
// one, the fragment is refused. Under that restriction an inline element is never open
// outside the innermost cell (a table is refused inside one), and "in scope" is "on the
// stack above the innermost cell or table".
class OpenElements {
 public:
  bool push(GumboTag t) {
    if (depth_ == stack_.size()) return false;
    stack_[depth_++] = t;
    return true;
  }
  bool contains(GumboTag t) const { return find(t) != kNone; }
  // Anywhere on the stack, not only in scope: <pre> around a table still keeps the lines
  // of the table's cells.
  bool contains_anywhere(GumboTag t) const {
    for (std::size_t k = 0; k < depth_; ++k) {
      if (stack_[k] == t) return true;
    }
    return false;
  }
  bool contains_heading() const {
    for (std::size_t k = depth_; k > 0; --k) {
      if (is_heading(stack_[k - 1])) return true;
      if (is_scope_marker(stack_[k - 1])) return false;
    }
    return false;
  }
  // "In table scope": only a table ends the search.
  bool in_table_scope(GumboTag t) const {
    for (std::size_t k = depth_; k > 0; --k) {
      if (stack_[k - 1] == t) return true;
      if (stack_[k - 1] == GUMBO_TAG_TABLE) return false;
    }
    return false;
  }
  // Whether a <table> start tag may be taken: the builder would reconstruct open formatting
  // inside its cells. (An open p makes no difference to the text: in quirks mode, which a
  // fragment without a doctype is in, the table goes inside it, otherwise it closes it; a
  // paragraph break either way.)
  bool may_open_table() const {
    for (std::size_t k = 0; k < depth_; ++k) {
      if (is_inline(classify(stack_[k]))) return false;
    }
    return true;
  }
  Mode mode() const {
    const GumboTag t = top();
    if (t == GUMBO_TAG_TABLE) return Mode::table;
    if (is_table_section(t)) return Mode::table_body;
    if (t == GUMBO_TAG_TR) return Mode::row;
    for (std::size_t k = depth_; k > 0; --k) {
      if (is_cell(stack_[k - 1])) return Mode::cell;
      if (stack_[k - 1] == GUMBO_TAG_TABLE) break;
    }
    return Mode::body;
  }
  // In a table but not in a cell: where anything but table structure and whitespace would be
  // moved out of the table.
  bool between_rows() const {
    const Mode m = mode();
    return m != Mode::body && m != Mode::cell;
  }
  GumboTag top() const { return depth_ == 0 ? GUMBO_TAG_UNKNOWN : stack_[depth_ - 1]; }
  bool empty() const { return depth_ == 0; }
  void pop() { --depth_; }

  // Pops up to and including the topmost element matching `match`; false when that would
  // close an inline element on the way.
  template <typename Match>
  bool close(Match match) {
    while (depth_ > 0) {
      const GumboTag t = stack_[--depth_];
      if (match(t)) return true;
      if (is_inline(classify(t))) return false;
    }
    return true;
  }
  bool close(GumboTag target) {
    return close([target](GumboTag t) { return t == target; });
  }
  bool close_p() { return !contains(GUMBO_TAG_P) || close(GUMBO_TAG_P); }

  // <li>, <dd>, <dt>: an open item of the same kind is closed first, unless a special
  // element other than address, div and p lies between.
  bool close_open_item(bool (*same_kind)(GumboTag)) {
    for (std::size_t k = depth_; k > 0; --k) {
      const GumboTag t = stack_[k - 1];
      if (same_kind(t)) return close([same_kind](GumboTag u) { return same_kind(u); });
      if (!is_inline(classify(t)) && t != GUMBO_TAG_ADDRESS && t != GUMBO_TAG_DIV &&
          t != GUMBO_TAG_P) {
        return true;
      }
    }
    return true;
  }

  // </li> only counts when no list lies between it and its li ("list item scope").
  bool list_item_in_scope() const {
    for (std::size_t k = depth_; k > 0; --k) {
      const GumboTag t = stack_[k - 1];
      if (t == GUMBO_TAG_LI) return true;
      if (t == GUMBO_TAG_OL || t == GUMBO_TAG_UL || is_scope_marker(t)) return false;
    }
    return false;
  }

  // Ends the innermost cell (</td>, or a table tag inside a cell): what is open in it is
  // closed; false when that is an inline element. A block among them ends a paragraph.
  bool close_cell(TextSink& sink) {
    bool block = false;
    while (depth_ > 0) {
      const GumboTag t = stack_[--depth_];
      if (is_cell(t)) break;
      if (is_inline(classify(t))) return false;
      block = true;
    }
    if (block) sink.paragraph_break();
    sink.cell_gap();
    return true;
  }

 private:
  static constexpr std::size_t kNone = ~std::size_t{0};
  std::size_t find(GumboTag t) const {
    for (std::size_t k = depth_; k > 0; --k) {
      if (stack_[k - 1] == t) return k - 1;
      if (is_scope_marker(stack_[k - 1])) return kNone;
    }
    return kNone;
  }

  std::array<GumboTag, 64> stack_{};
  std::size_t depth_ = 0;
};

inline bool is_list_item(GumboTag t) {
  return t == GUMBO_TAG_LI;
}
inline bool is_definition(GumboTag t) {
  return t == GUMBO_TAG_DD || t == GUMBO_TAG_DT;
}

// Table structure the fast path follows (caption, col and colgroup are unsupported tags).
inline bool is_table_tag(GumboTag t) {
  return t == GUMBO_TAG_TABLE || is_table_section(t) || t == GUMBO_TAG_TR || is_cell(t);
}

// A start tag of table structure (is_table_tag); false when the fragment needs the full
// parser. Implied elements (a tbody before a tr, a tr before a td) are opened as the tree
// builder opens them; any other tag directly in a table would be moved out of it.
inline bool table_start_tag(GumboTag t, OpenElements& open, TextSink& sink) {
  for (;;) {
    switch (open.mode()) {
      case Mode::body:
        if (t != GUMBO_TAG_TABLE || !open.may_open_table()) return false;
        sink.paragraph_break();
        return open.push(t);
      case Mode::cell:
        if (t == GUMBO_TAG_TABLE) {
          if (!open.may_open_table()) return false;
          sink.paragraph_break();
          return open.push(t);
        }
        if (!open.close_cell(sink)) return false;
        continue;
      case Mode::table:
        if (t == GUMBO_TAG_TABLE) return false;  // closes the open table first; rare
        sink.paragraph_break();
        if (is_table_section(t)) return open.push(t);
        if (!open.push(GUMBO_TAG_TBODY)) return false;
        continue;
      case Mode::table_body:
        if (t == GUMBO_TAG_TABLE) return false;
        sink.paragraph_break();
        if (is_table_section(t)) {
          open.pop();
          continue;
        }
        if (t == GUMBO_TAG_TR) return open.push(t);
        if (!open.push(GUMBO_TAG_TR)) return false;
        continue;
      case Mode::row:
        if (is_cell(t)) {
          sink.cell_gap();
          return open.push(t);
        }
        if (t == GUMBO_TAG_TABLE) return false;
        sink.paragraph_break();
        open.pop();
        continue;
    }
  }
}

// An end tag of table structure; false when the fragment needs the full parser.
inline bool table_end_tag(GumboTag t, OpenElements& open, TextSink& sink) {
  for (;;) {
    const Mode mode = open.mode();
    if (mode == Mode::body) return false;  // ignored by the builder; rare
    // Ignored when there is nothing to end (</th> in a td, </tbody> in a thead, ...).
    if (!open.in_table_scope(t)) return true;
    if (mode == Mode::cell) {
      if (!open.close_cell(sink)) return false;
      if (is_cell(t)) return true;
      continue;
    }
    if (is_cell(t)) return true;  // no cell open: ignored
    sink.paragraph_break();
    const GumboTag top = open.top();
    open.pop();
    if (top == t) return true;
  }
}

// Applies a start tag; false when the fragment needs the full parser.
inline bool start_tag(GumboTag t, OpenElements& open, TextSink& sink) {
  if (is_table_tag(t)) return table_start_tag(t, open, sink);
  if (open.between_rows()) return false;
  const TagClass c = classify(t);
  switch (c) {
    case TagClass::unsupported:
      return false;
    case TagClass::anchor:
      if (open.contains(GUMBO_TAG_A)) return false;
      return open.push(t);
    case TagClass::phrasing:
    case TagClass::formatting:
      return open.push(t);
    case TagClass::void_inline:
      return true;
    case TagClass::br:
      sink.paragraph_break();
      return true;
    case TagClass::hr:
      sink.paragraph_break();
      return open.close_p();
    case TagClass::block:
      sink.paragraph_break();
      return open.close_p() && open.push(t);
    case TagClass::heading:
      sink.paragraph_break();
      if (!open.close_p()) return false;
      if (is_heading(open.top())) open.pop();
      return open.push(t);
    case TagClass::list_item:
      sink.paragraph_break();
      return open.close_open_item(is_list_item) && open.close_p() && open.push(t);
    case TagClass::definition:
      sink.paragraph_break();
      return open.close_open_item(is_definition) && open.close_p() && open.push(t);
  }
  return false;
}

// Applies an end tag; false when the fragment needs the full parser. An end tag with no
// matching open element is ignored by the tree builder (and so makes no paragraph break),
// except </p>, which makes an empty paragraph.
inline bool end_tag(GumboTag t, OpenElements& open, TextSink& sink) {
  if (is_table_tag(t)) return table_end_tag(t, open, sink);
  if (open.between_rows()) return false;
  switch (classify(t)) {
    case TagClass::unsupported:
    case TagClass::void_inline:
    case TagClass::br:
    case TagClass::hr:
      return false;
    case TagClass::anchor:
    case TagClass::phrasing:
    case TagClass::formatting:
      // Unknown elements all share one tag value, so their end tags cannot be matched here.
      if (t == GUMBO_TAG_UNKNOWN) return false;
      if (open.top() == t) {
        open.pop();
        return true;
      }
      return !open.contains(t);
    case TagClass::block:
      if (t == GUMBO_TAG_P) {
        sink.paragraph_break();
        return open.close_p();
      }
      if (!open.contains(t)) return true;
      sink.paragraph_break();
      return open.close(t);
    case TagClass::heading:
      if (!open.contains_heading()) return true;
      sink.paragraph_break();
      return open.close(is_heading);
    case TagClass::list_item:
      if (!open.list_item_in_scope()) return true;
      sink.paragraph_break();
      return open.close(GUMBO_TAG_LI);
    case TagClass::definition:
      if (!open.contains(t)) return true;
      sink.paragraph_break();
      return open.close(t);
  }
  return false;
}

}  // namespace newsd::parse::html::fast
