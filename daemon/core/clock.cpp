#include "core/clock.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <optional>

namespace newsd {

namespace {

class AsioTimer final : public Timer {
 public:
  explicit AsioTimer(boost::asio::io_context& io) : timer_(io) {}
  void wait_until(SteadyTime at, Handler done) override {
    timer_.expires_at(at);
    timer_.async_wait(
        [done = std::move(done)](boost::system::error_code ec) { done(ec.failed()); });
  }
  void cancel() override { timer_.cancel(); }

 private:
  boost::asio::steady_timer timer_;
};

}  // namespace

std::unique_ptr<Timer> AsioClock::make_timer() {
  return std::make_unique<AsioTimer>(io_);
}

class ManualClock::ManualTimer final : public Timer {
 public:
  explicit ManualTimer(ManualClock& clock) : clock_(clock) {}
  ~ManualTimer() override { cancel(); }
  void wait_until(SteadyTime at, Handler done) override {
    cancel();
    pending_ = clock_.due_.emplace(std::pair(at, clock_.seq_++), Wait{this, std::move(done)});
  }
  void cancel() override {
    if (!pending_) return;
    auto it = *pending_;
    pending_.reset();
    clock_.fire(it, true);
  }

 private:
  friend class ManualClock;
  ManualClock& clock_;
  std::optional<Waits::iterator> pending_;
};

ManualClock::ManualClock(boost::asio::io_context& io)
    : io_(io),
      sys_start_(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now())) {}

ManualClock::~ManualClock() {
  // Dropping a handler may destroy timers (it may own what owns them): they must find
  // nothing pending.
  Waits waits = std::move(due_);
  due_.clear();
  for (auto& [due, wait] : waits) wait.timer->pending_.reset();
}

std::unique_ptr<Timer> ManualClock::make_timer() {
  return std::make_unique<ManualTimer>(*this);
}

void ManualClock::fire(Waits::iterator it, bool cancelled) {
  Timer::Handler done = std::move(it->second.done);
  it->second.timer->pending_.reset();
  due_.erase(it);
  boost::asio::post(io_, [done = std::move(done), cancelled] { done(cancelled); });
}

void ManualClock::advance(std::chrono::steady_clock::duration d) {
  const SteadyTime until = now_ + d;
  while (!due_.empty() && due_.begin()->first.first <= until) {
    now_ = std::max(now_, due_.begin()->first.first);
    fire(due_.begin(), false);
  }
  now_ = until;
}

bool ManualClock::advance_to_next() {
  if (due_.empty()) return false;
  const SteadyTime at = due_.begin()->first.first;
  now_ = std::max(now_, at);
  while (!due_.empty() && due_.begin()->first.first <= now_) fire(due_.begin(), false);
  return true;
}

}  // namespace newsd
