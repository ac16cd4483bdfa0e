#include "parse/front_matter.h"

#include <yaml-cpp/yaml.h>

#include "parse/text_util.h"

namespace newsd::parse {

bool FrontMatterValue::operator==(const FrontMatterValue& o) const {
  return kind == o.kind && scalar == o.scalar && items == o.items && map == o.map;
}

const FrontMatterValue* find_entry(const FrontMatter& map, std::string_view key) {
  for (const FrontMatterEntry& e : map) {
    if (e.key == key) return &e.value;
  }
  return nullptr;
}

namespace {

// ---- the one-pass reader -------------------------------------------------------------
//
// Every rule below is "accept only what is certainly read this way by yaml-cpp"; anything
// else (tabs, anchors, tags, block scalars, flow mappings, escapes, multi-line scalars,
// comments after values, nested mappings, duplicate keys, ...) makes it give up.

// yaml-cpp reads these plain scalars as null (IsNullString), and an empty value too.
bool is_null_word(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

bool is_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

std::string_view rtrim_spaces(std::string_view s) {
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::string_view ltrim_spaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

// Bytes and characters that YAML or yaml-cpp may treat specially anywhere in a line: control
// characters (tab included), DEL, and NEL / LS / PS / BOM, which YAML 1.1 counts as breaks or
// marks.
bool has_special_chars(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x85) return true;
    if (c == 0xE2 && s.substr(i).starts_with("\xE2\x80") && i + 2 < s.size()) {
      const auto c2 = static_cast<unsigned char>(s[i + 2]);
      if (c2 == 0xA8 || c2 == 0xA9) return true;
    }
    if (c == 0xEF && s.substr(i).starts_with("\xEF\xBB\xBF")) return true;
  }
  return false;
}

// A plain scalar in block context that yaml-cpp reads as written (trailing spaces dropped):
// no indicator first, no ": " or " #" inside, no ':' last.
bool is_simple_plain(std::string_view s) {
  if (s.empty()) return true;
  static constexpr std::string_view kIndicators = "-?:,[]{}#&*!|>'\"%@` ";
  if (kIndicators.find(s.front()) != std::string_view::npos) return false;
  if (s.back() == ':') return false;
  if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos) {
    return false;
  }
  return true;
}

// A plain scalar inside `[...]`: as above, and no indicator at all but '-' inside a word.
bool is_simple_flow_plain(std::string_view s) {
  if (!is_simple_plain(s)) return false;
  return s.find_first_of("?:,[]{}#&*!|>'\"%@`") == std::string_view::npos;
}

FrontMatterValue plain_value(std::string_view s) {
  FrontMatterValue v;
  if (is_null_word(s)) return v;
  v.kind = FrontMatterValue::Kind::scalar;
  v.scalar = s;
  return v;
}

// A scalar value (after "key: " or "- "), trimmed of spaces at both ends; nullopt when unsure.
std::optional<FrontMatterValue> scalar_value(std::string_view s) {
  if (s.empty()) return FrontMatterValue{};
  if (s.front() == '"') {
    // Double-quoted on one line without escapes: the text between the quotes.
    const std::size_t close = s.find('"', 1);
    if (close != s.size() - 1) return std::nullopt;
    const std::string_view inner = s.substr(1, close - 1);
    if (inner.find('\\') != std::string_view::npos) return std::nullopt;
    FrontMatterValue v;
    v.kind = FrontMatterValue::Kind::scalar;
    v.scalar = inner;
    return v;
  }
  if (s.front() == '\'') {
    // Single-quoted on one line: '' is a quote.
    if (s.size() < 2 || s.back() != '\'') return std::nullopt;
    const std::string_view inner = s.substr(1, s.size() - 2);
    FrontMatterValue v;
    v.kind = FrontMatterValue::Kind::scalar;
    for (std::size_t i = 0; i < inner.size(); ++i) {
      if (inner[i] == '\'') {
        if (i + 1 >= inner.size() || inner[i + 1] != '\'') return std::nullopt;
        ++i;
      }
      v.scalar.push_back(inner[i]);
    }
    return v;
  }
  if (!is_simple_plain(s)) return std::nullopt;
  return plain_value(s);
}

// "[a, b c, d]" on one line, plain items only.
std::optional<FrontMatterValue> flow_sequence(std::string_view s) {
  if (s.size() < 2 || s.front() != '[' || s.back() != ']') return std::nullopt;
  FrontMatterValue v;
  v.kind = FrontMatterValue::Kind::sequence;
  const std::string_view inner = rtrim_spaces(ltrim_spaces(s.substr(1, s.size() - 2)));
  if (inner.empty()) return v;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = inner.find(',', start);
    const std::string_view raw = inner.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    const std::string_view item = rtrim_spaces(ltrim_spaces(raw));
    if (item.empty() || !is_simple_flow_plain(item)) return std::nullopt;
    if (is_null_word(item)) {
      v.items.emplace_back(std::nullopt);
    } else {
      v.items.emplace_back(std::string(item));
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return v;
}

}  // namespace

std::optional<FrontMatter> read_simple_front_matter(std::string_view yaml) {
  FrontMatter out;
  // The entry whose value is empty so far: block sequence items may follow it.
  FrontMatterEntry* open = nullptr;
  std::size_t item_indent = std::string_view::npos;  // of the open entry's "- " items
  std::size_t pos = 0;
  while (pos < yaml.size()) {
    std::size_t end = yaml.find('\n', pos);
    if (end == std::string_view::npos) end = yaml.size();
    const std::string_view line = yaml.substr(pos, end - pos);
    pos = end + 1;
    if (has_special_chars(line)) return std::nullopt;
    const std::string_view content = ltrim_spaces(line);
    if (content.empty()) continue;  // a blank line
    const std::size_t indent = line.size() - content.size();
    if (content.front() == '#') {
      if (indent != 0) return std::nullopt;
      continue;  // a comment line
    }
    if (content.front() == '-' && (content.size() == 1 || content[1] == ' ')) {
      // A block sequence item of the open entry, all items at one indentation.
      if (open == nullptr) return std::nullopt;
      if (item_indent == std::string_view::npos) {
        if (open->value.kind != FrontMatterValue::Kind::null) return std::nullopt;
        item_indent = indent;
        open->value.kind = FrontMatterValue::Kind::sequence;
      } else if (indent != item_indent) {
        return std::nullopt;
      }
      const std::string_view text = rtrim_spaces(ltrim_spaces(content.substr(1)));
      if (text.empty()) return std::nullopt;
      const std::optional<FrontMatterValue> item = scalar_value(text);
      if (!item) return std::nullopt;
      if (item->kind == FrontMatterValue::Kind::scalar) {
        open->value.items.emplace_back(item->scalar);
      } else {
        open->value.items.emplace_back(std::nullopt);
      }
      continue;
    }
    if (indent != 0) return std::nullopt;  // a continuation line or a nested mapping
    // "key:" or "key: value".
    std::size_t k = 0;
    while (k < line.size() && is_key_char(line[k])) ++k;
    if (k == 0 || line[0] == '-' || k >= line.size() || line[k] != ':') return std::nullopt;
    if (k + 1 < line.size() && line[k + 1] != ' ') return std::nullopt;
    const std::string_view key = line.substr(0, k);
    if (is_null_word(key) || find_entry(out, key) != nullptr) return std::nullopt;
    const std::string_view text = rtrim_spaces(ltrim_spaces(line.substr(k + 1)));
    std::optional<FrontMatterValue> value =
        !text.empty() && text.front() == '[' ? flow_sequence(text) : scalar_value(text);
    if (!value) return std::nullopt;
    out.push_back(FrontMatterEntry{std::string(key), std::move(*value)});
    open = text.empty() ? &out.back() : nullptr;
    item_indent = std::string_view::npos;
  }
  return out;
}

namespace {

// ---- yaml-cpp ------------------------------------------------------------------------

// A scalar as yaml-cpp read it, made valid UTF-8: given valid UTF-8 with a NUL in it (which
// YAML does not allow), yaml-cpp can return a lone byte ("a\0Nb" reads as "a\x85b", found by
// fuzzing).
std::string utf8_scalar(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  return is_valid_utf8(s) ? s : sanitize_utf8(s);
}

FrontMatterValue from_yaml(const YAML::Node& node, int depth) {
  FrontMatterValue v;
  if (!node || node.IsNull()) return v;
  if (node.IsScalar()) {
    v.kind = FrontMatterValue::Kind::scalar;
    v.scalar = utf8_scalar(node);
  } else if (node.IsSequence() && depth < 2) {
    v.kind = FrontMatterValue::Kind::sequence;
    for (const YAML::Node& item : node) {
      if (item.IsScalar()) {
        v.items.emplace_back(utf8_scalar(item));
      } else {
        v.items.emplace_back(std::nullopt);
      }
    }
  } else if (node.IsMap() && depth < 2) {
    v.kind = FrontMatterValue::Kind::map;
    for (const auto& kv : node) {
      // Only scalar keys can ever match a lookup by name (yaml-cpp compares as strings).
      if (!kv.first.IsScalar()) continue;
      v.map.push_back(FrontMatterEntry{utf8_scalar(kv.first), from_yaml(kv.second, depth + 1)});
    }
  } else {
    v.kind = FrontMatterValue::Kind::other;
  }
  return v;
}

}  // namespace

Expected<FrontMatter> read_front_matter_with_yaml_cpp(std::string_view yaml,
                                                      std::size_t first_line) {
  YAML::Node fm;
  try {
    fm = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return make_error("front matter is not valid YAML: line " +
                      std::to_string(e.mark.line + first_line) + ": " + e.msg);
  }
  if (fm && !fm.IsMap() && !fm.IsNull()) return make_error("front matter is not a YAML mapping");
  if (!fm || fm.IsNull()) return FrontMatter{};
  return std::move(from_yaml(fm, 0).map);
}

Expected<FrontMatter> read_front_matter(std::string_view yaml, std::size_t first_line) {
  if (std::optional<FrontMatter> simple = read_simple_front_matter(yaml)) return std::move(*simple);
  return read_front_matter_with_yaml_cpp(yaml, first_line);
}

}  // namespace newsd::parse
