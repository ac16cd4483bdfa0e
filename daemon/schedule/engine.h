// The scheduler: drives every source through fetch -> parse -> dedupe -> publish -> commit.
//
// One poll of a source at a time: the next poll is scheduled only when the previous one has
// fully ended (followed links fetched, every delivery report in). The source's conditional-GET
// state (ETag, Last-Modified) is saved only when every post of the response was acknowledged
// and committed, so a 304 can never hide a post that failed to reach Kafka.
//
// Thread-safety: everything runs on the io_context's thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "config/config.h"
#include "dedupe/seen_store.h"
#include "fetch/http_client.h"
#include "metrics/metrics.h"
#include "publish/publisher.h"

namespace newsd::schedule {

struct Options {
  std::string topic_template = "news.{category}";
  config::Http http;
  bool once = false;    // poll every source one time, then report idle
  bool commit = true;   // false for dry runs (--sink stdout): the seen-store is only read
  std::chrono::milliseconds backpressure_retry{100};
};

class Engine {
 public:
  Engine(boost::asio::io_context& io, std::vector<config::Source> sources,
         fetch::HttpClient& http, dedupe::SeenStore& store, publish::Publisher& publisher,
         metrics::Metrics& metrics, Options options);
  ~Engine();

  // Schedules every source (in once mode, polls each now).
  void start();
  // Stops scheduling new polls; polls under way run to their end.
  void stop();
  // Called (on the loop) whenever no poll is under way after stop() or in once mode.
  void on_idle(std::function<void()> f) { on_idle_ = std::move(f); }

  std::size_t polls_in_progress() const { return active_polls_; }
  // Polls that failed (fetch, parse, delivery or commit errors) since start.
  std::size_t failed_polls() const { return failed_polls_; }
  std::size_t delivered() const { return delivered_; }

 private:
  struct SourceState;
  struct Poll;

  void schedule(SourceState& s, std::chrono::milliseconds delay);
  void begin_poll(SourceState& s);
  void on_feed(const std::shared_ptr<Poll>& poll, fetch::Response r);
  void on_article(const std::shared_ptr<Poll>& poll, Post entry, fetch::Response r);
  void consider(const std::shared_ptr<Poll>& poll, Post post);
  void publish(const std::shared_ptr<Poll>& poll, Post post, bool updated);
  void maybe_finish(const std::shared_ptr<Poll>& poll);
  void finish(const std::shared_ptr<Poll>& poll);
  void record_fetch(const SourceState& s, const fetch::Response& r);
  fetch::Request request_for(const std::string& url) const;
  void check_idle();

  boost::asio::io_context& io_;
  fetch::HttpClient& http_;
  dedupe::SeenStore& store_;
  publish::Publisher& publisher_;
  metrics::Metrics& metrics_;
  Options options_;
  std::vector<std::unique_ptr<SourceState>> sources_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::function<void()> on_idle_;
  bool stopping_ = false;
  std::size_t active_polls_ = 0;
  std::size_t failed_polls_ = 0;
  std::size_t delivered_ = 0;
};

}  // namespace newsd::schedule
