#include "core/topic_name.h"
#include "publish/publisher.h"

namespace newsd::publish {

std::string render_topic(const std::string& tmpl, const Post& post) {
  std::string out;
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] == '{') {
      const auto close = tmpl.find('}', i);
      if (close != std::string::npos) {
        const std::string name = tmpl.substr(i + 1, close - i - 1);
        if (name == "source")
          out += post.source;
        else if (name == "category")
          out += post.category.value_or("uncategorized");
        else if (name == "lang")
          out += post.lang.value_or("und");
        else
          out += tmpl.substr(i, close - i + 1);
        i = close;
        continue;
      }
    }
    out += tmpl[i];
  }
  for (char& c : out) {
    if (!legal_topic_char(c)) c = '_';
  }
  if (out.size() > kMaxTopicLength) out.resize(kMaxTopicLength);
  if (out.empty() || out == "." || out == "..") out = "newsd";
  return out;
}

namespace {

// ce_id must be unique per event: a changed post is a new event with the same key.
std::string ce_id_of(const Post& post) {
  std::string id;
  id.reserve(post.id.size() + 17);
  id.append(post.id).push_back('#');
  id.append(post.content_sha256, 0, 16);
  return id;
}

}  // namespace

std::array<Header, 6> cloudevent_headers(const Record& record) {
  return {{
      {"ce_specversion", "1.0"},
      {"ce_id", record.ce_id},
      {"ce_source", record.ce_source},
      {"ce_type", "newsd.post.v1"},
      {"ce_time", record.ce_time},
      {"content-type", "application/json"},
  }};
}

Record make_record(const std::string& topic_template, const Post& post) {
  Record r;
  r.topic = render_topic(topic_template, post);
  r.key = post.id;
  r.value = to_json(post);
  r.ce_id = ce_id_of(post);
  r.ce_source = "/newsd/sources/" + post.source;
  r.ce_time = format_rfc3339(post.fetched_at);
  return r;
}

}  // namespace newsd::publish
