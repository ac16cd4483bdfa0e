#include <cstdio>

#include "core/post.h"
#include "status/render.h"

namespace newsd::status {

using namespace std::chrono;

namespace {

void append_time(std::string& out, const std::optional<SysTime>& t) {
  if (!t) {
    out += "null";
    return;
  }
  out += '"';
  out += format_rfc3339(floor<seconds>(*t));
  out += '"';
}

void append_seconds(std::string& out, milliseconds d) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", double(d.count()) / 1000.0);
  out += b;
}

void append_poll(std::string& out, const PollRecord& p, bool with_error) {
  out += "{\"started_at\":";
  append_time(out, p.started);
  out += ",\"duration_seconds\":";
  append_seconds(out, p.duration());
  out += ",\"outcome\":";
  append_json_string(out,
                     p.status != 0 ? std::to_string(p.status) : std::string(p.error_class_name()));
  out += ",\"http_status\":";
  out += p.status != 0 ? std::to_string(p.status) : std::string("null");
  out += ",\"error_class\":";
  if (!p.error_class)
    out += "null";
  else
    append_json_string(out, p.error_class_name());
  out += ",\"delivered\":" + std::to_string(p.delivered);
  if (with_error) {
    out += ",\"error\":";
    if (!p.error_class)
      out += "null";
    else
      append_json_string(out, p.error());
  }
  out += '}';
}

void append_source(std::string& out, const SourceRecord& r, SysTime now) {
  out += "{\"name\":";
  append_json_string(out, r.name);
  out += R"(,"state":")";
  out += to_string(r.state());
  out += R"(","last_poll":)";
  if (const PollRecord* p = r.last_poll())
    append_poll(out, *p, false);
  else
    out += "null";
  out += ",\"consecutive_failures\":" + std::to_string(r.consecutive_failures);
  out += ",\"last_error\":";
  if (r.last_error_at)
    append_json_string(out, r.last_error);
  else
    out += "null";
  out += ",\"last_error_at\":";
  append_time(out, r.last_error_at);
  out += ",\"next_poll_at\":";
  append_time(out, r.next_poll);
  out += R"(,"interval":{"seconds":)";
  append_seconds(out, r.interval);
  out += R"(,"reason":")";
  out += schedule::to_string(r.reason);
  out += R"(","configured_seconds":)";
  append_seconds(out, r.configured_interval);
  out += R"(},"delivered":{"last_hour":)" + std::to_string(r.delivered_last_hour(now));
  out += ",\"total\":" + std::to_string(r.delivered_total);
  out += R"(},"validators":{"etag":)";
  out += r.etag ? "true" : "false";
  out += ",\"last_modified\":";
  out += r.last_modified ? "true" : "false";
  out += "},\"last_new_post_at\":";
  append_time(out, r.last_new_post);
}

}  // namespace

std::string sources_json(const Page& page, const Query& q, SysTime now) {
  std::string out;
  out.reserve(512 + page.rows.size() * 560);
  out += R"({"schema":")";
  out += kSchema;
  out += R"(","generated_at":)";
  append_time(out, now);
  out += ",\"total\":" + std::to_string(page.total);
  out += ",\"matched\":" + std::to_string(page.matched);
  out += ",\"offset\":" + std::to_string(q.offset);
  out += ",\"limit\":" + std::to_string(q.limit);
  out += ",\"counts\":{";
  for (std::size_t i = 0; i < kStates; ++i) {
    if (i > 0) out += ',';
    out += '"';
    out += to_string(static_cast<State>(i));
    out += "\":" + std::to_string(page.counts[i]);
  }
  out += "},\"sources\":[";
  for (std::size_t i = 0; i < page.rows.size(); ++i) {
    if (i > 0) out += ',';
    append_source(out, *page.rows[i], now);
    out += '}';
  }
  out += "]}\n";
  return out;
}

std::string source_json(const SourceRecord& r, SysTime now) {
  std::string out = R"({"schema":")";
  out += kSchema;
  out += R"(","generated_at":)";
  append_time(out, now);
  out += ",\"source\":";
  append_source(out, r, now);
  out += "},\"recent_polls\":[";
  bool first = true;
  for (const PollRecord* p : r.recent()) {
    if (!first) out += ',';
    first = false;
    append_poll(out, *p, true);
  }
  out += "]}\n";
  return out;
}

}  // namespace newsd::status
