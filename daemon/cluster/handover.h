// The instance's side of a rebalance (the OwnershipListener the Member tells): an assigned
// partition's state is restored before its sources are polled; a revoked partition's
// sources stop being polled (Engine::release: polls under way end within `bound` or are
// abandoned, the commit batch is flushed), then its state is forgotten and the member may
// give it up.
//
// With `metrics`, every change is counted and timed in the newsd_cluster_* families, and the
// owned partitions and sources are kept in their gauges (the series exist from construction).
//
// Thread-safety: the event loop's, like the Engine it drives.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>

#include "cluster/member.h"
#include "core/clock.h"
#include "metrics/metrics.h"
#include "schedule/engine.h"

namespace newsd::cluster {

class Handover final : public OwnershipListener {
 public:
  // The state store's part (KafkaStore::assign and revoke). `restore` may throw; the
  // partitions are then not polled, and the error is the owner's to report.
  struct State {
    std::function<void(const Partitions&)> restore;
    std::function<void(const Partitions&)> forget;
  };
  Handover(schedule::Engine& engine, State state, Clock& clock, std::chrono::milliseconds bound,
           metrics::Metrics* metrics = nullptr);

  void on_assigned(const Partitions& partitions) override;
  void on_revoked(const Partitions& partitions, bool lost, std::function<void()> done) override;

  // The engine's sources changed (a reload): brings the owned-sources gauge up to date.
  void sources_changed();

  // An assignment came and its partitions are restored (/readyz).
  bool ready() const { return assigned_once_; }
  std::size_t owned_partitions() const { return owned_.size(); }
  std::uint64_t rebalances() const { return rebalances_; }
  // How long the last revocation took, from the group's word to `done`.
  std::optional<std::chrono::milliseconds> last_release() const { return last_release_; }

 private:
  // Counts and times one change, sets the gauges and says in the log what moved.
  void report(const char* change, const Partitions& partitions, std::size_t sources,
              std::chrono::steady_clock::duration took);

  schedule::Engine& engine_;
  State state_;
  Clock& clock_;
  std::chrono::milliseconds bound_;
  metrics::Metrics* metrics_;
  std::set<std::int32_t> owned_;
  bool assigned_once_ = false;
  std::uint64_t rebalances_ = 0;
  std::optional<std::chrono::milliseconds> last_release_;
};

}  // namespace newsd::cluster
