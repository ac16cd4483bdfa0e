// The scheduler against stand-ins for HTTP and Kafka (the real ones are exercised by the
// integration tests): delivery bookkeeping, back-pressure and reload. On simulated time: when
// nothing is ready to run, the clock jumps to the next timer.
#include "schedule/engine.h"

#include "schedule/tests/engine_fixture.h"

namespace newsd::schedule {
namespace {

using namespace std::chrono_literals;

TEST_F(EngineTest, MarksPostsSeenOnlyWhenKafkaAcknowledges) {
  auto e = engine({source("s")});
  e->start();
  run_until([&] { return publisher_.pending.size() == 3; });
  EXPECT_FALSE(store_->find("s", "a"));
  publisher_.ack();
  run_until([&] { return store_->find("s", "a").has_value(); });
  EXPECT_FALSE(idle_);  // the poll is not over while deliveries are outstanding
  publisher_.ack();
  publisher_.ack();
  run_until([&] { return idle_; });
  EXPECT_TRUE(store_->find("s", "c"));
  EXPECT_EQ(store_->poll_state("s").etag, "\"v1\"");
  EXPECT_EQ(e->failed_polls(), 0u);
}

TEST_F(EngineTest, KeepsTheOldEtagWhenADeliveryFailsSoThePostIsOfferedAgain) {
  {
    auto e = engine({source("s")});
    e->start();
    run_until([&] { return publisher_.pending.size() == 3; });
    publisher_.ack();
    publisher_.ack(false);  // "b" times out in the producer
    publisher_.ack();
    run_until([&] { return idle_; });
    EXPECT_EQ(e->failed_polls(), 1u);
    EXPECT_FALSE(store_->poll_state("s").etag);  // next poll is unconditional
    EXPECT_EQ(store_->poll_state("s").consecutive_failures, 1);
  }
  idle_ = false;
  auto e = engine({source("s")});
  e->start();
  run_until([&] { return publisher_.pending.size() == 1; });
  EXPECT_EQ(publisher_.ack(), "b");  // only the lost one is published again
  run_until([&] { return idle_; });
  EXPECT_EQ(store_->poll_state("s").etag, "\"v1\"");
  EXPECT_EQ(value("newsd_posts_total", "result=duplicate"), 2);
}

std::string header(const publish::DeadLetter& d, const std::string& name) {
  for (const auto& [k, v] : d.headers)
    if (k == name) return v;
  return "(none)";
}

// DESIGN.md: items that cannot be parsed go to a dead-letter topic with the raw bytes and the
// error in headers. A broken feed polled again unchanged is not sent again; a letter Kafka did
// not take is sent again at the next poll.
TEST_F(EngineTest, SendsAnUnparseableFeedRawToTheDeadLetterTopic) {
  dead_letter_topic_ = "news.dead";
  http_.body = "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><id>a";
  auto s = source("s");
  s.interval = 5ms;  // failures back off from here: the source is polled again soon
  auto e = engine({s}, false);
  e->start();
  run_until([&] { return publisher_.letters.size() == 1; });
  const publish::DeadLetter& letter = publisher_.letters.front().first;
  EXPECT_EQ(letter.topic, "news.dead");
  EXPECT_EQ(letter.key, "s");
  EXPECT_EQ(letter.value, http_.body);
  EXPECT_EQ(header(letter, "newsd_source"), "s");
  EXPECT_EQ(header(letter, "newsd_url"), "http://feeds.test/s");
  EXPECT_EQ(header(letter, "newsd_format"), "atom");
  EXPECT_NE(header(letter, "newsd_error"), "(none)");
  EXPECT_FALSE(header(letter, "newsd_error").empty());
  EXPECT_EQ(header(letter, "newsd_fetched_at").size(), 20u);  // 2024-01-01T00:00:00Z
  publisher_.ack_letter();
  EXPECT_EQ(value("newsd_dead_letters_total", "result=delivered"), 1);
  EXPECT_EQ(value("newsd_kafka_messages_produced_total", "topic=news.dead"), 1);

  // Polled again, the same bytes: counted, not sent.
  run_until([&] { return value("newsd_dead_letters_total", "result=repeated") >= 1; });
  EXPECT_TRUE(publisher_.letters.empty());
  EXPECT_TRUE(publisher_.pending.empty());

  // Other broken bytes are sent; when Kafka does not take them, the next poll sends them again.
  http_.body += "<title>";
  run_until([&] { return publisher_.letters.size() == 1; });
  publisher_.ack_letter(false);
  EXPECT_EQ(value("newsd_dead_letters_total", "result=failed"), 1);
  run_until([&] { return publisher_.letters.size() == 1; });
  EXPECT_EQ(publisher_.letters.front().first.value, http_.body);
  publisher_.ack_letter();
  EXPECT_EQ(value("newsd_dead_letters_total", "result=delivered"), 2);
  e->stop();
  run_until([&] { return idle_; });
}

TEST_F(EngineTest, SendsNoDeadLettersWithoutADeadLetterTopic) {
  http_.body = "<feed><entry>";
  auto e = engine({source("s")});
  e->start();
  run_until([&] { return idle_; });
  EXPECT_EQ(e->failed_polls(), 1u);
  EXPECT_TRUE(publisher_.letters.empty());
  EXPECT_EQ(value("newsd_parse_errors_total", "source=s"), 1);
}

TEST_F(EngineTest, PausesWhenKafkaIsFullAndResumesWithoutDroppingAnything) {
  publisher_.capacity = 1;
  auto e = engine({source("s")});
  e->start();
  run_until([&] { return e->paused_sources() == 1; });
  EXPECT_EQ(value("newsd_sources_paused", ""), 1);
  std::vector<std::string> delivered;
  for (int i = 0; i < 3; ++i) {
    run_until([&] { return publisher_.pending.size() == 1; });
    delivered.push_back(publisher_.ack());
  }
  run_until([&] { return idle_; });
  EXPECT_EQ(delivered, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(e->paused_sources(), 0u);
  EXPECT_EQ(value("newsd_sources_paused", ""), 0);
  EXPECT_GT(value("newsd_kafka_enqueue_failures_total", "reason=queue_full"), 0);
}

// Kafka takes nothing: the first polls fill the producer and hold the rest of their posts.
// Once a quarter of max_in_flight are held, no further feed is fetched (each would hold its
// posts as well: memory would grow with the sources); the rest follows as Kafka drains.
TEST_F(EngineTest, StopsFetchingWhileManyPostsWaitForKafkaAndLosesNothing) {
  max_in_flight_ = 4;
  std::vector<config::Source> many;
  for (int i = 0; i < 10; ++i) many.push_back(source("s" + std::to_string(i)));
  auto e = engine(many);
  e->start();
  run_until([&] { return publisher_.pending.size() == 4; });
  run_for(20ms);
  const auto fetched = [&] {
    std::size_t n = 0;
    for (const auto& [url, count] : http_.requests) n += static_cast<std::size_t>(count);
    return n;
  };
  // 3 posts per feed: 4 went to the producer, the rest are held. Requests already under
  // way when the held posts reached 1 still deliver theirs; after that nothing starts.
  const std::size_t before = fetched();
  EXPECT_LT(before, 10u);
  run_for(20ms);
  EXPECT_EQ(fetched(), before);
  EXPECT_EQ(value("newsd_queue_depth", "queue=backlog"), double(3 * before - 4));
  std::size_t delivered = 0;
  while (!idle_) {
    run_until([&] { return !publisher_.pending.empty() || idle_; });
    if (!publisher_.pending.empty()) {
      publisher_.ack();
      ++delivered;
    }
  }
  EXPECT_EQ(fetched(), 10u);
  EXPECT_EQ(delivered, 30u) << "every post of every source, once";
  EXPECT_EQ(value("newsd_queue_depth", "queue=backlog"), 0);
}

TEST_F(EngineTest, AReloadStartsAddedSourcesAndDropsTheSeriesOfRemovedOnes) {
  auto e = engine({source("keep"), source("gone")}, /*once=*/false);
  e->start();
  run_until([&] { return publisher_.pending.size() == 6; });
  while (!publisher_.pending.empty()) publisher_.ack();
  run_until([&] { return e->polls_in_progress() == 0; });
  EXPECT_GT(value("newsd_fetches_total", "source=gone"), 0);

  Options o;
  o.http.host_spacing = 0ms;
  const auto sum = e->reconfigure({source("keep"), source("new")}, o);
  EXPECT_EQ(sum.added, 1u);
  EXPECT_EQ(sum.removed, 1u);
  EXPECT_EQ(sum.unchanged, 1u);
  EXPECT_EQ(value("newsd_fetches_total", "source=gone"), -1);
  EXPECT_EQ(e->source_count(), 2u);
  run_until([&] { return http_.requests["http://feeds.test/new"] == 1; });
  EXPECT_EQ(http_.requests["http://feeds.test/keep"], 1);  // its schedule is untouched
  e->stop();
}

TEST_F(EngineTest, ASourceChangedByAReloadDuringItsPollIsPolledAgainSoon) {
  auto e = engine({source("s")}, /*once=*/false);
  e->start();
  run_until([&] { return publisher_.pending.size() == 3; });  // the poll waits for acks
  auto moved = source("s");
  moved.url = "http://feeds.test/moved";
  Options o;
  o.http.host_spacing = 0ms;
  o.backpressure_retry = 1ms;
  EXPECT_EQ(e->reconfigure({moved}, o).changed, 1u);
  while (!publisher_.pending.empty()) publisher_.ack();
  // The interval is an hour: only the reload's own rescheduling gets here in time.
  run_until([&] { return http_.requests["http://feeds.test/moved"] == 1; });
  EXPECT_EQ(http_.requests["http://feeds.test/s"], 1);
  e->stop();
}

TEST_F(EngineTest, AdaptsTheIntervalToHowOftenTheSourcePublishes) {
  // 12 entries, one every 10 minutes up to now.
  std::string feed = R"(<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>)";
  const std::time_t now = std::chrono::system_clock::to_time_t(clock_.system_now());
  for (int i = 0; i < 12; ++i) {
    const std::time_t t = now - i * 600;
    std::tm tm{};
    char when[32];
    std::strftime(when, sizeof when, "%FT%TZ", gmtime_r(&t, &tm));
    feed += "<entry><id>e" + std::to_string(i) + "</id><title>T</title><updated>" + when +
            "</updated></entry>";
  }
  http_.body = feed + "</feed>";
  auto src = source("x");
  src.adapt = config::Adapt{1min, 2h};  // the configured interval is 1h
  auto e = engine({src}, /*once=*/false);
  e->start();
  run_until([&] { return publisher_.pending.size() == 12; });
  while (!publisher_.pending.empty()) publisher_.ack();
  run_until([&] { return value("newsd_source_next_poll_timestamp_seconds", "source=x") > 0; });
  const double delay = value("newsd_source_next_poll_timestamp_seconds", "source=x") - unix_now();
  EXPECT_GT(delay, 0.85 * 600);  // 10 minutes with jitter, not the hour configured
  EXPECT_LT(delay, 1.15 * 600);
  e->stop();
}

TEST_F(EngineTest, AggregatesSeriesWhenPerSourceLabelsAreOff) {
  Options o;
  o.once = true;
  o.per_source_labels = false;
  o.http.host_spacing = 0ms;
  Engine e(io_, {source("x"), source("y")}, http_, *store_, publisher_, metrics_, o, clock_, 42);
  e.on_idle([this] { idle_ = true; });
  e.start();
  run_until([&] { return publisher_.pending.size() == 6; });
  while (!publisher_.pending.empty()) publisher_.ack();
  run_until([&] { return idle_; });
  EXPECT_EQ(value("newsd_fetches_total", "source=_all"), 2);
  EXPECT_EQ(value("newsd_fetches_total", "source=x"), -1);
  EXPECT_EQ(value("newsd_source_last_success_timestamp_seconds", ""), -1);
}

TEST_F(EngineTest, ParsesOnThePoolAndStillMarksPostsSeenOnlyWhenKafkaAcknowledges) {
  Options o;
  o.once = true;
  o.http.host_spacing = 0ms;
  o.parse_threads = 2;
  o.max_parsing = 1;  // every source shares one host: requests wait for the pool
  std::vector<config::Source> sources;
  for (int i = 0; i < 8; ++i) sources.push_back(source("s" + std::to_string(i)));
  Engine e(io_, sources, http_, *store_, publisher_, metrics_, o, clock_, 42);
  e.on_idle([this] { idle_ = true; });
  e.start();
  run_until([&] { return publisher_.pending.size() == 24; });
  EXPECT_FALSE(store_->find("s0", "a"));
  EXPECT_FALSE(idle_);
  while (!publisher_.pending.empty()) publisher_.ack();
  run_until([&] { return idle_; });
  for (const auto& s : sources) {
    EXPECT_TRUE(store_->find(s.name, "c")) << s.name;
    EXPECT_EQ(store_->poll_state(s.name).etag, "\"v1\"") << s.name;
  }
  EXPECT_EQ(e.failed_polls(), 0u);
}

TEST_F(EngineTest, ANotModifiedAnswerCostsNoStateReadOrWrite) {
  CountingStore counting(*store_);
  Options o;
  o.http.host_spacing = 0ms;
  auto s = source("s");
  s.interval = 1s;  // the shortest next poll the policy allows
  Engine e(io_, {s}, http_, counting, publisher_, metrics_, o, clock_, 42);
  e.start();
  run_until([&] { return publisher_.pending.size() == 3; });
  while (!publisher_.pending.empty()) publisher_.ack();
  run_until([&] { return http_.requests[s.url] == 3 && e.polls_in_progress() == 0; });
  EXPECT_EQ(value("newsd_fetches_total", "outcome=not_modified"), 2);
  EXPECT_EQ(counting.state_reads, 1);   // once, at the first poll
  EXPECT_EQ(counting.state_writes, 1);  // the new ETag; the 304s changed nothing
  EXPECT_EQ(store_->poll_state("s").etag, "\"v1\"");
  e.stop();
}

TEST_F(EngineTest, AnEtagIsNeverDurableWithoutTheSeenMarksOfItsPoll) {
  RollbackStore store;
  store.fail_commit = 3;  // s2's first mark: s1's first two are rolled back with it
  Options o;
  o.once = true;
  o.http.host_spacing = 0ms;
  o.state_flush_delay = 1h;  // nothing is committed behind the test's back
  Engine e(io_, {source("s1"), source("s2")}, http_, store, publisher_, metrics_, o, clock_, 42);
  e.on_idle([this] { idle_ = true; });
  e.start();
  run_until([&] { return publisher_.pending.size() == 6; });  // s1 a b c, s2 a b c
  publisher_.ack();                                           // s1 a
  publisher_.ack();                                           // s1 b
  publisher_.ack(true, 1);         // s2 a: its write fails and takes s1's marks with it
  EXPECT_TRUE(store.rolled_back);  // (the fake did fail as intended)
  publisher_.ack();                // s1 c: written on its own; s1's poll ends here
  while (!publisher_.pending.empty()) publisher_.ack();
  run_until([&] { return idle_; });
  for (const std::string s : {"s1", "s2"}) {
    const auto it = store.polls.find(s);
    if (it == store.polls.end() || it->second.etag != "\"v1\"") continue;
    for (const std::string id : {"a", "b", "c"})
      EXPECT_TRUE(store.seen.count({s, id})) << s << " has its new ETag but not " << id;
  }
  EXPECT_EQ(e.failed_polls(), 2u);  // both polls lost marks: both are offered again
}

TEST_F(EngineTest, APollWhoseBatchFailsToCommitAfterItEndedCountsAsFailed) {
  RollbackStore store;
  store.fail_flush = true;  // e.g. the disk is full: the ETag and the marks are lost together
  Options o;
  o.http.host_spacing = 0ms;
  o.state_flush_delay = 1ms;
  Engine e(io_, {source("s")}, http_, store, publisher_, metrics_, o, clock_, 42);
  e.start();
  run_until([&] { return publisher_.pending.size() == 3; });
  while (!publisher_.pending.empty()) publisher_.ack();
  run_until([&] { return store.flushes > 0 && e.failed_polls() == 1; });
  EXPECT_FALSE(store.polls.count("s"));  // nothing durable, so the posts are offered again
  EXPECT_EQ(value("newsd_sources_failing", ""), 1);  // its next poll backs off if this goes on
  e.stop();
}

TEST_F(EngineTest, PollsThatEndInOneBatchShareItsCommit) {
  CountingStore counting(*store_);
  Options o;
  o.once = true;
  o.http.host_spacing = 0ms;
  o.state_flush_delay = 1h;
  std::vector<config::Source> sources;
  for (int i = 0; i < 8; ++i) sources.push_back(source("s" + std::to_string(i)));
  Engine e(io_, sources, http_, counting, publisher_, metrics_, o, clock_, 42);
  e.on_idle([this] { idle_ = true; });
  e.start();
  run_until([&] { return publisher_.pending.size() == 24; });
  while (!publisher_.pending.empty()) publisher_.ack();
  run_until([&] { return idle_; });
  EXPECT_EQ(counting.flushes, 1);  // at the end, not once per poll
  for (const auto& s : sources) {
    EXPECT_TRUE(store_->find(s.name, "c")) << s.name;
    EXPECT_EQ(store_->poll_state(s.name).etag, "\"v1\"") << s.name;
  }
}

// Exactly-once: a post's mark joins the transaction that carries the post (the store's open
// batch when the producer takes it), so that both commit or both abort. At acknowledgement
// the transaction may be committed already, with the post in it.
TEST_F(EngineTest, ExactlyOnceMarksAPostSeenWhenTheProducerTakesItAndOnlyThen) {
  RollbackStore store;
  Options o;
  o.once = true;
  o.http.host_spacing = 0ms;
  o.state_flush_delay = 1h;
  o.exactly_once = true;
  Engine e(io_, {source("s")}, http_, store, publisher_, metrics_, o, clock_, 42);
  e.on_idle([this] { idle_ = true; });
  e.start();
  run_until([&] { return publisher_.pending.size() == 3; });
  EXPECT_EQ(store.commits, 3);  // before any acknowledgement
  EXPECT_TRUE(store.seen_pending.count({"s", "a"}));
  while (!publisher_.pending.empty()) publisher_.ack();
  run_until([&] { return idle_; });
  EXPECT_EQ(store.commits, 3);  // the acknowledgements wrote no second mark
  EXPECT_EQ(store.flushes, 1);
  EXPECT_TRUE(store.seen.count({"s", "c"}));
  EXPECT_EQ(store.polls["s"].etag, "\"v1\"");
  EXPECT_EQ(e.failed_polls(), 0u);
}

TEST_F(EngineTest, ExactlyOnceAnAbortedTransactionFailsThePollSoItsPostsAreOfferedAgain) {
  RollbackStore store;
  store.fail_flush = true;  // the commit of the transaction fails: posts and marks aborted
  Options o;
  o.http.host_spacing = 0ms;
  o.state_flush_delay = 1ms;
  o.exactly_once = true;
  Engine e(io_, {source("s")}, http_, store, publisher_, metrics_, o, clock_, 42);
  e.start();
  run_until([&] { return publisher_.pending.size() == 3; });
  while (!publisher_.pending.empty()) publisher_.ack();
  run_until([&] { return store.flushes > 0 && e.failed_polls() == 1; });
  EXPECT_TRUE(store.seen.empty());
  EXPECT_FALSE(store.polls.count("s"));  // no validators: the next poll offers them again
  EXPECT_FALSE(store.find("s", "a"));
  e.stop();
}

}  // namespace
}  // namespace newsd::schedule
