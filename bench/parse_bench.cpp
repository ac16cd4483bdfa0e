// Parse throughput per format over the shared corpus (../shared/corpus) and the seed posts
// (../shared/seeds): MB/s and records/s on one core, through the public parse() with
// format detection, charset conversion and sealing included, as the daemon runs it.
//
//   parse_bench [--corpus DIR] [--seeds DIR] [benchmark flags]
//   parse_bench --passes N FILE...   parses the files N times and exits, for `perf stat -e
//                                    instructions:u`: instruction counts stay comparable on a
//                                    loaded machine where CPU times do not
//   parse_bench --serve FILE...      after one warm-up pass, reads a pass count N per line of
//                                    stdin, parses the files N times and answers
//                                    "<CPU seconds> <records>" on a line: feedparser_bench.py
//                                    --paired alternates these windows with feedparser's passes
//
// One benchmark per format ("format/rss", "format/html", "format/jekyll", ...) parses every
// file of that format once per iteration; "file/<name>" benchmarks each file alone.
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "parse/parser.h"

namespace {

namespace fs = std::filesystem;
using newsd::parse::Format;

struct Doc {
  std::string name;
  std::string bytes;
  Format format;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

newsd::parse::Context context_for(const Doc& doc) {
  newsd::parse::Context ctx;
  ctx.source = "bench";
  ctx.url = "https://example.com/" + doc.name;
  ctx.file_name = doc.name;
  ctx.timezone = "Asia/Shanghai";
  return ctx;
}

// Parses every document once per iteration; counts bytes and records.
void parse_docs(benchmark::State& state, const std::vector<const Doc*>& docs) {
  std::vector<newsd::parse::Context> contexts;
  std::size_t bytes = 0;
  for (const Doc* d : docs) {
    contexts.push_back(context_for(*d));
    bytes += d->bytes.size();
  }
  std::size_t records = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < docs.size(); ++i) {
      auto result = newsd::parse::parse(docs[i]->bytes, Format::automatic, contexts[i]);
      if (!result) {
        state.SkipWithError((docs[i]->name + ": " + result.error().message).c_str());
        return;
      }
      records += result->size();
      benchmark::DoNotOptimize(result);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
  state.counters["files"] = static_cast<double>(docs.size());
  state.counters["bytes_per_pass"] = static_cast<double>(bytes);
}

std::vector<Doc> load(const fs::path& dir, bool seeds) {
  std::vector<Doc> docs;
  if (!fs::is_directory(dir)) return docs;
  std::vector<fs::path> paths;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file()) paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  for (const fs::path& p : paths) {
    Doc d{p.filename().string(), read_file(p), Format::automatic};
    d.format = newsd::parse::detect(d.bytes, "");
    // The seeds are jekyll posts, and one plain-text speech (DESIGN.md).
    if (seeds && d.format != Format::jekyll && d.format != Format::text) continue;
    docs.push_back(std::move(d));
  }
  return docs;
}

}  // namespace

std::size_t parse_all(const std::vector<Doc>& docs) {
  std::size_t records = 0;
  for (const Doc& d : docs) {
    const newsd::parse::Context ctx = context_for(d);
    auto result = newsd::parse::parse(d.bytes, Format::automatic, ctx);
    if (!result) {
      std::cerr << d.name << ": " << result.error().message << "\n";
      std::exit(1);
    }
    records += result->size();
  }
  return records;
}

// Kept out of line so that `valgrind --tool=callgrind --toggle-collect='*measured_passes*'`
// counts the passes without the one-time set-up (ICU's transliterator rules, converters).
[[gnu::noinline]] std::size_t measured_passes(long passes, const std::vector<Doc>& docs) {
  std::size_t records = 0;
  for (long p = 0; p < passes; ++p) records += parse_all(docs);
  return records;
}

// --passes: one warm-up pass, then every file parsed `passes` times, no timing.
int fixed_passes(long passes, const std::vector<std::string>& files) {
  std::vector<Doc> docs;
  for (const std::string& f : files) {
    Doc d{fs::path(f).filename().string(), read_file(f), Format::automatic};
    docs.push_back(std::move(d));
  }
  parse_all(docs);
  const std::size_t records = measured_passes(passes, docs);
  std::cout << records / static_cast<std::size_t>(std::max(passes, 1L)) << " records per pass\n";
  return 0;
}

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// --serve: windows of passes on demand, timed in CPU seconds of this process.
int serve(const std::vector<std::string>& files) {
  std::vector<Doc> docs;
  for (const std::string& f : files) {
    docs.push_back(Doc{fs::path(f).filename().string(), read_file(f), Format::automatic});
  }
  parse_all(docs);
  long passes = 0;
  while (std::cin >> passes) {
    const double start = process_cpu_seconds();
    const std::size_t records = measured_passes(passes, docs);
    std::cout << process_cpu_seconds() - start << " " << records << std::endl;
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--serve") == 0) {
    return serve(std::vector<std::string>(argv + 2, argv + argc));
  }
  if (argc > 2 && std::strcmp(argv[1], "--passes") == 0) {
    return fixed_passes(std::atol(argv[2]), std::vector<std::string>(argv + 3, argv + argc));
  }
  fs::path corpus = fs::path(NEWSD_SHARED_DIR) / "corpus";
  fs::path seeds = fs::path(NEWSD_SHARED_DIR) / "seeds";
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--corpus") == 0 && i + 1 < argc) {
      corpus = argv[++i];
    } else if (std::strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) {
      seeds = argv[++i];
    } else {
      rest.push_back(argv[i]);
    }
  }
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());

  // Kept alive for the whole run: the benchmarks hold pointers into it.
  static std::vector<Doc> docs;
  for (auto* set : {&corpus, &seeds}) {
    for (const char* sub : {"feeds", "html", ""}) {
      if (set == &seeds && *sub) continue;
      if (set == &corpus && !*sub) continue;
      auto more = load(*set / sub, set == &seeds);
      std::move(more.begin(), more.end(), std::back_inserter(docs));
    }
  }
  if (docs.empty()) {
    std::cerr << "parse_bench: no documents under " << corpus << " or " << seeds << "\n";
    return 77;
  }
  std::map<std::string, std::vector<const Doc*>> by_format;
  for (const Doc& d : docs) by_format[std::string(newsd::parse::to_string(d.format))].push_back(&d);
  for (const auto& [name, group] : by_format) {
    benchmark::RegisterBenchmark(("format/" + name).c_str(), [group = group](benchmark::State& s) {
      parse_docs(s, group);
    })->Unit(benchmark::kMillisecond);
  }
  for (const Doc& d : docs) {
    benchmark::RegisterBenchmark(
        ("file/" + std::string(newsd::parse::to_string(d.format)) + "/" + d.name).c_str(),
        [doc = &d](benchmark::State& s) { parse_docs(s, {doc}); })
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
