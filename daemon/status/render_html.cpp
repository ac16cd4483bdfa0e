// The /sources page: one self-contained document (inline CSS, a few lines of vanilla JS for
// sorting and filtering the rows shown; no external resource). Everything that comes from a
// source or a server (names, error messages) is escaped.
#include <cctype>
#include <cstdio>

#include "core/post.h"
#include "status/render.h"

namespace newsd::status {

using namespace std::chrono;

namespace {

constexpr std::string_view kStyle = R"(<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em;margin:0 0 .4em}
table{border-collapse:collapse;width:100%}
th,td{padding:.3em .5em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
th{background:#f3f3f3;cursor:pointer;user-select:none;white-space:nowrap}
th.sorted-asc::after{content:" \25B2"}th.sorted-desc::after{content:" \25BC"}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.t,td.name{white-space:nowrap}
td.err{color:#a00;min-width:14em;max-width:32em;overflow-wrap:anywhere}
.state{padding:.1em .45em;border-radius:.3em;font-weight:600;white-space:nowrap}
.s-failing{background:#fdd;color:#900}.s-backing_off{background:#fec;color:#840}
.s-paused{background:#ddf;color:#226}.s-not_owned{background:#eee;color:#555}
.s-ok{background:#dfd;color:#060}
.counts span{margin-right:1em}
form{margin:.6em 0}input,select{font:inherit}
nav a{margin-right:1em}
</style>)";

constexpr std::string_view kScript = R"(<script>
(function(){
var t=document.getElementById('sources');if(!t)return;
var body=t.tBodies[0],f=document.getElementById('filter');
function rows(){return Array.prototype.slice.call(body.rows);}
t.tHead.addEventListener('click',function(e){
 var th=e.target.closest('th');if(!th)return;
 var i=th.cellIndex,num=th.dataset.type==='num',asc=!th.classList.contains('sorted-asc');
 Array.prototype.forEach.call(t.tHead.rows[0].cells,function(c){c.classList.remove('sorted-asc','sorted-desc');});
 th.classList.add(asc?'sorted-asc':'sorted-desc');
 var r=rows();r.sort(function(a,b){
  var x=a.cells[i].dataset.v,y=b.cells[i].dataset.v;
  var c=num?(parseFloat(x)-parseFloat(y)):(x<y?-1:x>y?1:0);return asc?c:-c;});
 r.forEach(function(row){body.appendChild(row);});});
if(f)f.addEventListener('input',function(){
 var q=f.value.toLowerCase();
 rows().forEach(function(row){row.hidden=q!==''&&row.textContent.toLowerCase().indexOf(q)<0;});});
})();
</script>)";

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string time_text(const std::optional<SysTime>& t) {
  return t ? format_rfc3339(floor<seconds>(*t)) : std::string("—");
}

// Seconds since the epoch, for sorting; absent times sort first.
std::string time_value(const std::optional<SysTime>& t) {
  return t ? std::to_string(duration_cast<seconds>(t->time_since_epoch()).count()) : "0";
}

std::string seconds_text(milliseconds d) {
  char b[32];
  // Whole seconds from 10 s on: the scheduled delay carries jitter nobody needs to read.
  if (d.count() % 1000 == 0 || d.count() >= 10'000)
    std::snprintf(b, sizeof b, "%llds", static_cast<long long>((d.count() + 500) / 1000));
  else
    std::snprintf(b, sizeof b, "%.1fs", double(d.count()) / 1000.0);
  return b;
}

std::string outcome_text(const PollRecord& p) {
  if (p.status != 0) return std::to_string(p.status);
  return std::string(p.error_class_name());
}

void cell(std::string& out, std::string_view value, std::string_view text,
          std::string_view cls = {}) {
  out += "<td";
  if (!cls.empty()) {
    out += " class=\"";
    out += cls;
    out += '"';
  }
  out += " data-v=\"";
  out += html_escape(value);
  out += "\">";
  out += html_escape(text);
  out += "</td>";
}

void state_cell(std::string& out, State s) {
  const std::string name(to_string(s));
  out += "<td data-v=\"" + std::to_string(static_cast<int>(s)) + "\"><span class=\"state s-" +
         name + "\">" + name + "</span></td>";
}

std::string head(std::string_view title) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  out += R"(<meta name="viewport" content="width=device-width,initial-scale=1"><title>)";
  out += html_escape(title);
  out += "</title>";
  out += kStyle;
  out += "</head><body>";
  return out;
}

std::string page_link(const Query& q, std::size_t offset, std::string_view text) {
  std::string href =
      "/sources?offset=" + std::to_string(offset) + "&limit=" + std::to_string(q.limit);
  if (!q.name.empty()) href += "&name=" + url_encode(q.name);
  if (!q.states.empty()) {
    href += "&state=";
    for (std::size_t i = 0; i < q.states.size(); ++i)
      href += (i ? "," : "") + std::string(to_string(q.states[i]));
  }
  return "<a href=\"" + html_escape(href) + "\">" + std::string(text) + "</a>";
}

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  for (const char c : s) {
    const char* ref = c == '&'    ? "&amp;"
                      : c == '<'  ? "&lt;"
                      : c == '>'  ? "&gt;"
                      : c == '"'  ? "&quot;"
                      : c == '\'' ? "&#39;"
                                  : nullptr;
    if (ref)
      out += ref;
    else
      out += c;
  }
  return out;
}

std::string sources_html(const Page& page, const Query& q, SysTime now) {
  std::string out = head("newsd sources");
  out.reserve(4096 + page.rows.size() * 900);
  out += "<h1>newsd sources</h1><p class=\"counts\">";
  for (std::size_t i = 0; i < kStates; ++i) {
    const std::string name(to_string(static_cast<State>(i)));
    out += R"(<span><span class="state s-)";
    out += name;
    out += R"(">)";
    out += name;
    out += "</span> " + std::to_string(page.counts[i]) + "</span>";
  }
  out += "<span>as of " + time_text(now) + "</span></p>";
  out +=
      "<form method=\"get\" action=\"/sources\"><input id=\"filter\" name=\"name\" "
      "placeholder=\"filter\" value=\"" +
      html_escape(q.name) + R"("> <select name="state"><option value="">every state</option>)";
  for (std::size_t i = 0; i < kStates; ++i) {
    const std::string name(to_string(static_cast<State>(i)));
    const bool chosen = q.states.size() == 1 && q.states[0] == static_cast<State>(i);
    out += "<option" + std::string(chosen ? " selected" : "") + ">" + name + "</option>";
  }
  out += R"(</select> <input type="hidden" name="limit" value=")" + std::to_string(q.limit) +
         "\"><button>apply</button></form>";
  out +=
      "<table id=\"sources\"><thead><tr><th>source</th><th data-type=\"num\">state</th>"
      "<th>last poll</th><th>outcome</th><th data-type=\"num\">failures</th>"
      "<th>last error</th><th>next poll</th><th data-type=\"num\">interval</th>"
      "<th data-type=\"num\">posts 1h</th><th data-type=\"num\">posts</th>"
      "<th>last new post</th></tr></thead><tbody>\n";
  for (const SourceRecord* r : page.rows) {
    const PollRecord* last = r->last_poll();
    out += R"(<tr><td class="name" data-v=")" + html_escape(r->name) + "\"><a href=\"/sources/" +
           html_escape(url_encode(r->name)) + "\">" + html_escape(r->name) + "</a></td>";
    state_cell(out, r->state());
    cell(out, last ? time_value(last->started) : "0",
         last ? time_text(last->started) : std::string("—"), "t");
    cell(out, last ? outcome_text(*last) : "", last ? outcome_text(*last) : "—");
    cell(out, std::to_string(r->consecutive_failures), std::to_string(r->consecutive_failures),
         "num");
    cell(out, r->last_error, r->last_error_at ? r->last_error : std::string(), "err");
    cell(out, time_value(r->next_poll), time_text(r->next_poll), "t");
    cell(out, std::to_string(r->interval.count()),
         seconds_text(r->interval) + " (" + std::string(schedule::to_string(r->reason)) + ")",
         "num");
    const std::string hour = std::to_string(r->delivered_last_hour(now));
    cell(out, hour, hour, "num");
    const std::string total = std::to_string(r->delivered_total);
    cell(out, total, total, "num");
    cell(out, time_value(r->last_new_post), time_text(r->last_new_post), "t");
    out += "</tr>\n";
  }
  out += "</tbody></table><nav>";
  out += "<span>" + std::to_string(page.matched == 0 ? 0 : q.offset + 1) + "–" +
         std::to_string(q.offset + page.rows.size()) + " of " + std::to_string(page.matched) +
         "</span> ";
  if (q.offset > 0) out += page_link(q, q.offset > q.limit ? q.offset - q.limit : 0, "previous");
  if (q.offset + page.rows.size() < page.matched)
    out += page_link(q, q.offset + page.rows.size(), "next");
  out += " <a href=\"/api/v1/sources\">JSON</a></nav>";
  out += kScript;
  out += "</body></html>\n";
  return out;
}

std::string source_html(const SourceRecord& r, SysTime now) {
  std::string out = head("newsd source " + r.name);
  const std::string state(to_string(r.state()));
  out += "<p><a href=\"/sources\">all sources</a></p><h1>" + html_escape(r.name) +
         " <span class=\"state s-" + state + "\">" + state + "</span></h1><table><tbody>";
  auto row = [&out](std::string_view k, const std::string& v) {
    out += "<tr><th>" + std::string(k) + "</th><td>" + html_escape(v) + "</td></tr>";
  };
  row("consecutive failures", std::to_string(r.consecutive_failures));
  row("last error", r.last_error_at ? r.last_error + " (" + time_text(r.last_error_at) + ")" : "—");
  row("next poll", time_text(r.next_poll));
  row("interval", seconds_text(r.interval) + " (" + std::string(schedule::to_string(r.reason)) +
                      "; configured " + seconds_text(r.configured_interval) + ")");
  row("posts delivered", std::to_string(r.delivered_last_hour(now)) + " in the last hour, " +
                             std::to_string(r.delivered_total) + " in total");
  row("last new post", time_text(r.last_new_post));
  row("validators", std::string(r.etag ? "ETag " : "") + (r.last_modified ? "Last-Modified" : "") +
                        (!r.etag && !r.last_modified ? "none" : ""));
  out +=
      "</tbody></table><h2>Recent polls</h2><table id=\"polls\"><thead><tr><th>started</th>"
      "<th>duration</th><th>outcome</th><th>posts</th><th>error</th></tr></thead><tbody>\n";
  for (const PollRecord* p : r.recent()) {
    out += "<tr>";
    cell(out, time_value(p->started), time_text(p->started), "t");
    cell(out, std::to_string(p->duration_ms), seconds_text(p->duration()), "num");
    cell(out, outcome_text(*p), outcome_text(*p));
    cell(out, std::to_string(p->delivered), std::to_string(p->delivered), "num");
    cell(out, p->error(), p->error(), "err");
    out += "</tr>\n";
  }
  out += "</tbody></table><p>as of " + time_text(now) + " · <a href=\"/api/v1/sources/" +
         html_escape(url_encode(r.name)) + "\">JSON</a></p></body></html>\n";
  return out;
}

}  // namespace newsd::status
