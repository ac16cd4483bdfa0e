// `newsd parse`: the records found in local files, as JSON Lines (DESIGN.md, Interfaces).

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/cli.h"
#include "core/post.h"
#include "parse/parser.h"

namespace newsd::app {
namespace {
constexpr int kExitConfig = 78;  // EX_CONFIG
constexpr int kExitFailure = 1;
}  // namespace

int parse_command(const std::vector<std::string>& files, const std::string& format_name,
                  const std::string& url, const std::string& timezone, const std::string& source) {
  const auto format = parse::format_from_string(format_name);
  if (!format) {
    std::cerr << "newsd parse: unknown format '" << format_name << "'\n";
    return kExitConfig;
  }
  int rc = 0;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::cerr << file << ": cannot read file\n";
      rc = kExitFailure;
      continue;
    }
    std::ostringstream buf;
    buf << in.rdbuf();
    const std::string bytes = buf.str();
    parse::Context ctx;
    ctx.source = source;
    if (!url.empty()) ctx.url = url;
    ctx.file_name = file;
    ctx.timezone = timezone;
    ctx.fetched_at = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    const auto f = *format == parse::Format::automatic ? parse::detect(bytes, "") : *format;
    parse::DocumentInfo info;
    auto posts = parse::parse(bytes, f, ctx, &info);
    if (!posts) {
      std::cerr << file << ": cannot parse as " << parse::to_string(f) << ": "
                << posts.error().message << '\n';
      rc = kExitFailure;
      continue;
    }
    for (const auto& p : *posts) std::cout << to_json(p.post) << '\n';
    // A sitemap index holds no posts: name its children, which a source would fetch.
    for (const auto& child : info.sitemaps)
      std::cerr << file << ": sitemap " << child.url << " lastmod "
                << (child.lastmod ? format_rfc3339(*child.lastmod) : "-") << '\n';
  }
  std::cout.flush();
  return rc;
}

}  // namespace newsd::app
