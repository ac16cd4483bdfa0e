#include "app/cluster_run.h"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "app/state_open.h"
#include "core/log.h"
#include "state/restore.h"

namespace newsd::app {

namespace {
// How long a revoked partition's polls under way may take before they are abandoned.
constexpr std::chrono::seconds kReleaseBound{10};

// Thrown from the restore's progress callback to end it when the daemon stops.
struct Stopping {};
}  // namespace

ClusterRun::ClusterRun(boost::asio::io_context& io, const config::Config& cfg,
                       schedule::Engine& engine, state::KafkaStore& store,
                       metrics::Metrics& metrics, std::function<void(const std::string&)> fatal)
    : io_(io), clock_(io), engine_(engine), store_(store) {
  const state::KafkaStateOptions& options = store.options();
  engine.share(options.partitions);
  handover_ = std::make_unique<cluster::Handover>(
      engine,
      cluster::Handover::State{
          [this](const cluster::Partitions& ps, cluster::Handover::Restored done) {
            restore(ps, std::move(done));
          },
          [&store](const cluster::Partitions& ps) { store.revoke(ps); }},
      clock_, kReleaseBound, &metrics);
  cluster::MemberOptions m;
  m.state = options;
  m.group = cfg.cluster->group;
  m.instance = cfg.cluster->instance;
  m.session_timeout = cfg.cluster->session_timeout;
  m.release_timeout = kReleaseBound + std::chrono::seconds(5);
  m.on_fatal = std::move(fatal);
  member_ = std::make_unique<cluster::Member>(
      m, *handover_, [&io](std::function<void()> f) { boost::asio::post(io, std::move(f)); });
  // KIP-447: the store's transactions name this member's generation of the group.
  store.fence(*member_);
}

ClusterRun::~ClusterRun() {
  stopping_ = true;
  restorer_.join();
  store_.fence_off();
}

void ClusterRun::restore(const cluster::Partitions& partitions, cluster::Handover::Restored done) {
  boost::asio::post(restorer_, [this, partitions, done = std::move(done)]() mutable {
    auto log = log::get("cluster");
    auto index = std::make_shared<state::StateIndex>();
    bool ok = false;
    try {
      const auto stats = state::restore(
          store_.options(), partitions, *index,
          [this](const state::RestoreProgress&) {
            if (stopping_.load()) throw Stopping{};
          },
          std::chrono::milliseconds(200));
      log->info("restored partitions {}: {} records ({} seen marks, {} poll states) in {:.2f} s",
                fmt::join(partitions, ","), stats.records, index->size(), index->poll_states(),
                stats.duration.count());
      ok = true;
    } catch (const Stopping&) {
      return;
    } catch (const std::exception& e) {
      log->error("restoring partitions {} failed: {}", fmt::join(partitions, ","), e.what());
    }
    boost::asio::post(io_, [this, ok, index, done = std::move(done)] {
      if (ok) store_.adopt(std::move(*index));
      done(ok);
    });
  });
}

std::string ClusterRun::detail() const {
  return "cluster: " + std::to_string(handover_->owned_partitions()) + " partitions, " +
         std::to_string(engine_.owned_sources()) + " sources" +
         (handover_->ready() ? ""
          : handover_->restoring_partitions()
              ? " (restoring " + std::to_string(handover_->restoring_partitions()) + " partitions)"
              : " (waiting for an assignment)");
}

}  // namespace newsd::app
