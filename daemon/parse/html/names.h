// What the class and id names of an element say about it, for the readability scoring of
// article pages (readability.cpp) and for the pre-pass (prepass.cpp), which keeps only the
// names that say something.
#pragma once

#include <string_view>

namespace newsd::parse {

struct NameSignal {
  bool negative = false;  // page furniture: comments, sharing, ads, menus, ...
  bool positive = false;  // weighs a candidate up
  bool keep = false;      // overrides `negative` when excluding furniture

  bool any() const { return negative || positive || keep; }
  NameSignal& operator|=(const NameSignal& o) {
    negative = negative || o.negative;
    positive = positive || o.positive;
    keep = keep || o.keep;
    return *this;
  }
};

// The signal of a list of class/id names. Every word it looks for is ASCII letters only, so
// the signal of names joined by anything but a letter or digit is the union of their
// signals: a name that says nothing can be left out of the list without changing it.
NameSignal name_signal(std::string_view names);

}  // namespace newsd::parse
