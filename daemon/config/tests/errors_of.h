// The problems a configuration text is refused with, each as "file:line:col: key: message";
// empty when it loads. Shared by the config module's tests.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace newsd::config {

inline std::vector<std::string> errors_of(const std::string& yaml) {
  try {
    load_string(yaml, "t.yaml");
  } catch (const ConfigErrors& e) {
    std::vector<std::string> out;
    for (const auto& p : e.problems()) out.push_back(p.to_string());
    return out;
  }
  return {};
}

}  // namespace newsd::config
