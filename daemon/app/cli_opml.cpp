#include <iostream>

#include "app/cli.h"
#include "config/opml.h"

namespace newsd::app {

int import_opml_command(const std::string& file) {
  try {
    const config::OpmlImport got = config::load_opml_file(file);
    for (const config::Problem& p : got.skipped) std::cerr << "skipped: " << p.to_string() << '\n';
    std::cout << "# " << got.sources.size() << " sources imported from " << file
              << " by newsd import-opml\n"
              << config::sources_to_yaml(got.sources);
    return 0;
  } catch (const config::ConfigErrors& e) {
    std::cerr << e.what() << '\n';
    return 78;  // EX_CONFIG, as check-config
  }
}

}  // namespace newsd::app
