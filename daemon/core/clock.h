// Time and timers behind one interface, so that what waits (polling schedules, flush and
// retry timers, host spacing) runs on real time in the daemon and on simulated time in tests.
//
// Thread-safety: a clock and its timers are used from the event loop's thread only.
// Timer handlers never run inline: they are posted to the io_context, like asio's.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

namespace newsd {

using SteadyTime = std::chrono::steady_clock::time_point;
using SysTime = std::chrono::system_clock::time_point;

class Timer {
 public:
  // Runs once per wait; `cancelled` when the wait was cancelled, replaced or the timer
  // destroyed (as asio's operation_aborted).
  using Handler = std::function<void(bool cancelled)>;
  virtual ~Timer() = default;
  // Waits until `at`; a wait already pending is cancelled.
  virtual void wait_until(SteadyTime at, Handler done) = 0;
  virtual void cancel() = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SysTime system_now() const = 0;
  virtual SteadyTime steady_now() const = 0;
  virtual std::unique_ptr<Timer> make_timer() = 0;
  void wait_for(Timer& t, std::chrono::steady_clock::duration d, Timer::Handler done) {
    t.wait_until(steady_now() + d, std::move(done));
  }
};

// The clocks of the machine, timers on asio.
class AsioClock final : public Clock {
 public:
  explicit AsioClock(boost::asio::io_context& io) : io_(io) {}
  SysTime system_now() const override { return std::chrono::system_clock::now(); }
  SteadyTime steady_now() const override { return std::chrono::steady_clock::now(); }
  std::unique_ptr<Timer> make_timer() override;

 private:
  boost::asio::io_context& io_;
};

// Simulated time for tests: it stands still until advanced, and advancing it posts the
// handlers of the timers that came due, in due order, to the io_context. Its timers must not
// outlive it.
class ManualClock final : public Clock {
 public:
  // Starts at the machine's time (whole seconds), so that dates in test documents relative
  // to the real now make sense.
  explicit ManualClock(boost::asio::io_context& io);
  // Pending handlers are dropped without running.
  ~ManualClock() override;
  SysTime system_now() const override { return sys_start_ + (now_ - SteadyTime{}); }
  SteadyTime steady_now() const override { return now_; }
  std::unique_ptr<Timer> make_timer() override;

  // Moves time forward by `d`, firing every timer due by then.
  void advance(std::chrono::steady_clock::duration d);
  // Moves time to the earliest pending timer and fires it (and those due at the same
  // instant); false when no timer is pending.
  bool advance_to_next();
  std::size_t pending() const { return due_.size(); }
  // When the earliest pending timer is due; the current time when none is pending.
  SteadyTime next_due() const { return due_.empty() ? now_ : due_.begin()->first.first; }

 private:
  class ManualTimer;
  struct Wait {
    ManualTimer* timer;
    Timer::Handler done;
  };
  using Waits = std::multimap<std::pair<SteadyTime, std::uint64_t>, Wait>;
  void fire(Waits::iterator it, bool cancelled);

  boost::asio::io_context& io_;
  SysTime sys_start_;
  SteadyTime now_{};
  std::uint64_t seq_ = 0;  // keeps timers due at one instant in the order they were set
  Waits due_;
};

}  // namespace newsd
