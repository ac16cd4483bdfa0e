// Kafka's rule for topic names, shared by the topic template (publish, which reduces a
// rendered name to it) and the configuration (which refuses a fixed name that breaks it).
#pragma once

#include <cstddef>
#include <string_view>

namespace newsd {

constexpr std::size_t kMaxTopicLength = 249;

constexpr bool legal_topic_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

constexpr bool legal_topic_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxTopicLength || name == "." || name == "..") return false;
  for (const char c : name) {
    if (!legal_topic_char(c)) return false;
  }
  return true;
}

}  // namespace newsd
