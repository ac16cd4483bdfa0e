#include "cluster/handover.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/log.h"

namespace newsd::cluster {

Handover::Handover(schedule::Engine& engine, State state, Clock& clock,
                   std::chrono::milliseconds bound, metrics::Metrics* metrics,
                   std::chrono::milliseconds retry)
    : engine_(engine),
      state_(std::move(state)),
      clock_(clock),
      bound_(bound),
      metrics_(metrics),
      retry_(retry) {
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
  assigned_once_ = true;  // the group answered, even if with nothing for this instance
  if (partitions.empty()) return;
  ++rebalances_;
  std::erase_if(retries_, [this](const auto& r) {  // timers of requests that ended
    return std::none_of(restoring_.begin(), restoring_.end(),
                        [&](const auto& p) { return p.second == r.first; });
  });
  const std::uint64_t request = ++requests_;
  for (const auto p : partitions) restoring_[p] = request;
  restore(partitions, request, clock_.steady_now());
}

void Handover::restore(const Partitions& partitions, std::uint64_t request, SteadyTime started) {
  if (!state_.restore) {
    restored(partitions, request, started, true);
    return;
  }
  state_.restore(partitions, [this, partitions, request, started](bool ok) {
    restored(partitions, request, started, ok);
  });
}

void Handover::restored(const Partitions& partitions, std::uint64_t request, SteadyTime started,
                        bool ok) {
  Partitions wanted, unwanted;
  for (const auto p : partitions) {
    const auto it = restoring_.find(p);
    (it != restoring_.end() && it->second == request ? wanted : unwanted).push_back(p);
  }
  // Revoked (perhaps assigned again, restored by a later request) while this restore ran.
  if (ok && !unwanted.empty() && state_.forget) state_.forget(unwanted);
  if (wanted.empty()) return;
  if (!ok) {
    log::get("cluster")->warn("cluster: restoring partitions {} failed; trying again in {} s",
                              fmt::join(wanted, ","), retry_.count() / 1000.0);
    // One timer per request, re-armed from its own handler (so never destroyed inside it).
    auto& timer = retries_[request];
    if (!timer) timer = clock_.make_timer();
    clock_.wait_for(*timer, retry_, [this, wanted, request, started](bool cancelled) {
      if (!cancelled) restore(wanted, request, started);
    });
    return;
  }
  for (const auto p : wanted) restoring_.erase(p);
  owned_.insert(wanted.begin(), wanted.end());
  engine_.own(wanted);
  report("assigned", wanted, clock_.steady_now() - started);
}

void Handover::on_revoked(const Partitions& partitions, bool lost, std::function<void()> done) {
  ++rebalances_;
  Partitions held;  // the others were still being restored: nothing of theirs is polled yet
  for (const auto p : partitions) {
    if (restoring_.erase(p) == 0) held.push_back(p);
    owned_.erase(p);
  }
  const auto started = clock_.steady_now();
  // Lost partitions are another member's already: nothing under way is worth waiting for.
  engine_.release(held, lost ? std::chrono::milliseconds(0) : bound_,
                  [this, partitions, held, started, lost, done = std::move(done)] {
                    if (state_.forget && !held.empty()) state_.forget(held);
                    const auto took = clock_.steady_now() - started;
                    last_release_ = std::chrono::duration_cast<std::chrono::milliseconds>(took);
                    report(lost ? "lost" : "revoked", partitions, took);
                    done();
                  });
}

void Handover::sources_changed() {
  if (metrics_) metrics_->cluster_owned_sources.Add({}).Set(double(engine_.owned_sources()));
}

void Handover::report(const char* change, const Partitions& partitions,
                      std::chrono::steady_clock::duration took) {
  const double seconds = std::chrono::duration<double>(took).count();
  // Which sources moved, by name: the first few in the line, all of them at debug level.
  constexpr std::size_t kNamed = 10;
  auto names = engine_.sources_in(partitions);
  const std::size_t sources = names.size();
  auto log = log::get("cluster");
  if (sources > kNamed) {
    log->debug("cluster: {} partitions {}: {}", change, fmt::join(partitions, ","),
               fmt::join(names, ", "));
    names.resize(kNamed);
  }
  const std::string more =
      sources > names.size() ? fmt::format(" and {} more", sources - names.size()) : "";
  log->info(
      "cluster: {} partitions {} ({} sources{}{}{}), {} in {:.1f} s; owning {} partitions, {} "
      "sources",
      change, fmt::join(partitions, ","), sources, names.empty() ? "" : ": ",
      fmt::join(names, ", "), more, std::string_view(change) == "assigned" ? "restored" : "let go",
      seconds, owned_.size(), engine_.owned_sources());
  if (!metrics_) return;
  metrics_->cluster_rebalances.Add({{"change", change}}).Increment();
  metrics_->cluster_handover_seconds.Add({{"change", change}}, metrics::handover_buckets())
      .Observe(seconds);
  metrics_->cluster_owned_partitions.Add({}).Set(double(owned_.size()));
  metrics_->cluster_owned_sources.Add({}).Set(double(engine_.owned_sources()));
}

}  // namespace newsd::cluster
