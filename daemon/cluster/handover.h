// The instance's side of a rebalance (the OwnershipListener the Member tells): an assigned
// partition's state is restored before its sources are polled; a revoked partition's
// sources stop being polled (Engine::release: polls under way end within `bound` or are
// abandoned, the commit batch is flushed), then its state is forgotten and the member may
// give it up.
//
// Not wired into `newsd run` yet (docs/architecture.md, "Built, not yet wired"): main.cpp
// will pass KafkaStore::assign / revoke as the State hooks and export the figures below as
// newsd_cluster_* metrics.
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
  Handover(schedule::Engine& engine, State state, Clock& clock, std::chrono::milliseconds bound);

  void on_assigned(const Partitions& partitions) override;
  void on_revoked(const Partitions& partitions, bool lost, std::function<void()> done) override;

  // An assignment came and its partitions are restored (/readyz).
  bool ready() const { return assigned_once_; }
  std::size_t owned_partitions() const { return owned_.size(); }
  std::uint64_t rebalances() const { return rebalances_; }
  // How long the last revocation took, from the group's word to `done`.
  std::optional<std::chrono::milliseconds> last_release() const { return last_release_; }

 private:
  schedule::Engine& engine_;
  State state_;
  Clock& clock_;
  std::chrono::milliseconds bound_;
  std::set<std::int32_t> owned_;
  bool assigned_once_ = false;
  std::uint64_t rebalances_ = 0;
  std::optional<std::chrono::milliseconds> last_release_;
};

}  // namespace newsd::cluster
