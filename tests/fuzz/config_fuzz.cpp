// The YAML config loader: any input either loads or throws ConfigErrors (or another
// std::exception from the YAML library) naming what is wrong; nothing else escapes. Reading
// a `sources:` list item by item must come to exactly what reading the whole document does.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>

#include "config/config.h"
#include "config/internal.h"

namespace {

// Sources (with where they were declared) or the problems: what a load amounts to.
template <typename Load>
std::string outcome(Load load) {
  std::string out;
  try {
    const auto cfg = load();
    for (const auto& s : cfg.sources)
      out += s.name + "|" + s.url + "|" + s.format + "|" + std::to_string(s.where.line) + ":" +
             std::to_string(s.where.column) + "\n";
  } catch (const newsd::config::ConfigErrors& e) {
    if (e.problems().empty()) std::abort();
    for (const auto& p : e.problems()) out += p.to_string() + "\n";
  } catch (const std::exception& e) {
    out += std::string("exception ") + e.what() + "\n";
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  const std::string split = outcome([&] { return newsd::config::load_string(yaml, "fuzz.yaml"); });
  const std::string whole =
      outcome([&] { return newsd::config::detail::load_whole(yaml, "fuzz.yaml"); });
  if (split != whole) {
    std::fprintf(stderr, "split reading differs:\n%s--- whole:\n%s", split.c_str(), whole.c_str());
    std::abort();
  }
  return 0;
}
