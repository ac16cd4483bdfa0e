// The state topic's restore (BENCHMARKS.md, "State topic restore"), in separate processes so
// that each measures its own memory:
//
//   state_restore write   BROKERS TOPIC MARKS [SOURCES]  seen marks through KafkaStore::commit
//   state_restore restore BROKERS TOPIC                  restore every partition; time, RSS
//   state_restore codec   [N]                            decode N mark values: binary vs JSON
//
// bench/state_restore.sh runs them against a broker of its own.
#include <malloc.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "state/kafka_store.h"
#include "state/restore.h"
#include "state/topic_admin.h"

namespace {

using namespace newsd;
using Clock = std::chrono::steady_clock;

// VmRSS or VmHWM of this process, in bytes.
long status_kb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::string(field).size());
  return 0;
}

state::KafkaStateOptions options(const char* brokers, const char* topic) {
  state::KafkaStateOptions o;
  o.brokers = brokers;
  o.topic = topic;
  o.partitions = 12;
  o.timeout = std::chrono::seconds(120);
  return o;
}

std::string sha_of(long i) {
  char hex[65];
  std::snprintf(hex, sizeof hex, "%016lx%016lx%016lx%016lx", i * 0x9E3779B97F4A7C15L, i, ~i * 31,
                i ^ 0x5555);
  return hex;
}

int write(const char* brokers, const char* topic, long marks, long sources) {
  const auto o = options(brokers, topic);
  state::ensure_topic(o);
  state::KafkaStore store(o, state::StateIndex{}, state::make_idempotent_writer(o));
  const auto t0 = Clock::now();
  const Timestamp acked{std::chrono::seconds(1'765'000'000)};
  for (long i = 0; i < marks; ++i) {
    // Ids shaped like article URLs, ~60 bytes.
    const std::string source = "source-" + std::to_string(i % sources);
    const std::string id =
        "https://news.example.com/" + source + "/2026/12/" + std::to_string(i) + ".html";
    dedupe::SeenEntry e{sha_of(i), Timestamp(std::chrono::seconds(1'764'000'000 + i))};
    if (!store.commit(source, id, e, acked + std::chrono::seconds(i / 1000))) return 1;
    if (i % 10'000 == 9'999 && !store.flush()) return 1;  // as the loop flushes, often
  }
  if (!store.flush()) return 1;
  const std::chrono::duration<double> s = Clock::now() - t0;
  std::printf("wrote %ld marks of %ld sources in %.2f s: %.0f marks/s\n", marks, sources, s.count(),
              marks / s.count());
  return 0;
}

int restore(const char* brokers, const char* topic) {
  const auto o = options(brokers, topic);
  const long rss0 = status_kb("VmRSS:");
  state::StateIndex index;
  const auto stats = state::restore(o, state::all_partitions(o), index, [](const auto& p) {
    std::fprintf(stderr, "  %lu records, %zu/%zu partitions\n",
                 static_cast<unsigned long>(p.records), p.partitions_done, p.partitions);
  });
  const long rss1 = status_kb("VmRSS:");
  malloc_trim(0);
  const long rss2 = status_kb("VmRSS:");
  const double per_million = 1e6 / static_cast<double>(std::max<std::size_t>(index.size(), 1));
  std::printf(
      "restored %lu records (%zu marks) in %.2f s: %.0f records/s\n"
      "RSS %.1f MB before, %.1f MB after (%.1f MB after malloc_trim), peak %.1f MB\n"
      "RSS growth per million marks: %.1f MB (%.1f MB after malloc_trim); the index holds "
      "%.1f MB per million (%.1f bytes per mark)\n",
      static_cast<unsigned long>(stats.records), index.size(), stats.duration.count(),
      stats.records / stats.duration.count(), rss0 / 1e3, rss1 / 1e3, rss2 / 1e3,
      status_kb("VmHWM:") / 1e3, (rss1 - rss0) / 1e3 * per_million,
      (rss2 - rss0) / 1e3 * per_million, index.memory_bytes() / 1e6 * per_million,
      static_cast<double>(index.memory_bytes()) / std::max<std::size_t>(index.size(), 1));
  // A prune chunk's search: the oldest 10,000 of all the marks.
  const auto t0 = Clock::now();
  const auto oldest = index.oldest_before(2'000'000'000, 10'000);
  const std::chrono::duration<double> ts = Clock::now() - t0;
  std::printf("oldest_before over %zu marks (%zu found): %.1f ms\n", index.size(), oldest.size(),
              ts.count() * 1e3);
  return 0;
}

// What one restored record costs to decode, in the binary format and as the compact JSON
// it could have been.
int codec(long n) {
  std::vector<std::string> binary, json;
  for (long i = 0; i < 1000; ++i) {
    state::MarkValue v;
    v.sha = state::ContentHash::from_text(sha_of(i));
    v.acked_at = 1'765'000'000 + i;
    v.updated_at = 1'764'000'000 + i;
    v.id = "https://news.example.com/source-1/2026/12/" + std::to_string(i) + ".html";
    binary.push_back(state::encode_mark(v));
    json.push_back(boost::json::serialize(boost::json::object{{"v", 1},
                                                              {"sha", sha_of(i)},
                                                              {"acked", v.acked_at},
                                                              {"updated", *v.updated_at},
                                                              {"id", v.id}}));
  }
  std::size_t sink = 0;
  auto t0 = Clock::now();
  for (long i = 0; i < n; ++i) {
    const auto v = state::decode_mark(binary[i % 1000], false);
    sink += v->sha.raw[0];
  }
  const std::chrono::duration<double> tb = Clock::now() - t0;
  t0 = Clock::now();
  for (long i = 0; i < n; ++i) {
    const auto doc = boost::json::parse(json[i % 1000]).as_object();
    sink += state::ContentHash::from_text(doc.at("sha").as_string()).raw[0];
    sink += static_cast<std::size_t>(doc.at("acked").as_int64());
  }
  const std::chrono::duration<double> tj = Clock::now() - t0;
  std::printf(
      "decode of %ld mark values: binary %.0f ns each (%zu bytes), compact JSON %.0f ns each "
      "(%zu bytes)  [%zu]\n",
      n, tb.count() / n * 1e9, binary[500].size(), tj.count() / n * 1e9, json[500].size(),
      sink % 10);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  try {
    if (cmd == "write" && argc >= 5)
      return write(argv[2], argv[3], std::atol(argv[4]), argc > 5 ? std::atol(argv[5]) : 1000);
    if (cmd == "restore" && argc >= 4) return restore(argv[2], argv[3]);
    if (cmd == "codec") return codec(argc > 2 ? std::atol(argv[2]) : 1'000'000);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "state_restore: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr,
               "usage: state_restore write BROKERS TOPIC MARKS [SOURCES] | restore BROKERS "
               "TOPIC | codec [N]\n");
  return 2;
}
