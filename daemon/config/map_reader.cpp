#include "config/map_reader.h"

#include <charconv>

namespace newsd::config {

MapReader::MapReader(Ctx& ctx, const YAML::Node& node, std::string path)
    : ctx_(ctx), node_(node), path_(std::move(path)) {
  if (!node_.IsDefined()) {
    valid_ = false;  // a missing section was reported by whoever required it
  } else if (!node_.IsMap()) {
    ctx_.fail(node_, path_.empty() ? "(top level)" : path_, "expected a mapping");
    valid_ = false;
  }
}

YAML::Node MapReader::get(const std::string& key, bool required) {
  declared_.insert(key);
  if (!valid_) return YAML::Node(YAML::NodeType::Undefined);
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (it->first.Scalar() == key) return it->second;
  }
  if (required) ctx_.fail(node_, key_path(key), "required key is missing");
  return YAML::Node(YAML::NodeType::Undefined);
}

std::optional<std::string> MapReader::scalar(const std::string& key, bool required) {
  const YAML::Node v = get(key, required);
  if (!v.IsDefined()) return std::nullopt;
  if (!v.IsScalar()) {
    ctx_.fail(v, key_path(key), "expected a single value");
    return std::nullopt;
  }
  std::string error;
  auto text = interpolate(v.Scalar(), &error);
  if (!text) {
    ctx_.fail(v, key_path(key), error);
    return std::nullopt;
  }
  return text;
}

void MapReader::string(const std::string& key, std::string& out, bool required) {
  if (auto s = scalar(key, required)) {
    if (s->empty() && required) {
      fail(key, "must not be empty");
      return;
    }
    out = *s;
  }
}

void MapReader::optional_string(const std::string& key, std::optional<std::string>& out) {
  if (auto s = scalar(key)) out = *s;
}

void MapReader::boolean(const std::string& key, bool& out) {
  if (auto s = scalar(key)) {
    if (*s == "true" || *s == "yes" || *s == "on")
      out = true;
    else if (*s == "false" || *s == "no" || *s == "off")
      out = false;
    else
      fail(key, "expected true or false, got '" + *s + "'");
  }
}

void MapReader::duration(const std::string& key, std::chrono::milliseconds& out,
                         std::chrono::milliseconds min) {
  if (auto s = scalar(key)) {
    auto d = parse_duration(*s);
    if (!d)
      fail(key, "expected a duration such as 500ms, 30s, 5m, 2h or 1d, got '" + *s + "'");
    else if (*d < min)
      fail(key, "must be at least " + std::to_string(min.count()) + "ms");
    else
      out = *d;
  }
}

void MapReader::size(const std::string& key, std::size_t& out) {
  if (auto s = scalar(key)) {
    auto n = parse_size(*s);
    if (!n || *n == 0)
      fail(key, "expected a size such as 512KiB or 8MiB, got '" + *s + "'");
    else
      out = *n;
  }
}

void MapReader::count(const std::string& key, std::size_t& out, std::size_t lo, std::size_t hi,
                      const std::string& expected) {
  if (auto s = scalar(key)) {
    std::size_t v = 0;
    const char* end = s->data() + s->size();
    auto [p, ec] = std::from_chars(s->data(), end, v);
    if (ec != std::errc() || p != end || v < lo || v > hi)
      fail(key, expected);
    else
      out = v;
  }
}

void MapReader::string_map(const std::string& key, std::map<std::string, std::string>& out) {
  const YAML::Node v = get(key, false);
  if (!v.IsDefined() || v.IsNull()) return;
  if (!v.IsMap()) {
    ctx_.fail(v, key_path(key), "expected a mapping");
    return;
  }
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string k = it->first.Scalar();
    if (!it->second.IsScalar()) {
      ctx_.fail(it->second, key_path(key) + "." + k, "expected a single value");
      continue;
    }
    std::string error;
    auto text = interpolate(it->second.Scalar(), &error);
    if (!text) {
      ctx_.fail(it->second, key_path(key) + "." + k, error);
      continue;
    }
    out[k] = *text;
  }
}

void MapReader::fail(const std::string& key, std::string message) {
  const YAML::Node v = node_[key];
  ctx_.fail(v.IsDefined() ? v.Mark() : node_.Mark(), key_path(key), std::move(message));
}

void MapReader::finish() {
  if (!valid_) return;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const std::string k = it->first.Scalar();
    if (!declared_.count(k)) ctx_.fail(it->first, key_path(k), "unknown key");
  }
}

}  // namespace newsd::config
