// Forgets seen entries older than the retention while the daemon runs: one round at start
// and then one every hour (a daemon that runs for months must not keep every post it ever
// saw). A round deletes a chunk, then yields to the loop before the next, so a large backlog
// (the first round on a big store, a retention shortened by a reload) never holds up fetches
// and delivery reports for long.
//
// Thread-safety: loop thread only, like the store.
#pragma once

#include <prometheus/counter.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <memory>

#include "core/post.h"
#include "dedupe/seen_store.h"

namespace newsd::schedule {

class SeenPruner {
 public:
  struct Options {
    std::chrono::hours retention{24 * 90};
    std::chrono::milliseconds every = std::chrono::hours(1);
    std::size_t chunk = 10'000;  // entries per turn of the loop
  };

  // `pruned` counts the entries forgotten (newsd_seen_pruned_total).
  SeenPruner(boost::asio::io_context& io, dedupe::SeenStore& store, prometheus::Counter& pruned,
             Options options);
  ~SeenPruner();
  SeenPruner(const SeenPruner&) = delete;
  SeenPruner& operator=(const SeenPruner&) = delete;

  // A round now, then one every `every`.
  void start();
  // No further chunk or round; the store is not touched after this returns.
  void stop();
  // Applies from the next round; a shorter retention starts one at once.
  void set_retention(std::chrono::hours retention);

  bool pruning() const { return in_round_; }

 private:
  void round();
  void next_chunk(Timestamp cutoff, std::size_t so_far);
  void arm();

  boost::asio::io_context& io_;
  dedupe::SeenStore& store_;
  prometheus::Counter& pruned_;
  Options options_;
  boost::asio::steady_timer timer_;
  bool in_round_ = false;
  bool running_ = false;  // between start() and stop()
  // Chunks posted to the loop check it: a pruner destroyed meanwhile is not touched.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace newsd::schedule
