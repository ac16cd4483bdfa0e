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
#include <random>
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
#include "schedule/parse_pool.h"
#include "schedule/policy.h"

namespace newsd::schedule {

struct Options {
  std::string topic_template = config::Kafka{}.topic;
  config::Http http;
  std::size_t max_in_flight = config::Kafka{}.max_in_flight;  // unacknowledged: polls pause
  // Requests handed to the HTTP client per host at once (match the client's per-host
  // connection cap): the rest wait in the HostQueue, so their timeout does not run.
  std::size_t max_per_host = 4;
  bool once = false;   // poll every source one time, then report idle
  bool commit = true;  // false for dry runs (--sink stdout): the seen-store is only read
  bool per_source_labels = config::Metrics{}.per_source_labels;  // false: source="_all"
  std::chrono::milliseconds backpressure_retry{100};
  // How long store writes may wait to be committed together (0: after each loop turn).
  std::chrono::milliseconds state_flush_delay{20};
  std::size_t parse_threads = 0;  // 0: documents are parsed on the loop
  std::size_t max_parsing = 16;   // documents queued for or in the parse pool
  // Documents that cannot be parsed go here raw; empty: nowhere.
  std::string dead_letter_topic = config::Kafka{}.dead_letter_topic;
};

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
  std::size_t delivered() const { return delivered_; }

 private:
  struct SourceState;
  struct Poll;
  using SourcePtr = std::shared_ptr<SourceState>;
  using PollPtr = std::shared_ptr<Poll>;
  using Kind = ParseJob::Kind;

  Engine(boost::asio::io_context& io, std::vector<config::Source> sources, fetch::HttpClient& http,
         dedupe::SeenStore& store, publish::Publisher& publisher, metrics::Metrics& metrics,
         Options options, std::unique_ptr<Clock> own_clock, Clock* clock, std::uint64_t seed);

  void schedule(const SourcePtr& s, std::chrono::milliseconds delay);
  void begin_poll(const SourcePtr& s);
  fetch::Request request_for(const std::string& url) const;
  // Queues a GET that belongs to `poll`; `done` runs on the loop.
  void fetch(const PollPtr& poll, fetch::Request req, fetch::Handler done);
  void on_feed(const PollPtr& poll, fetch::Response r);
  // A link to follow or a detail to request, for a feed entry judged new or changed.
  void on_followed(const PollPtr& poll, Kind kind, Post entry, fetch::Response r);
  void parse(const PollPtr& poll, ParseJob job);
  void on_parsed(const PollPtr& poll, Kind kind, ParseResult result);
  void on_feed_posts(const PollPtr& poll, ParseResult& result);
  void on_delivered(Poll& poll, const std::string& id, const publish::Receipt& receipt,
                    const publish::Delivery& d);
  void maybe_finish(const PollPtr& poll);
  void finish(const PollPtr& poll);
  // The source's last poll ended as a success, but the batch with its seen marks and
  // validators failed to commit: count it failed and back off.
  void fail_ended_poll(const SourcePtr& s);
  std::chrono::milliseconds next_poll_in(const SourceState& s, const PollHints& hints);
  void record_fetch(SourceState& s, const fetch::Response& r);
  void check_idle();
  // The source's series: its own with per-source labels on, else the one set every source
  // shares (source="_all"). Resolved at first use; dropping them removes the source's series.
  metrics::SourceSeries& series(SourceState& s);
  void set_failing(std::ptrdiff_t change);
  double unix_now() const;
  Timestamp now_utc() const;

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
  std::size_t delivered_ = 0;
  std::size_t failing_ = 0;  // sources with consecutive failures
  prometheus::Gauge* sources_failing_;
  prometheus::Histogram* freshness_;
  std::shared_ptr<metrics::SourceSeries> shared_series_;  // per-source labels off
  std::shared_ptr<spdlog::logger> log_fetch_, log_parse_, log_schedule_;
  // The pipeline, in the order a post goes through it.
  ParsePool parse_;
  publish::Outbox outbox_;
  publish::DeadLetters dead_letters_;
  dedupe::Deduper deduper_;
  dedupe::CommitBatch batch_;
  HostQueue hosts_;
};

}  // namespace newsd::schedule
