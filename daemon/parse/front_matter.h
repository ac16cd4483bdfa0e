// The YAML front matter of a jekyll post, reduced to what the jekyll parser reads: a mapping
// of scalars, lists of scalars and (for `author`) one nested mapping.
//
// Two readers give the same answer: a one-pass reader for the flat subset that posts
// actually use (`key: scalar`, quoted scalars, `[a, b]` and `- item` lists), which answers
// nullopt for anything it is not sure about, and yaml-cpp for everything else. yaml-cpp's
// YAML::Load was a third of a jekyll parse; front_matter_test and the jekyll fuzzer hold the
// two readers to the same result.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace newsd::parse {

struct FrontMatterEntry;

struct FrontMatterValue {
  // `other`: anything the jekyll parser never reads (a mapping nested two deep, ...).
  enum class Kind { null, scalar, sequence, map, other };
  Kind kind = Kind::null;
  std::string scalar;                             // Kind::scalar: the scalar's value
  std::vector<std::optional<std::string>> items;  // Kind::sequence: nullopt for non-scalars
  std::vector<FrontMatterEntry> map;              // Kind::map, in document order

  bool operator==(const FrontMatterValue&) const;
};

struct FrontMatterEntry {
  std::string key;
  FrontMatterValue value;

  bool operator==(const FrontMatterEntry&) const = default;
};

// The top-level mapping, in document order (empty for an empty front matter).
using FrontMatter = std::vector<FrontMatterEntry>;

// The first entry named `key` (yaml-cpp's lookup), or nullptr.
const FrontMatterValue* find_entry(const FrontMatter& map, std::string_view key);

// The one-pass reader: nullopt when `yaml` is outside the subset it knows for certain.
std::optional<FrontMatter> read_simple_front_matter(std::string_view yaml);

// yaml-cpp. Errors: "front matter is not valid YAML: line N: ..." (N counted from
// `first_line`, the document line of the front matter's first line) or "front matter is not a
// YAML mapping".
Expected<FrontMatter> read_front_matter_with_yaml_cpp(std::string_view yaml,
                                                      std::size_t first_line);

// The one-pass reader when it is sure, else yaml-cpp.
Expected<FrontMatter> read_front_matter(std::string_view yaml, std::size_t first_line);

}  // namespace newsd::parse
