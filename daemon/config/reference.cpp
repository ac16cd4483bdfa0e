#include "config/reference.h"

#include <sstream>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "config/schema.h"

namespace newsd::config {

// configuration.md.in, embedded at build time (embed_text.cmake).
extern const char* const kReferenceTemplate;

namespace {

// Backslash-escapes what would end a table cell.
std::string cell(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

template <class S>
void rows(std::ostream& out, const schema::Table<S>& table, const std::string& prefix = "") {
  const S defaults{};
  for (const auto& f : table) {
    if (!f.documented) continue;
    std::string shown = f.note;
    if (shown.empty() && f.value) {
      const std::string v = f.value(defaults);
      if (!v.empty()) shown = "`" + v + "`";
    }
    const std::string label = prefix.empty() ? f.label : "`" + prefix + f.key + "`";
    out << "| " << label << " | " << cell(f.type) << " | " << cell(shown) << " | " << cell(f.help)
        << " |\n";
  }
}

// The tables the template names, each with the rows it shows.
using Rows = void (*)(std::ostream&);
const std::pair<std::string_view, Rows> kTables[] = {
    {"top", [](std::ostream& o) { rows(o, schema::top_level_keys()); }},
    {"metrics", [](std::ostream& o) { rows(o, schema::metrics_keys()); }},
    {"kafka", [](std::ostream& o) { rows(o, schema::kafka_keys()); }},
    {"http", [](std::ostream& o) { rows(o, schema::http_keys()); }},
    {"state", [](std::ostream& o) { rows(o, schema::state_keys()); }},
    {"admin", [](std::ostream& o) { rows(o, schema::admin_keys()); }},
    {"sources", [](std::ostream& o) { rows(o, schema::source_keys()); }},
    {"adapt", [](std::ostream& o) { rows(o, schema::adapt_keys()); }},
    {"paging", [](std::ostream& o) { rows(o, schema::paging_keys()); }},
    {"json_api",
     [](std::ostream& o) {
       rows(o, schema::json_api_keys());
       rows(o, schema::json_api_detail_keys(), "detail.");
     }},
    {"cluster", [](std::ostream& o) { rows(o, schema::cluster_keys()); }},
};

void table(std::ostream& out, std::string_view name) {
  for (const auto& [table_name, show] : kTables) {
    if (table_name != name) continue;
    out << "| key | type | default | meaning |\n|---|---|---|---|\n";
    show(out);
    return;
  }
  throw std::logic_error("configuration.md.in names no table '" + std::string(name) + "'");
}

}  // namespace

std::string reference() {
  static constexpr std::string_view kOpen = "{{keys ", kClose = "}}";
  const std::string_view text = kReferenceTemplate;
  std::ostringstream out;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t open = text.find(kOpen, at);
    if (open == std::string_view::npos) break;
    const std::size_t close = text.find(kClose, open);
    if (close == std::string_view::npos) break;
    out << text.substr(at, open - at);
    const auto name = text.substr(open + kOpen.size(), close - open - kOpen.size());
    table(out, name);
    at = close + kClose.size();
    if (at < text.size() && text[at] == '\n') ++at;  // the table ends its own last line
  }
  out << text.substr(at);
  return out.str();
}

}  // namespace newsd::config
