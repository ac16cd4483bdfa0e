// What the Engine tells its PollListener (the operator's view), and the operator's actions:
// poll now, pause, resume. On simulated time, against the stand-ins of engine_fixture.h.
#include "schedule/engine.h"
#include "schedule/tests/engine_fixture.h"

namespace newsd::schedule {
namespace {

using namespace std::chrono_literals;

struct Heard {
  std::string source;
  long status;
  std::string error_class, error;
  std::size_t delivered;
  bool failed, etag;
  int failures;
  std::chrono::milliseconds next_in;
  IntervalReason reason;
};

class Recorder : public PollListener {
 public:
  void sources(const std::vector<SourceEntry>& all) override {
    names.clear();
    for (const auto& e : all) names.push_back(e.name);
  }
  void polled(const PollReport& r) override {
    heard.push_back({std::string(r.source), r.outcome.status, std::string(r.outcome.error_class),
                     r.outcome.error, r.outcome.delivered, r.failed, r.etag, r.consecutive_failures,
                     r.next_in, r.reason});
  }
  std::vector<std::string> names;
  std::vector<Heard> heard;
};

class ListenerTest : public EngineTest {
 protected:
  void ack_all() {
    while (!publisher_.pending.empty()) publisher_.ack();
  }
  // A daemon's engine (not once) with source "s", after its first poll has ended.
  std::unique_ptr<Engine> polled_once() {
    auto e = engine({source("s")}, false);
    e->set_listener(&recorder_);
    e->start();
    run_until([&] { return publisher_.pending.size() == 3; });
    ack_all();
    run_until([&] { return recorder_.heard.size() == 1; });
    return e;
  }
  Recorder recorder_;
};

TEST_F(ListenerTest, HearsTheSourceListAtOnceAndAfterAReload) {
  auto e = engine({source("a"), source("b")}, false);
  e->set_listener(&recorder_);
  EXPECT_EQ(recorder_.names, (std::vector<std::string>{"a", "b"}));
  e->reconfigure({source("b"), source("c")}, Options{});
  EXPECT_EQ(recorder_.names, (std::vector<std::string>{"b", "c"}));
  e->set_listener(nullptr);
}

TEST_F(ListenerTest, HearsHowEachPollEnded) {
  auto e = polled_once();
  const Heard& h = recorder_.heard[0];
  EXPECT_EQ(h.source, "s");
  EXPECT_EQ(h.status, 200);
  EXPECT_FALSE(h.failed);
  EXPECT_TRUE(h.error_class.empty());
  EXPECT_EQ(h.delivered, 3u);
  EXPECT_TRUE(h.etag);
  EXPECT_EQ(h.failures, 0);
  EXPECT_GE(h.next_in, 54min);  // 1h with 10 % jitter
  EXPECT_EQ(h.reason, IntervalReason::configured);
  e->stop();
  run_until([&] { return idle_; });
}

TEST_F(ListenerTest, HearsWhyAPollFailed) {
  http_.body = "<feed><entry>";
  auto e = engine({source("s")});
  e->set_listener(&recorder_);
  e->start();
  run_until([&] { return idle_; });
  ASSERT_EQ(recorder_.heard.size(), 1u);
  const Heard& h = recorder_.heard[0];
  EXPECT_TRUE(h.failed);
  EXPECT_EQ(h.error_class, "parse");
  EXPECT_NE(h.error.find("cannot parse http://feeds.test/s"), std::string::npos) << h.error;
  EXPECT_EQ(h.failures, 1);
  EXPECT_EQ(h.next_in, 0ms);  // once: nothing is scheduled
}

TEST_F(ListenerTest, APausedSourceIsNotPolledUntilResumed) {
  auto e = polled_once();
  EXPECT_TRUE(e->pause("s"));
  run_for(3h);
  EXPECT_EQ(http_.requests["http://feeds.test/s"], 1);
  EXPECT_TRUE(e->resume("s"));
  run_until([&] { return recorder_.heard.size() == 2; });
  EXPECT_EQ(http_.requests["http://feeds.test/s"], 2);
  EXPECT_EQ(recorder_.heard[1].status, 304);
  EXPECT_FALSE(e->pause("nope"));
  EXPECT_FALSE(e->resume("nope"));
  e->stop();
  run_until([&] { return idle_; });
}

TEST_F(ListenerTest, PollNowPollsAtOnceEvenAPausedSourceWhichStaysPaused) {
  auto e = polled_once();
  EXPECT_TRUE(e->pause("s"));
  EXPECT_TRUE(e->poll_now("s"));
  run_until([&] { return recorder_.heard.size() == 2; });
  EXPECT_EQ(recorder_.heard[1].next_in, 0ms);  // still paused: nothing scheduled
  run_for(3h);
  EXPECT_EQ(http_.requests["http://feeds.test/s"], 2);
  EXPECT_FALSE(e->poll_now("nope"));
  e->stop();
  run_until([&] { return idle_; });
}

}  // namespace
}  // namespace newsd::schedule
