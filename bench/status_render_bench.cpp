// The operator's view at 10,000 sources, on one core: what a request costs the event loop
// (Board::query, then the JSON or HTML rendering), without HTTP. Half the sources failing
// with a curl-sized error message, every source with a full ring of 20 polls.
//
//   build/bench/status_render_bench [benchmark flags]
//
// bench/status_bench.py measures the same endpoints over HTTP against /metrics.
#include <benchmark/benchmark.h>

#include <fstream>
#include <string>

#include "status/render.h"

namespace {

using namespace std::chrono;
using newsd::status::Board;
using newsd::status::Query;

long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

long board_kib = 0;  // what the board with full rings added to the resident memory

Board& board() {
  static Board* b = [] {
    const long before = rss_kib();
    auto* out = new Board;
    std::vector<newsd::schedule::SourceEntry> all;
    for (int i = 0; i < 10000; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "source-%05d", i);
      all.push_back({name, minutes(30)});
    }
    out->sources(all);
    const auto t0 = system_clock::now() - minutes(30);
    for (int poll = 0; poll < 20; ++poll) {
      for (int i = 0; i < 10000; ++i) {
        const bool failed = i % 2 == 1;
        newsd::schedule::PollOutcome o;
        o.started = t0 + seconds(poll * 60);
        o.status = failed ? 0 : 200;
        if (failed) {
          o.error_class = "connect";
          o.error = "Failed to connect to 127.0.0.1 port 40123 after 0 ms: Couldn't connect";
        }
        newsd::schedule::PollReport r{all[std::size_t(i)].name, o, o.started + milliseconds(5)};
        r.failed = failed;
        r.consecutive_failures = failed ? poll + 1 : 0;
        r.next_in = minutes(30);
        out->polled(r);
      }
    }
    board_kib = rss_kib() - before;
    return out;
  }();
  return *b;
}

void query(benchmark::State& state, std::size_t limit, bool html) {
  Board& b = board();
  Query q;
  q.limit = limit;
  std::size_t bytes = 0;
  for (auto _ : state) {
    const auto page = b.query(q);
    const std::string out = html ? newsd::status::sources_html(page, q, system_clock::now())
                                 : newsd::status::sources_json(page, q, system_clock::now());
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = double(bytes);
  state.counters["board_MiB"] = double(board_kib) / 1024;
}

BENCHMARK_CAPTURE(query, api_all_10000, 10000, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(query, api_page_100, 100, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(query, page_all_10000, 10000, true)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(query, page_500, 500, true)->Unit(benchmark::kMillisecond);

void detail(benchmark::State& state) {
  Board& b = board();
  for (auto _ : state) {
    const std::string out =
        newsd::status::source_json(*b.find("source-00001"), system_clock::now());
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(detail)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
