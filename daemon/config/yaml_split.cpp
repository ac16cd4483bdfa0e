#include "config/yaml_split.h"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <sstream>
#include <string_view>

namespace newsd::config {

namespace {

// Where yaml-cpp itself finds the list's items, from its event parser (which builds no
// tree): the split below is used only when the whole document parses, carries no anchor
// or alias, the parser's items are the ones cut from the lines, and the digests of what is
// inside the list (`items`) and of the rest of the document (`rest`) match what the split
// reading builds.
class ListLocator final : public YAML::EventHandler {
 public:
  explicit ListLocator(bool top_level_list) : top_level_list_(top_level_list) {}

  std::vector<int> item_lines;  // 0-based line where each item's node starts
  int after_line = -1;          // line of the node after the list in the root map, if any
  bool found = false, anchors = false, twice = false;
  NodeDigest items, rest;

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t a) override {
    digest().null(m, 0);
    node(m, a, false, false);
  }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override {
    anchors = true;
    node(m, 0, false, false);
  }
  void OnScalar(const YAML::Mark& m, const std::string& tag, YAML::anchor_t a,
                const std::string& value) override {
    const bool key = stack_.size() == 1 && stack_.back().map && stack_.back().expect_key;
    digest().scalar(m, 0, tag, value);
    node(m, a, false, false);
    if (key && value == "sources") {
      if (sources_key_) twice = true;
      sources_key_ = true;
      value_is_target_ = true;
    }
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string& tag, YAML::anchor_t a,
                       YAML::EmitterStyle::value) override {
    node(m, a, true, false);
    if (stack_.back().target) {
      rest.placeholder();
      ++inside_;
    } else {
      digest().open('[', m, 0, tag);
    }
  }
  void OnSequenceEnd() override {
    if (stack_.back().target)
      --inside_;
    else
      digest().close(']');
    close();
  }
  void OnMapStart(const YAML::Mark& m, const std::string& tag, YAML::anchor_t a,
                  YAML::EmitterStyle::value) override {
    digest().open('{', m, 0, tag);
    node(m, a, true, true);
  }
  void OnMapEnd() override {
    digest().close('}');
    close();
  }
  void OnAnchor(const YAML::Mark&, const std::string&) override { anchors = true; }

 private:
  struct Open {
    bool map, expect_key = true, target = false;
  };

  NodeDigest& digest() { return inside_ > 0 ? items : rest; }

  void node(const YAML::Mark& m, YAML::anchor_t anchor, bool container, bool map) {
    if (anchor != 0) anchors = true;
    const bool target_value = value_is_target_ && stack_.size() == 1 && !stack_.back().expect_key;
    if (!stack_.empty() && stack_.back().target) item_lines.push_back(m.line);
    if (found && after_line < 0 && stack_.size() == 1 && stack_.back().map && !target_value &&
        stack_.back().expect_key)
      after_line = m.line;  // the first key after the list
    if (target_value) value_is_target_ = false;
    if (container) {
      Open o{map};
      if (!map && ((top_level_list_ && stack_.empty()) || target_value)) {
        o.target = true;
        found = true;
      }
      stack_.push_back(o);
    } else {
      done();
    }
  }
  void close() {
    stack_.pop_back();
    done();
  }
  // A node of the innermost open container is complete.
  void done() {
    if (!stack_.empty() && stack_.back().map) stack_.back().expect_key = !stack_.back().expect_key;
  }

  bool top_level_list_;
  bool sources_key_ = false, value_is_target_ = false;
  int inside_ = 0;  // open target lists: at most one, as the key may not come twice
  std::vector<Open> stack_;
};

}  // namespace

std::optional<SplitList> split_list(const std::string& text, bool top_level_list) {
  struct Line {
    std::size_t begin, end;  // without the newline
    int indent;              // -1: blank or comment only
  };
  std::vector<Line> lines;
  for (std::size_t at = 0; at <= text.size();) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::size_t i = at;
    while (i < end && text[i] == ' ') ++i;
    if (i < end && text[i] == '\t') return std::nullopt;
    const bool empty = i == end || text[i] == '#' || (text[i] == '\r' && i + 1 == end);
    lines.push_back({at, end, empty ? -1 : static_cast<int>(i - at)});
    if (end == text.size()) break;
    at = end + 1;
  }
  const auto starts_item = [&](const Line& l) {
    const std::size_t dash = l.begin + static_cast<std::size_t>(l.indent);
    if (text[dash] != '-') return false;
    return dash + 1 == l.end || text[dash + 1] == ' ' || text[dash + 1] == '\r';
  };
  std::size_t first = 0;  // first line of the list's region
  if (!top_level_list) {
    std::size_t key = lines.size();
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].indent != 0) continue;
      std::string_view l(text.data() + lines[i].begin, lines[i].end - lines[i].begin);
      if (l.substr(0, 8) != "sources:") continue;
      l.remove_prefix(8);
      while (!l.empty() && (l.front() == ' ' || l.front() == '\r')) l.remove_prefix(1);
      if (!l.empty() && l.front() != '#') return std::nullopt;  // "sources: []", an anchor...
      if (key != lines.size()) return std::nullopt;             // twice: leave it to yaml-cpp
      key = i;
    }
    if (key == lines.size()) return std::nullopt;
    first = key + 1;
  }
  std::size_t i = first;
  while (i < lines.size() && lines[i].indent < 0) ++i;
  if (i == lines.size() || !starts_item(lines[i])) return std::nullopt;
  const int indent = lines[i].indent;
  if (top_level_list && indent != 0) return std::nullopt;
  SplitList out;
  std::vector<std::size_t> starts{i};  // the line of each item's "-"
  for (++i; i < lines.size(); ++i) {
    const Line& l = lines[i];
    if (l.indent < 0 || l.indent > indent) continue;
    if (l.indent < indent || !starts_item(l)) break;
    starts.push_back(i);
  }
  // The list must end where the document does or at the next top-level key; anything else
  // is malformed, and yaml-cpp should be the one to say how.
  if (i < lines.size() && (top_level_list || lines[i].indent != 0 || starts_item(lines[i])))
    return std::nullopt;
  // Trailing blank and comment lines stay with the last item: what looks like a comment may
  // be the end of a quoted scalar that yaml-cpp lets run on to the end of the document.
  const std::size_t region_end = i;
  ListLocator where(top_level_list);
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    parser.HandleNextDocument(where);
  } catch (const YAML::Exception&) {
    return std::nullopt;  // not valid YAML: the whole-document reader reports it
  }
  if (!where.found || where.anchors || where.twice || where.item_lines.size() != starts.size())
    return std::nullopt;
  for (std::size_t j = 0; j < starts.size(); ++j) {
    const auto line = static_cast<std::size_t>(where.item_lines[j]);
    const std::size_t next = j + 1 < starts.size() ? starts[j + 1] : region_end;
    if (line < starts[j] || line >= next) return std::nullopt;
  }
  if (where.after_line >= 0 ? static_cast<std::size_t>(where.after_line) != i : i != lines.size())
    return std::nullopt;
  out.items = where.items;
  out.rest = where.rest;
  constexpr std::size_t kGroup = 128;
  for (std::size_t g = 0; g < starts.size(); g += kGroup) {
    const std::size_t n = std::min(kGroup, starts.size() - g);
    const std::size_t from = lines[starts[g]].begin;
    const std::size_t end_line = g + n < starts.size() ? starts[g + n] : region_end;
    const std::size_t to = end_line < lines.size() ? lines[end_line].begin : text.size();
    out.groups.push_back({text.substr(from, to - from), static_cast<int>(starts[g]), n});
  }
  // The list's lines become empty and the key's value an explicit empty list: an empty
  // value would let yaml-cpp take whatever follows (say, a line starting with ':') as it.
  if (top_level_list) {
    out.text.append(region_end, '\n');
  } else {
    out.text.append(text, 0, lines[first - 1].begin);
    out.text += "sources: []\n";
    out.text.append(region_end - first, '\n');
  }
  if (region_end < lines.size()) out.text.append(text, lines[region_end].begin);
  return out;
}

}  // namespace newsd::config
