#include "app/cluster_run.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "app/state_open.h"
#include "core/log.h"
#include "state/restore.h"

namespace newsd::app {

namespace {
// How long a revoked partition's polls under way may take before they are abandoned.
constexpr std::chrono::seconds kReleaseBound{10};
}  // namespace

ClusterRun::ClusterRun(boost::asio::io_context& io, const config::Config& cfg,
                       schedule::Engine& engine, state::KafkaStore& store,
                       metrics::Metrics& metrics)
    : clock_(io), engine_(engine) {
  const state::KafkaStateOptions options = state_options(cfg);
  store.revoke(state::all_partitions(options));
  engine.share(options.partitions);
  auto log = log::get("cluster");
  handover_ = std::make_unique<cluster::Handover>(
      engine,
      cluster::Handover::State{[&store, log](const cluster::Partitions& ps) {
                                 const auto stats = store.assign(ps);
                                 log->info("restored {} partitions: {} records", ps.size(),
                                           stats.records);
                               },
                               [&store](const cluster::Partitions& ps) { store.revoke(ps); }},
      clock_, kReleaseBound, &metrics);
  cluster::MemberOptions m;
  m.state = options;
  m.group = cfg.cluster->group;
  m.instance = cfg.cluster->instance;
  m.session_timeout = cfg.cluster->session_timeout;
  m.release_timeout = kReleaseBound + std::chrono::seconds(5);
  member_ = std::make_unique<cluster::Member>(
      m, *handover_, [&io](std::function<void()> f) { boost::asio::post(io, std::move(f)); });
}

std::string ClusterRun::detail() const {
  return "cluster: " + std::to_string(handover_->owned_partitions()) + " partitions, " +
         std::to_string(engine_.owned_sources()) + " sources" +
         (handover_->ready() ? "" : " (waiting for an assignment)");
}

}  // namespace newsd::app
