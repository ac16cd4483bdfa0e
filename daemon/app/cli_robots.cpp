#include <fstream>
#include <iostream>
#include <sstream>

#include "app/cli.h"
#include "robots/robots.h"

namespace newsd::app {

int robots_command(const std::string& agent, const std::string& file,
                   const std::vector<std::string>& urls) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::cerr << file << ": cannot read file\n";
    return 2;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  const robots::Robots rules = robots::Robots::parse(buf.str());
  if (rules.truncated())
    std::cerr << file << ": longer than " << robots::kMaxBytes / 1024
              << " KiB; the rest is ignored (RFC 9309 2.5)\n";
  // "newsd/0.1 (+https://…)" and "newsd" name the same crawler; "*" names none.
  const std::string token = robots::product_token(agent);
  int rc = 0;
  for (const std::string& url : urls) {
    const robots::Decision d = rules.decide(token, url);
    std::cout << (d.allowed ? "allowed" : "disallowed") << '\t' << url << '\t';
    if (d.rule) {
      std::cout << "line " << d.rule->line << ": " << d.rule->text << '\n';
    } else {
      std::cout << '(' << d.reason << ")\n";
    }
    if (!d.allowed) rc = 1;
  }
  return rc;
}

}  // namespace newsd::app
