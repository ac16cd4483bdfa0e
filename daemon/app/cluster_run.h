// `newsd run` with `cluster:` (docs/operations.md, "Running several instances"): the engine
// polls only the sources of the state partitions this instance owns; a consumer-group
// member decides which, and a Handover restores an assigned partition into the Kafka store
// before its sources are polled, and releases and forgets a revoked one before the member
// gives it up.
//
// Thread-safety: the event loop's, except the member's own thread (cluster/member.h).
#pragma once

#include <boost/asio/io_context.hpp>
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
  // Forgets every partition the store restored at start (they are restored again when
  // assigned), shares the engine's sources out, and joins the group. Call before
  // engine.start(). The newsd_cluster_* series exist from here on. Throws state::StateTopicError
  // when the member cannot be made.
  ClusterRun(boost::asio::io_context& io, const config::Config& cfg, schedule::Engine& engine,
             state::KafkaStore& store, metrics::Metrics& metrics);
  // Leaves the group: the partitions owned are released through the engine first, then
  // `left` runs on the loop.
  void leave(std::function<void()> left) { member_->leave(std::move(left)); }
  // After Engine::reconfigure (a reload): the sources owned may have changed.
  void sources_changed() { handover_->sources_changed(); }
  // /readyz: an assignment came and its partitions are restored.
  bool ready() const { return handover_->ready(); }
  std::string detail() const;

 private:
  AsioClock clock_;
  schedule::Engine& engine_;
  std::unique_ptr<cluster::Handover> handover_;
  std::unique_ptr<cluster::Member> member_;
};

}  // namespace newsd::app
