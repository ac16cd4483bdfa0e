// `newsd run` with `cluster:` (docs/operations.md, "Running several instances"): the engine
// polls only the sources of the state partitions this instance owns; a consumer-group
// member decides which, and a Handover restores an assigned partition into the Kafka store
// before its sources are polled, and releases and forgets a revoked one before the member
// gives it up. With exactly-once, every transaction carries the group's metadata (KIP-447),
// so an instance the group no longer counts as a member cannot commit.
//
// Thread-safety: the event loop's, except the member's own thread (cluster/member.h) and the
// restore thread, which reads the state topic into an index of its own and hands it to the
// loop.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <string>

#include "cluster/handover.h"
#include "cluster/member.h"
#include "config/config.h"
#include "core/clock.h"
#include "metrics/metrics.h"
#include "schedule/engine.h"
#include "state/kafka_store.h"

namespace newsd::app {

class ClusterRun {
 public:
  // Shares the engine's sources out and joins the group; `store` holds no partition yet
  // (open_store with `shared`), each is restored when assigned. Call before engine.start().
  // `fatal` runs on the loop if the member fails for good (another process joined with its
  // cluster.instance). The newsd_cluster_* series exist from here on. Throws state::StateTopicError
  // when the member cannot be made.
  ClusterRun(boost::asio::io_context& io, const config::Config& cfg, schedule::Engine& engine,
             state::KafkaStore& store, metrics::Metrics& metrics,
             std::function<void(const std::string&)> fatal);
  // Stops a restore under way (within a fraction of a second) and waits for the thread.
  ~ClusterRun();
  ClusterRun(const ClusterRun&) = delete;
  ClusterRun& operator=(const ClusterRun&) = delete;
  // Leaves the group: the partitions owned are released through the engine first, then
  // `left` runs on the loop.
  void leave(std::function<void()> left) { member_->leave(std::move(left)); }
  // After Engine::reconfigure (a reload): the sources owned may have changed.
  void sources_changed() { handover_->sources_changed(); }
  // /readyz: an assignment came and its partitions are restored.
  bool ready() const { return handover_->ready(); }
  std::string detail() const;

 private:
  // Restores `partitions` on the restore thread, then adopts them into the store on the loop.
  void restore(const cluster::Partitions& partitions, cluster::Handover::Restored done);

  boost::asio::io_context& io_;
  AsioClock clock_;
  schedule::Engine& engine_;
  state::KafkaStore& store_;
  std::atomic<bool> stopping_{false};
  boost::asio::thread_pool restorer_{1};  // one thread: restores complete in order
  std::unique_ptr<cluster::Handover> handover_;
  std::unique_ptr<cluster::Member> member_;
};

}  // namespace newsd::app
