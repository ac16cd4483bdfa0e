// The instance's side of a rebalance (the OwnershipListener the Member tells): an assigned
// partition's state is restored before its sources are polled; a revoked partition's
// sources stop being polled (Engine::release: polls under way end within `bound` or are
// abandoned, the commit batch is flushed), then its state is forgotten and the member may
// give it up.
//
// Restores run elsewhere (a state topic of millions of marks takes seconds) and report back;
// meanwhile the loop goes on polling the partitions already owned. A partition revoked while
// its restore runs is simply not taken on (and forgotten, in case its restore completes);
// a restore that fails is tried again every `retry`, as long as the partition is wanted.
//
// With `metrics`, every change is counted and timed in the newsd_cluster_* families, and the
// owned partitions and sources are kept in their gauges (the series exist from construction).
//
// Thread-safety: the event loop's, like the Engine it drives.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "cluster/member.h"
#include "core/clock.h"
#include "metrics/metrics.h"
#include "schedule/engine.h"

namespace newsd::cluster {

class Handover final : public OwnershipListener {
 public:
  // Called on the loop once a restore ended: whether the partitions' state is in the store.
  using Restored = std::function<void(bool ok)>;
  // The state store's part. `restore` starts restoring partitions into the store and calls
  // `Restored` on the loop once done (it may call it before returning); restores complete in
  // the order they were started. `forget` drops their marks and poll states.
  struct State {
    std::function<void(const Partitions&, Restored)> restore;
    std::function<void(const Partitions&)> forget;
  };
  Handover(schedule::Engine& engine, State state, Clock& clock, std::chrono::milliseconds bound,
           metrics::Metrics* metrics = nullptr,
           std::chrono::milliseconds retry = std::chrono::seconds(5));

  void on_assigned(const Partitions& partitions) override;
  void on_revoked(const Partitions& partitions, bool lost, std::function<void()> done) override;

  // The engine's sources changed (a reload): brings the owned-sources gauge up to date.
  void sources_changed();

  // An assignment came (possibly of no partition) and no restore is under way (/readyz).
  bool ready() const { return assigned_once_ && restoring_.empty(); }
  std::size_t restoring_partitions() const { return restoring_.size(); }
  std::size_t owned_partitions() const { return owned_.size(); }
  std::uint64_t rebalances() const { return rebalances_; }
  // How long the last revocation took, from the group's word to `done`.
  std::optional<std::chrono::milliseconds> last_release() const { return last_release_; }

 private:
  void restore(const Partitions& partitions, std::uint64_t request, SteadyTime started);
  void restored(const Partitions& partitions, std::uint64_t request, SteadyTime started, bool ok);
  // Counts and times one change, sets the gauges and says in the log what moved (the sources
  // by name: ten in the line, all at debug level).
  void report(const char* change, const Partitions& partitions,
              std::chrono::steady_clock::duration took);

  schedule::Engine& engine_;
  State state_;
  Clock& clock_;
  std::chrono::milliseconds bound_;
  metrics::Metrics* metrics_;
  std::chrono::milliseconds retry_;
  std::set<std::int32_t> owned_;
  // Partitions assigned whose restore has not completed, with the request that restores them.
  std::map<std::int32_t, std::uint64_t> restoring_;
  std::uint64_t requests_ = 0;
  std::map<std::uint64_t, std::unique_ptr<Timer>> retries_;
  bool assigned_once_ = false;
  std::uint64_t rebalances_ = 0;
  std::optional<std::chrono::milliseconds> last_release_;
};

}  // namespace newsd::cluster
