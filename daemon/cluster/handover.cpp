#include "cluster/handover.h"

#include <spdlog/spdlog.h>

#include "core/log.h"

namespace newsd::cluster {

Handover::Handover(schedule::Engine& engine, State state, Clock& clock,
                   std::chrono::milliseconds bound)
    : engine_(engine), state_(std::move(state)), clock_(clock), bound_(bound) {}

void Handover::on_assigned(const Partitions& partitions) {
  ++rebalances_;
  if (state_.restore) state_.restore(partitions);
  owned_.insert(partitions.begin(), partitions.end());
  engine_.own(partitions);
  assigned_once_ = true;
  log::get("cluster")->info("polling {} sources of {} partitions", engine_.owned_sources(),
                            owned_.size());
}

void Handover::on_revoked(const Partitions& partitions, bool lost, std::function<void()> done) {
  ++rebalances_;
  for (const auto p : partitions) owned_.erase(p);
  const auto started = clock_.steady_now();
  // Lost partitions are another member's already: nothing under way is worth waiting for.
  engine_.release(partitions, lost ? std::chrono::milliseconds(0) : bound_,
                  [this, partitions, started, done = std::move(done)] {
                    if (state_.forget) state_.forget(partitions);
                    last_release_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                        clock_.steady_now() - started);
                    done();
                  });
}

}  // namespace newsd::cluster
