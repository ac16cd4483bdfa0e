// The scheduler: drives every source through fetch -> parse -> dedupe -> publish -> commit.
//
// One poll of a source at a time: the next poll is scheduled only when the previous one has
// fully ended (followed links and detail requests fetched, every delivery report in). The
// source's conditional-GET state (ETag, Last-Modified) is saved only when every post of the
// response was acknowledged and committed, so a 304 can never hide a post that failed to
// reach Kafka.
//
// Back-pressure: when the producer's queue is full, or `max_in_flight` messages await
// acknowledgement, the affected polls hold their remaining posts and resume by themselves
// once there is room; nothing is dropped, and the source's next poll waits for its current
// one. paused_sources() and the newsd_sources_paused gauge show it. Once the posts held so
// reach a quarter of `max_in_flight`, no new request starts until they drain (the backlog
// queue gauge), so what waits for Kafka stays bounded however many sources have news.
//
// Costs per request are kept off the hot path: each source's metric series are resolved
// once and cached, its conditional-GET state is kept in memory (read from the store once,
// written only when it changes), and store writes are grouped into one transaction per
// `state_flush_delay` (a crash loses at most that window of seen marks: posts are then
// published again, never lost). A poll's new ETag is committed with or after its seen marks,
// never before: it joins the transaction that holds them (or a later one), a batch that
// fails to commit fails the polls that wrote into it, and a batch an error already rolled
// back is flushed (failing its polls) before the ETag is written. So the ETag never moves
// past a post that is not recorded as seen, and polls cost no commit of their own.
//
// Feed documents are parsed on a small pool (`parse_threads`, DESIGN.md: "CPU-heavy parsing
// may run on a small pool; results come back to the loop"). A worker sees only the bytes and
// a copy of the parse context and of the source's overrides; it also serializes every entry
// that needs no further request into its Kafka record (JSON, topic, headers), so the loop
// only looks the entries up (one store query per feed) and hands the records over. The
// result is posted back to the loop, where everything else happens. At most `max_parsing` documents
// wait for or are in a worker: beyond that no new request is started, so fetched bodies cannot pile
// up in memory faster than they are parsed.
//
// Thread-safety: everything runs on the io_context's thread, except parse::parse() of feed
// documents on the pool's threads.
#pragma once

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "core/log.h"
#include "dedupe/seen_store.h"
#include "fetch/http_client.h"
#include "metrics/metrics.h"
#include "publish/publisher.h"
#include "schedule/policy.h"

namespace newsd::schedule {

struct Options {
  std::string topic_template = "news.{category}";
  config::Http http;
  std::size_t max_in_flight = 10000;  // unacknowledged messages before polls pause
  // Requests handed to the HTTP client per host at once (match the client's per-host
  // connection cap): the rest wait here, so a queued request's timeout does not run.
  std::size_t max_per_host = 4;
  bool once = false;              // poll every source one time, then report idle
  bool commit = true;             // false for dry runs (--sink stdout): the seen-store is only read
  bool per_source_labels = true;  // false: source="_all" and no per-source gauges
  std::chrono::milliseconds backpressure_retry{100};
  // How long store writes may wait to be committed together (0: after each loop turn).
  std::chrono::milliseconds state_flush_delay{20};
  // Threads that parse feed documents; 0 parses on the loop (followed articles and detail
  // responses are always parsed on the loop).
  std::size_t parse_threads = 0;
  std::size_t max_parsing = 16;  // documents queued for or in the parse pool
  // Documents that cannot be parsed go here raw (kafka.dead_letter_topic); empty: nowhere.
  std::string dead_letter_topic;
};

struct ReloadSummary {
  std::size_t added = 0, removed = 0, changed = 0, unchanged = 0;
};

class Engine {
 public:
  Engine(boost::asio::io_context& io, std::vector<config::Source> sources, fetch::HttpClient& http,
         dedupe::SeenStore& store, publish::Publisher& publisher, metrics::Metrics& metrics,
         Options options);
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
  std::size_t paused_sources() const { return paused_; }
  std::size_t source_count() const { return sources_.size(); }
  // Polls that failed (fetch, parse, delivery or commit errors) since start.
  std::size_t failed_polls() const { return failed_polls_; }
  std::size_t delivered() const { return delivered_; }

 private:
  struct SourceState;
  struct Poll;
  using SourcePtr = std::shared_ptr<SourceState>;
  using PollPtr = std::shared_ptr<Poll>;

  void schedule(const SourcePtr& s, std::chrono::milliseconds delay);
  void begin_poll(const SourcePtr& s);
  // Starts a GET once the host's spacing allows; `done` runs on the loop.
  void fetch(const PollPtr& poll, fetch::Request req, fetch::Handler done);
  void on_feed(const PollPtr& poll, fetch::Response r);
  // The parse of a feed document has ended (on the loop, wherever it ran).
  struct ParseJob;
  struct ParseResult;
  void on_parsed(const PollPtr& poll, ParseResult result);
  void on_article(const PollPtr& poll, Post entry, fetch::Response r);
  void on_detail(const PollPtr& poll, Post entry, fetch::Response r);
  // A post ready to produce, and what is recorded once Kafka acknowledges it.
  struct Outgoing;
  // `post` (from a followed link or a detail request) is looked up and published if new.
  void consider(const PollPtr& poll, Post post);
  // `out`, whose seen-store entry is `seen`, is published unless it is a duplicate.
  void offer(const PollPtr& poll, Outgoing out, const std::optional<dedupe::SeenEntry>& seen);
  void publish(const PollPtr& poll, Outgoing out);
  void drain_backlog(const PollPtr& poll);
  void set_paused(Poll& poll, bool paused);
  void maybe_finish(const PollPtr& poll);
  void finish(const PollPtr& poll);
  void record_fetch(SourceState& s, const fetch::Response& r);
  // `raw`, fetched from `url` and not parseable as `format`, to the dead-letter topic.
  void dead_letter(const SourcePtr& source, std::string raw, const std::string& url,
                   std::string_view format, const std::string& error, Timestamp fetched_at);
  // A store write happened: make sure the open transaction is committed soon.
  void wrote_state();
  void flush_state();
  // The source's last poll ended as a success, but the batch with its seen marks and ETag
  // failed to commit: count it failed and back off.
  void fail_ended_poll(const SourcePtr& s);
  fetch::Request request_for(const std::string& url) const;
  void check_idle();
  // The source's series: its own with per-source labels on, else the one set every source
  // shares (source="_all"). Taken from the registry at first use; dropping them removes the
  // source's series from /metrics.
  metrics::SourceSeries& series(SourceState& s);
  // Counters of `topic` in `produced` and `delivery_errors`, resolved once per topic.
  struct TopicSeries {
    prometheus::Counter* produced;
    prometheus::Counter* delivery_errors;
  };
  TopicSeries& topic_series(const std::string& topic);
  void drop_series(SourceState& s);
  void count_failing();
  void dispatch(const std::string& host);
  // Whether a new request may start: the parse pool has room, and the posts that polls
  // hold for want of room in the producer are fewer than a quarter of max_in_flight (enough
  // to keep the producer fed while more are fetched). Otherwise polls would keep fetching
  // and parsing while Kafka is slow or down, each holding its feed's posts: memory would
  // grow with the number of sources.
  bool fetch_room() const {
    return (!pool_ || parsing_ < options_.max_parsing) &&
           held_ < std::max<std::size_t>(options_.max_in_flight / 4, 1);
  }
  // Starts the requests held back by fetch_room(), oldest host first, while there is room.
  void resume_starved();

  boost::asio::io_context& io_;
  fetch::HttpClient& http_;
  dedupe::SeenStore& store_;
  publish::Publisher& publisher_;
  metrics::Metrics& metrics_;
  Options options_;
  std::map<std::string, SourcePtr> sources_;
  struct HostSlots {
    std::size_t active = 0;
    bool starved = false;  // in starved_: waits for fetch_room()
    std::deque<std::pair<fetch::Request, fetch::Handler>> waiting;
  };
  std::unordered_map<std::string, HostSlots> hosts_;
  std::size_t waiting_ = 0;         // requests waiting for a host slot
  std::size_t hosts_released_ = 0;  // every 1024th, the host gate forgets idle hosts
  std::size_t failing_ = 0;         // sources with consecutive failures
  HostGate gate_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::function<void()> on_idle_;
  bool stopping_ = false;
  std::size_t active_polls_ = 0;
  std::size_t paused_ = 0;
  std::size_t failed_polls_ = 0;
  std::size_t delivered_ = 0;
  // Series without a source label, resolved once.
  prometheus::Gauge* queue_fetch_;
  prometheus::Gauge* queue_kafka_;
  prometheus::Gauge* queue_backlog_;
  prometheus::Gauge* sources_paused_;
  prometheus::Gauge* sources_failing_;
  prometheus::Histogram* ack_latency_;
  prometheus::Histogram* freshness_;
  std::unordered_map<std::string, TopicSeries> topics_;
  std::shared_ptr<metrics::SourceSeries> shared_series_;  // per-source labels off
  std::shared_ptr<spdlog::logger> log_fetch_, log_parse_, log_publish_, log_schedule_;
  boost::asio::steady_timer flush_timer_;
  bool flush_armed_ = false;
  std::size_t unflushed_writes_ = 0;
  std::uint64_t batch_id_ = 1;                      // the store's open batch of writes
  std::vector<std::weak_ptr<Poll>> batch_polls_;    // polls with seen marks in it
  std::vector<SourcePtr> batch_ended_;              // sources whose poll ended with its marks in it
  std::unique_ptr<boost::asio::thread_pool> pool_;  // null when parse_threads == 0
  std::size_t parsing_ = 0;                         // documents handed to pool_
  std::deque<std::string> starved_;                 // hosts held back by fetch_room()
  std::size_t held_ = 0;  // posts in polls' backlogs: not yet taken by the producer
  // Parse results posted back after the engine is gone (an abnormal teardown) check this.
  std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

}  // namespace newsd::schedule
