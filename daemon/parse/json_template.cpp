#include "parse/json_template.h"

#include <array>

namespace newsd::parse {
namespace {

// Record fields with one value that a URL can carry; body, body_html, summary and tags are
// not among them.
constexpr std::array<std::string_view, 10> kRecordFields = {
    "id",         "title",    "url",   "origin_url", "published_at",
    "updated_at", "category", "media", "author",     "lang"};

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 6901: '~' only as "~0" or "~1".
bool valid_pointer(std::string_view p) {
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '~' && (i + 1 == p.size() || (p[i + 1] != '0' && p[i + 1] != '1'))) return false;
  }
  return true;
}

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Whether the record has `name` when the template of `field` is rendered: mapped from the
// item, or derived (category from media, published_at from updated_at).
bool provided(std::string_view name, const std::map<std::string, std::string>& fields,
              std::string_view field) {
  const auto mapped = [&](std::string_view f) {
    const auto it = fields.find(std::string(f));
    if (it == fields.end() || f == field) return false;
    // Field templates are rendered url first, then origin_url.
    return !(field == "url" && f == "origin_url" && is_template(it->second));
  };
  if (mapped(name)) return true;
  if (name == "category") return mapped("media");
  if (name == "published_at") return mapped("updated_at");
  return false;
}

}  // namespace

bool is_template(std::string_view value) {
  return value.find('{') != std::string_view::npos || value.find('}') != std::string_view::npos;
}

Expected<std::vector<TemplatePiece>> split_template(std::string_view tmpl) {
  std::vector<TemplatePiece> out;
  std::size_t i = 0;
  while (i < tmpl.size()) {
    const std::size_t open = tmpl.find_first_of("{}", i);
    if (open == std::string_view::npos) break;
    if (tmpl[open] == '}') return make_error("a '}' without its '{'");
    const std::size_t close = tmpl.find_first_of("{}", open + 1);
    if (close == std::string_view::npos || tmpl[close] == '{') {
      return make_error("a '{' without its '}'");
    }
    if (open > i) out.push_back({tmpl.substr(i, open - i), false});
    const std::string_view name = trim_spaces(tmpl.substr(open + 1, close - open - 1));
    if (name.empty() || name == "/") return make_error("an empty name between braces");
    out.push_back({name, true});
    i = close + 1;
  }
  if (i < tmpl.size()) out.push_back({tmpl.substr(i), false});
  return out;
}

bool names_record_field(std::string_view name) {
  for (const std::string_view f : kRecordFields) {
    if (f == name) return true;
  }
  return false;
}

std::optional<std::string> template_problem(std::string_view tmpl,
                                            const std::map<std::string, std::string>& fields,
                                            std::string_view field) {
  const auto pieces = split_template(tmpl);
  if (!pieces) return pieces.error().message;
  for (const TemplatePiece& p : *pieces) {
    if (!p.is_name) continue;
    const std::string name(p.text);
    if (name.starts_with('/')) {
      if (!valid_pointer(name)) return "{" + name + "} is not a valid JSON pointer";
      continue;
    }
    if (name == "body" || name == "body_html" || name == "summary" || name == "tags") {
      return "{" + name + "} is not a single value a URL can carry";
    }
    if (names_record_field(name) && !provided(name, fields, field)) {
      std::string why = "{" + name + "} names a record field that `fields` does not give";
      if (!field.empty()) why.append(" before ").append(field);
      return why.append("; write {/").append(name).append("} for the item's own member");
    }
  }
  return std::nullopt;
}

std::string url_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() * 3);
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

}  // namespace newsd::parse
