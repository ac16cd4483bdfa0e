// The newsd.post/v1 record: the contract downstream consumers depend on (DESIGN.md).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace newsd {

using Timestamp = std::chrono::sys_seconds;

struct Post {
  std::string id;
  std::string source;
  std::optional<std::string> url;
  std::optional<std::string> origin_url;
  std::string title;
  std::optional<Timestamp> published_at;
  std::optional<Timestamp> updated_at;
  std::optional<std::string> category;
  std::vector<std::string> tags;
  std::optional<std::string> media;
  std::optional<std::string> author;
  std::optional<std::string> summary;
  std::string body_text;
  std::optional<std::string> body_html;
  std::optional<std::string> lang;
  Timestamp fetched_at{};
  std::string content_sha256;
};

// Hex SHA-256 of the normalized title and body: the identity of a post's content, so a
// change re-publishes the post under the same id.
std::string content_digest(const std::string& title, const std::string& body_text);

// Fills content_sha256 from title and body_text.
void seal(Post& post);

// RFC 3339 in UTC with a `Z` suffix, second precision: 2022-01-26T12:27:25Z.
std::string format_rfc3339(Timestamp t);

// The record as compact UTF-8 JSON (one line, no trailing newline).
std::string to_json(const Post& post);
// Appends `s` as a JSON string (quoted and escaped) to `out`.
void append_json_string(std::string& out, std::string_view s);

}  // namespace newsd
