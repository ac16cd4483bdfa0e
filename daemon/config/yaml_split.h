// Reading a large `sources:` list item by item instead of as one YAML tree (the memory peak of
// a large configuration's load). Internal to the config module.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace newsd::config {

// A digest of YAML nodes in document order: kind, position, tag and value. yaml-cpp reads
// some text differently depending on what follows it (a plain scalar on the line after
// `key:` is that key's value when the document goes on with `: x`, a key of its own when
// the item is read alone), so matching item lines are not enough: the split is kept only
// when the trees it built digest to what the event parser saw in the whole document.
class NodeDigest {
 public:
  void open(char kind, const YAML::Mark& m, int line_offset, const std::string& tag) {
    mark(kind, m, line_offset);
    text(tag);
  }
  void close(char kind) { byte(static_cast<unsigned char>(kind)); }
  void null(const YAML::Mark& m, int line_offset) { mark('~', m, line_offset); }
  void scalar(const YAML::Mark& m, int line_offset, const std::string& tag,
              const std::string& value) {
    mark('s', m, line_offset);
    text(tag);
    text(value);
  }
  // The list being split, in place of its contents.
  void placeholder() { byte('L'); }

  // A node of a tree built from text that starts `line_offset` lines into the file.
  void tree(const YAML::Node& n, int line_offset) {
    switch (n.Type()) {
      case YAML::NodeType::Null:
        null(n.Mark(), line_offset);
        break;
      case YAML::NodeType::Scalar:
        scalar(n.Mark(), line_offset, n.Tag(), n.Scalar());
        break;
      case YAML::NodeType::Sequence:
        open('[', n.Mark(), line_offset, n.Tag());
        for (const auto& item : n) tree(item, line_offset);
        close(']');
        break;
      case YAML::NodeType::Map:
        open('{', n.Mark(), line_offset, n.Tag());
        for (auto it = n.begin(); it != n.end(); ++it) {
          tree(it->first, line_offset);
          tree(it->second, line_offset);
        }
        close('}');
        break;
      case YAML::NodeType::Undefined:
        byte('?');
        break;
    }
  }

  // A document whose `sources:` list was replaced: that list's value stands in for the list.
  void document_without_list(const YAML::Node& root) {
    if (!root.IsMap()) return tree(root, 0);
    open('{', root.Mark(), 0, root.Tag());
    for (auto it = root.begin(); it != root.end(); ++it) {
      tree(it->first, 0);
      if (it->first.IsScalar() && it->first.Scalar() == "sources")
        placeholder();
      else
        tree(it->second, 0);
    }
    close('}');
  }

  bool operator==(const NodeDigest&) const = default;

 private:
  // FNV-1a: the digest only has to tell yaml-cpp's two readings apart, not resist anyone.
  void byte(unsigned char b) { h_ = (h_ ^ b) * 0x100000001b3ULL; }
  void number(long v) {
    for (int i = 0; i < 8; ++i)
      byte(static_cast<unsigned char>(static_cast<unsigned long>(v) >> (8 * i)));
  }
  void mark(char kind, const YAML::Mark& m, int line_offset) {
    byte(static_cast<unsigned char>(kind));
    number(m.line + line_offset);
    number(m.column);
  }
  void text(const std::string& s) {
    number(static_cast<long>(s.size()));
    for (const char c : s) byte(static_cast<unsigned char>(c));
  }

  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

// A large configuration is mostly its list of sources, and yaml-cpp holds about 30 bytes of
// tree per byte of YAML (30 MB for 10,000 sources: the daemon's memory peak). When the list
// is a plain block sequence, its items are cut apart at their "-" lines and read one at a
// time. Whatever looks unusual (anchors or aliases across items, tabs, flow style, an item
// that does not parse alone) makes the caller read the whole document instead, so the split
// never changes what a configuration means or which errors it gets.
struct SplitList {
  std::string text;  // the document with the list's lines emptied: same line numbers, no items
  // Consecutive items, read as one small sequence: parsing each item alone would cost
  // yaml-cpp's set-up per item (3 s for 10,000 sources instead of 0.8).
  struct Group {
    std::string text;  // the items' lines as they are: same columns
    int line;          // 0-based line of the first item's "-" in the file
    std::size_t size;  // items
  };
  std::vector<Group> groups;
  NodeDigest items, rest;  // what the whole document holds inside the list, and around it
};

// The `sources:` list of `text` cut into groups of items, or nullopt when the document must be
// read whole. `top_level_list`: the document is a bare list (a file of `source_files`).
std::optional<SplitList> split_list(const std::string& text, bool top_level_list);

}  // namespace newsd::config
