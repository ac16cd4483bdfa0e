// The Engine's test fixture: stand-ins for HTTP and Kafka, a store that counts, simulated
// time.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <ctime>
#include <deque>
#include <filesystem>
#include <sstream>

#include "dedupe/tests/memory_store.h"
#include "publish/tests/fake_publisher.h"
#include "schedule/engine.h"

namespace newsd::schedule {
namespace {

using namespace std::chrono_literals;

const char* kFeed = R"(<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><id>a</id><title>A</title><updated>2024-01-01T00:00:00Z</updated><content>one</content></entry>
<entry><id>b</id><title>B</title><updated>2024-01-01T00:00:00Z</updated><content>two</content></entry>
<entry><id>c</id><title>C</title><updated>2024-01-01T00:00:00Z</updated><content>three</content></entry>
</feed>)";

// Serves fixed responses; honours If-None-Match like a server with a strong ETag.
class FakeHttp : public fetch::HttpClient {
 public:
  explicit FakeHttp(boost::asio::io_context& io) : io_(io) {}
  void get(fetch::Request req, fetch::Handler done) override {
    ++requests[req.url];
    fetch::Response r;
    r.effective_url = req.url;
    const bool conditional = std::find(req.headers.begin(), req.headers.end(),
                                       "If-None-Match: \"v1\"") != req.headers.end();
    if (serve) {
      r = serve(req);
      r.effective_url = req.url;
    } else if (conditional) {
      r.status = 304;
    } else {
      r.status = 200;
      r.body = body;
      r.content_type = "application/atom+xml";
      r.etag = "\"v1\"";
    }
    ++in_flight_;
    if (hold) {
      held_.emplace_back(std::move(r), std::move(done));
      return;
    }
    boost::asio::post(io_, [this, r = std::move(r), done = std::move(done)]() mutable {
      --in_flight_;
      done(std::move(r));
    });
  }
  std::size_t in_flight() const override { return in_flight_; }
  void shutdown() override {}
  // With `hold`, responses wait until answer_held() (a request in flight for as long as a
  // test needs).
  void answer_held() {
    for (auto& [r, done] : held_)
      boost::asio::post(io_, [this, r = std::move(r), done = std::move(done)]() mutable {
        --in_flight_;
        done(std::move(r));
      });
    held_.clear();
  }
  bool hold = false;
  std::map<std::string, int> requests;
  std::string body = kFeed;
  // When set, answers every request instead of `body`.
  std::function<fetch::Response(const fetch::Request&)> serve;

 private:
  boost::asio::io_context& io_;
  std::size_t in_flight_ = 0;
  std::vector<std::pair<fetch::Response, fetch::Handler>> held_;
};

using FakePublisher = publish::FakePublisher;

// The real store, with its reads and writes counted.
class CountingStore : public dedupe::SeenStore {
 public:
  explicit CountingStore(dedupe::SeenStore& store) : store_(store) {}
  std::optional<dedupe::SeenEntry> find(const std::string& source, const std::string& id) override {
    return store_.find(source, id);
  }
  bool commit(const std::string& source, const std::string& id, const dedupe::SeenEntry& entry,
              Timestamp acked_at) override {
    return store_.commit(source, id, entry, acked_at);
  }
  std::size_t prune(Timestamp cutoff, std::size_t limit) override {
    return store_.prune(cutoff, limit);
  }
  std::size_t size() override { return store_.size(); }
  bool has_marks(const std::string& source) override { return store_.has_marks(source); }
  dedupe::PollState poll_state(const std::string& source) override {
    ++state_reads;
    return store_.poll_state(source);
  }
  bool save_poll_state(const std::string& source, const dedupe::PollState& state) override {
    ++state_writes;
    return store_.save_poll_state(source, state);
  }
  bool batch_intact() override { return store_.batch_intact(); }
  bool flush() override {
    ++flushes;
    return store_.flush();
  }
  int state_reads = 0, state_writes = 0, flushes = 0;

 private:
  dedupe::SeenStore& store_;
};

// A transactional store in memory that fails the way SQLite may on a full disk.
using RollbackStore = dedupe::MemoryStore;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("newsd-engine-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    store_ = dedupe::open_sqlite(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  config::Source source(const std::string& name) {
    config::Source s;
    s.name = name;
    s.url = "http://feeds.test/" + name;
    s.format = "atom";
    s.interval = 1h;
    return s;
  }

  std::unique_ptr<Engine> engine(std::vector<config::Source> sources, bool once = true) {
    Options o;
    o.once = once;
    o.http.host_spacing = 0ms;
    o.max_in_flight = max_in_flight_;
    o.backpressure_retry = 1ms;
    o.dead_letter_topic = dead_letter_topic_;
    auto e = std::make_unique<Engine>(io_, std::move(sources), http_, *store_, publisher_, metrics_,
                                      o, clock_, 42);
    e->on_idle([this] { idle_ = true; });
    return e;
  }

  // Runs the loop until `done` holds (or fails the test after a generous deadline): what is
  // ready runs; when nothing is, simulated time jumps to the next timer; when no timer is
  // pending either, a parse pool worker may still be at work, and is waited for.
  void run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "condition not reached";
      io_.restart();
      if (io_.poll() > 0 || clock_.advance_to_next()) continue;
      io_.restart();
      io_.run_one_for(1ms);
    }
  }

  // Lets `d` of simulated time pass, running what comes due.
  void run_for(std::chrono::milliseconds d) {
    const auto until = clock_.steady_now() + d;
    for (;;) {
      io_.restart();
      while (io_.poll() > 0) io_.restart();
      if (clock_.pending() == 0 || clock_.next_due() > until) break;
      clock_.advance_to_next();
    }
    clock_.advance(until - clock_.steady_now());
  }

  double unix_now() const {
    return std::chrono::duration<double>(clock_.system_now().time_since_epoch()).count();
  }

  // The value of the first series of `family` (as /metrics shows it) whose labels contain
  // `needle` ("source=x" matches source="x"); -1 when there is none.
  double value(const std::string& family, const std::string& needle) {
    std::string quoted = needle;
    if (const auto eq = quoted.find('='); eq != std::string::npos) {
      auto end = quoted.find(',', eq);
      if (end == std::string::npos) end = quoted.size();
      quoted.insert(end, "\"");
      quoted.insert(eq + 1, "\"");
    }
    std::istringstream text(metrics_.serialize());
    for (std::string line; std::getline(text, line);) {
      if (line.empty() || line[0] == '#') continue;
      const auto name_end = line.find_first_of("{ ");
      if (line.compare(0, name_end, family) != 0 || name_end != family.size()) continue;
      const auto space = line.rfind(' ');
      const std::string labels = line.substr(name_end, space - name_end);
      if (labels.find(quoted) != std::string::npos) return std::stod(line.substr(space + 1));
    }
    return -1;
  }

  std::filesystem::path dir_;
  boost::asio::io_context io_;
  ManualClock clock_{io_};
  FakeHttp http_{io_};
  FakePublisher publisher_;
  metrics::Metrics metrics_;
  std::unique_ptr<dedupe::SeenStore> store_;
  bool idle_ = false;
  std::size_t max_in_flight_ = 10000;
  std::string dead_letter_topic_;
};

}  // namespace
}  // namespace newsd::schedule
