// The scheduler: polls every source on its schedule and wires the pipeline's parts
// (docs/architecture.md draws it): HostQueue (fetch) -> ParsePool -> Deduper -> Outbox
// (publish) -> CommitBatch.
//
// One poll of a source at a time: the next poll is scheduled only when the previous one has
// fully ended (followed links and detail requests fetched and parsed, every delivery report
// in). Its conditional-GET state is saved only as the CommitBatch allows, so a 304 can never
// hide a post that failed to reach Kafka. Each source's metric series are resolved once, and
// its conditional-GET state is read from the store once and written only when it changes.
//
// Time, timers and randomness come from the Clock and seed given (real ones by default), so
// tests run on simulated time.
//
// Thread-safety: everything runs on the io_context's thread, except parsing on the pool's
// threads (ParsePool).
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "dedupe/commit_batch.h"
#include "dedupe/deduper.h"
#include "dedupe/seen_store.h"
#include "fetch/http_client.h"
#include "metrics/metrics.h"
#include "publish/dead_letter.h"
#include "publish/outbox.h"
#include "publish/publisher.h"
#include "schedule/host_queue.h"
#include "schedule/listener.h"
#include "schedule/options.h"
#include "schedule/parse_pool.h"
#include "schedule/policy.h"
#include "schedule/poll.h"
#include "schedule/robots_gate.h"
#include "schedule/source_state.h"

namespace newsd::schedule {

struct ReloadSummary {
  std::size_t added = 0, removed = 0, changed = 0, unchanged = 0;
};

class Engine {
 public:
  // On real time, randomly seeded.
  Engine(boost::asio::io_context& io, std::vector<config::Source> sources, fetch::HttpClient& http,
         dedupe::SeenStore& store, publish::Publisher& publisher, metrics::Metrics& metrics,
         Options options);
  // On `clock` (which outlives the engine), its jitter drawn from `seed`.
  Engine(boost::asio::io_context& io, std::vector<config::Source> sources, fetch::HttpClient& http,
         dedupe::SeenStore& store, publish::Publisher& publisher, metrics::Metrics& metrics,
         Options options, Clock& clock, std::uint64_t seed);
  ~Engine();

  // Schedules every source (in once mode, polls each now).
  void start();
  // Stops scheduling new polls; polls under way run to their end.
  void stop();
  // Replaces the source list: added sources start, removed ones stop (a poll under way ends
  // first), unchanged ones keep their state and schedule, changed ones keep their state and
  // are polled again soon with the new settings.
  ReloadSummary reconfigure(std::vector<config::Source> sources, Options options);
  // Called (on the loop) whenever no poll is under way after stop() or in once mode.
  void on_idle(std::function<void()> f) { on_idle_ = std::move(f); }

  std::size_t polls_in_progress() const { return active_polls_; }
  std::size_t paused_sources() const { return outbox_.paused(); }
  std::size_t source_count() const { return sources_.size(); }
  // Polls that failed (fetch, parse, delivery or commit errors) since start.
  std::size_t failed_polls() const { return failed_polls_; }
  std::size_t delivered() const { return pipeline_.delivered; }

  // Told of the source list now and at each reload, and of every poll's end; null: nobody.
  // `listener` outlives the engine or is replaced first.
  void set_listener(PollListener* listener);
  // Operator actions (the admin listener). false: no source of that name. poll_now starts a
  // poll at once unless one is under way (a paused source is polled once and stays paused);
  // pause lets a poll under way end and schedules no more until resume, which polls soon.
  bool poll_now(const std::string& name);
  bool pause(const std::string& name);
  bool resume(const std::string& name);
  // Several instances sharing the sources (daemon/cluster, schedule/ownership.cpp): from
  // now on only the sources of owned partitions are polled, a source's partition being
  // state::partition_of(name, partitions); none is owned at first. Call before start().
  void share(std::int32_t partitions);
  // Starts polling the sources of `partitions` (their state restored already).
  void own(const std::vector<std::int32_t>& partitions);
  // Lets go of `partitions`: no new poll of their sources starts; polls under way end, or
  // after `bound` are abandoned (Poll::abandon); then the commit batch is flushed and
  // `done` runs (on the loop, possibly before release returns).
  void release(const std::vector<std::int32_t>& partitions, std::chrono::milliseconds bound,
               std::function<void()> done);
  std::size_t owned_sources() const;
  // The names of the sources of `partitions` (whether owned or not), sorted; for logs that
  // say what moved.
  std::vector<std::string> sources_in(const std::vector<std::int32_t>& partitions) const;

 private:
  using SourcePtr = std::shared_ptr<SourceState>;
  using PollPtr = std::shared_ptr<Poll>;

  Engine(boost::asio::io_context& io, std::vector<config::Source> sources, fetch::HttpClient& http,
         dedupe::SeenStore& store, publish::Publisher& publisher, metrics::Metrics& metrics,
         Options options, std::unique_ptr<Clock> own_clock, Clock* clock, std::uint64_t seed);

  void schedule(const SourcePtr& s, std::chrono::milliseconds delay);
  void begin_poll(const SourcePtr& s);
  // The poll has ended: what the store keeps of it, the source's health, its next poll.
  void finish(const PollPtr& poll);
  // The source's last poll ended as a success, but the batch with its seen marks and
  // validators failed to commit: count it failed and back off.
  void fail_ended_poll(const SourcePtr& s);
  std::chrono::milliseconds next_poll_in(const SourceState& s, const PollHints& hints);
  void check_idle();
  // The source's series: its own with per-source labels on, else the one set every source
  // shares (source="_all"). Resolved at first use; dropping them removes the source's series.
  metrics::SourceSeries& series(SourceState& s);
  // Ownership (ownership.cpp): true unless shared and `s`'s partition is not owned.
  bool owns(const std::string& source) const;
  // A poll ended: a release waiting for it may complete.
  void poll_ended(const SourceState& s);
  void end_abandoned(const PollPtr& poll);
  struct Release;
  void complete(Release& r);
  void drop_completed();
  void set_failing(std::ptrdiff_t change);
  double unix_now() const;
  void announce_sources();
  void report(const PollPtr& poll, bool failed, std::chrono::milliseconds delay, bool scheduled);

  boost::asio::io_context& io_;
  std::unique_ptr<Clock> own_clock_;  // when none was given
  Clock& clock_;
  std::mt19937_64 rng_;
  dedupe::SeenStore& store_;
  metrics::Metrics& metrics_;
  Options options_;
  std::map<std::string, SourcePtr> sources_;
  std::function<void()> on_idle_;
  bool stopping_ = false;
  std::size_t active_polls_ = 0;
  std::size_t failed_polls_ = 0;
  std::size_t failing_ = 0;  // sources with consecutive failures
  prometheus::Gauge* sources_failing_;
  std::shared_ptr<metrics::SourceSeries> shared_series_;  // per-source labels off
  // The pipeline, in the order a post goes through it.
  ParsePool parse_;
  publish::Outbox outbox_;
  publish::DeadLetters dead_letters_;
  dedupe::Deduper deduper_;
  dedupe::CommitBatch batch_;
  HostQueue hosts_;
  RobotsGate robots_;  // asked before fetching what the source's document links to
  Pipeline pipeline_;  // the above, as polls see them
  PollListener* listener_ = nullptr;
  // Ownership (several instances): set by share().
  std::optional<std::int32_t> partitions_;
  std::set<std::int32_t> owned_;
  std::map<const SourceState*, std::weak_ptr<Poll>> polls_;  // under way
  std::vector<std::shared_ptr<Release>> releases_;           // waiting for polls to end
};

}  // namespace newsd::schedule
