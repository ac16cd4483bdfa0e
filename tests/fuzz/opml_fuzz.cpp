// The OPML importer: any input gives sources or ConfigErrors naming where; the sources have
// valid, unique names and http(s) URLs, and the YAML printed for them loads back (as
// `newsd import-opml` output must pass check-config) to the same sources.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "config/opml.h"

namespace {

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz: broken invariant: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace newsd::config;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  OpmlImport got;
  try {
    got = load_opml_string(bytes, "fuzz.opml");
  } catch (const ConfigErrors& e) {
    require(!e.problems().empty(), "ConfigErrors without problems");
    require(e.problems()[0].where.line >= 1, "error without a line");
    return 0;
  }
  std::set<std::string> names;
  for (const Source& s : got.sources) {
    require(names.insert(s.name).second, "duplicate name");
    require(s.url.starts_with("http://") || s.url.starts_with("https://"), "url not http(s)");
    require(s.where.line >= 1, "source without a line");
  }
  const std::string yaml = "kafka: {brokers: 127.0.0.1:9092}\n" + sources_to_yaml(got.sources);
  Config cfg;
  try {
    cfg = load_string(yaml, "imported.yaml");
  } catch (const ConfigErrors& e) {
    std::fprintf(stderr, "imported YAML rejected:\n%s\n%s\n", yaml.c_str(), e.what());
    std::abort();
  }
  require(cfg.sources.size() == got.sources.size(), "round trip lost sources");
  for (std::size_t i = 0; i < cfg.sources.size(); ++i) {
    require(cfg.sources[i].name == got.sources[i].name, "round trip changed a name");
    require(cfg.sources[i].url == got.sources[i].url, "round trip changed a url");
    require(cfg.sources[i].format == got.sources[i].format, "round trip changed a format");
    require(cfg.sources[i].category == got.sources[i].category, "round trip changed a category");
  }
  return 0;
}
