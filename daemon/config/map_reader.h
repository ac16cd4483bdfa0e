// Reading one YAML mapping of the configuration: typed values, every problem collected with
// its position. Internal to the config module.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"

namespace newsd::config {

// Collects problems for one file while keys are read.
struct Ctx {
  std::string file;
  std::vector<Problem>& problems;
  int line_offset = 0;  // of the text being read within the file (one item of a split list)

  Location at(const YAML::Mark& m) const {
    if (m.is_null()) return {file, 0, 0};
    return {file, m.line + line_offset + 1, m.column + 1};
  }
  void fail(const YAML::Node& node, const std::string& key, std::string message) {
    problems.push_back({at(node.Mark()), key, std::move(message)});
  }
  void fail(const YAML::Mark& mark, const std::string& key, std::string message) {
    problems.push_back({at(mark), key, std::move(message)});
  }
};

// Reads the keys of one YAML mapping. Every key must be declared through one of the typed
// readers below; finish() reports the undeclared ones as unknown. A reader leaves `out` as it
// was when the key is absent or its value is invalid (the problem is recorded).
class MapReader {
 public:
  MapReader(Ctx& ctx, const YAML::Node& node, std::string path);

  std::string key_path(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }

  // The value node of `key`, or an undefined node. Marks the key as declared.
  YAML::Node get(const std::string& key, bool required);

  // A scalar string with ${...} interpolation; nullopt when absent or invalid.
  std::optional<std::string> scalar(const std::string& key, bool required = false);

  void string(const std::string& key, std::string& out, bool required = false);
  void optional_string(const std::string& key, std::optional<std::string>& out);
  void boolean(const std::string& key, bool& out);
  void duration(const std::string& key, std::chrono::milliseconds& out,
                std::chrono::milliseconds min);
  void size(const std::string& key, std::size_t& out);
  // A whole number in [lo, hi]; `expected` is the whole message when it is not.
  void count(const std::string& key, std::size_t& out, std::size_t lo, std::size_t hi,
             const std::string& expected);
  void string_map(const std::string& key, std::map<std::string, std::string>& out);

  // A problem at `key`'s value (or at the mapping when the key is absent).
  void fail(const std::string& key, std::string message);
  // Reports the keys no reader asked for.
  void finish();

  Ctx& ctx() { return ctx_; }

 private:
  Ctx& ctx_;
  YAML::Node node_;
  std::string path_;
  std::set<std::string> declared_;
  bool valid_ = true;
};

}  // namespace newsd::config
