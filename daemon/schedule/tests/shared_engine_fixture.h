// An Engine sharing its sources with other instances (Engine::share), on the scheduler's
// test fixture: sources named after the state partition they fall in.
#pragma once

#include "schedule/tests/engine_fixture.h"
#include "state/record.h"

namespace newsd::schedule {
namespace {

class SharedEngineTest : public EngineTest {
 protected:
  static constexpr std::int32_t kPartitions = 4;

  std::unique_ptr<Engine> shared_engine(std::vector<config::Source> sources,
                                        dedupe::SeenStore& store) {
    Options o;
    o.once = false;
    o.http.host_spacing = 0ms;
    o.backpressure_retry = 1ms;
    auto e = std::make_unique<Engine>(io_, std::move(sources), http_, store, publisher_, metrics_,
                                      o, clock_, 42);
    e->share(kPartitions);
    return e;
  }
  // The first of s0, s1, ... in `partition`.
  static std::string name_in(std::int32_t partition) {
    for (int i = 0;; ++i) {
      const std::string n = "s" + std::to_string(i);
      if (state::partition_of(n, kPartitions) == partition) return n;
    }
  }
  int requests(const std::string& name) { return http_.requests["http://feeds.test/" + name]; }
};

}  // namespace
}  // namespace newsd::schedule
