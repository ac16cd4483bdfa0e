#include "cluster/handover.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "core/log.h"

namespace newsd::cluster {

Handover::Handover(schedule::Engine& engine, State state, Clock& clock,
                   std::chrono::milliseconds bound, metrics::Metrics* metrics)
    : engine_(engine), state_(std::move(state)), clock_(clock), bound_(bound), metrics_(metrics) {
  if (!metrics_) return;
  // Dashboards and the NewsdSourcesUnowned alert read these from the start, at zero.
  metrics_->cluster_owned_partitions.Add({}).Set(0);
  metrics_->cluster_owned_sources.Add({}).Set(0);
  for (const char* change : {"assigned", "revoked", "lost"}) {
    metrics_->cluster_rebalances.Add({{"change", change}});
    metrics_->cluster_handover_seconds.Add({{"change", change}}, metrics::handover_buckets());
  }
}

void Handover::on_assigned(const Partitions& partitions) {
  ++rebalances_;
  const auto started = clock_.steady_now();
  const auto before = engine_.owned_sources();
  if (state_.restore) state_.restore(partitions);
  owned_.insert(partitions.begin(), partitions.end());
  engine_.own(partitions);
  assigned_once_ = true;
  report("assigned", partitions, engine_.owned_sources() - before, clock_.steady_now() - started);
}

void Handover::on_revoked(const Partitions& partitions, bool lost, std::function<void()> done) {
  ++rebalances_;
  for (const auto p : partitions) owned_.erase(p);
  const auto started = clock_.steady_now();
  const auto before = engine_.owned_sources();
  // Lost partitions are another member's already: nothing under way is worth waiting for.
  engine_.release(partitions, lost ? std::chrono::milliseconds(0) : bound_,
                  [this, partitions, started, before, lost, done = std::move(done)] {
                    if (state_.forget) state_.forget(partitions);
                    const auto took = clock_.steady_now() - started;
                    last_release_ = std::chrono::duration_cast<std::chrono::milliseconds>(took);
                    const auto now = engine_.owned_sources();
                    report(lost ? "lost" : "revoked", partitions, before > now ? before - now : 0,
                           took);
                    done();
                  });
}

void Handover::sources_changed() {
  if (metrics_) metrics_->cluster_owned_sources.Add({}).Set(double(engine_.owned_sources()));
}

void Handover::report(const char* change, const Partitions& partitions, std::size_t sources,
                      std::chrono::steady_clock::duration took) {
  const double seconds = std::chrono::duration<double>(took).count();
  log::get("cluster")->info(
      "cluster: {} partitions {} ({} sources), {} in {:.1f} s; owning {} "
      "partitions, {} sources",
      change, fmt::join(partitions, ","), sources,
      std::string_view(change) == "assigned" ? "restored" : "let go", seconds, owned_.size(),
      engine_.owned_sources());
  if (!metrics_) return;
  metrics_->cluster_rebalances.Add({{"change", change}}).Increment();
  metrics_->cluster_handover_seconds.Add({{"change", change}}, metrics::handover_buckets())
      .Observe(seconds);
  metrics_->cluster_owned_partitions.Add({}).Set(double(owned_.size()));
  metrics_->cluster_owned_sources.Add({}).Set(double(engine_.owned_sources()));
}

}  // namespace newsd::cluster
