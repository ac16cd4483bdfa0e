// systemd's service notification protocol (sd_notify(3)) for Type=notify: readiness,
// reloads, shutdown, a one-line status and the watchdog.
//
// The watchdog is pinged from the event loop itself, by a steady_timer at half the interval
// systemd asked for (WatchdogSec= -> $WATCHDOG_USEC): if the loop stops turning, the pings
// stop and systemd kills and restarts the service. Outside systemd ($NOTIFY_SOCKET unset)
// every call is a cheap no-op. Thread-safety: use from the loop's thread only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace newsd::app {

class Notify {
 public:
  explicit Notify(boost::asio::io_context& io);
  ~Notify();
  Notify(const Notify&) = delete;
  Notify& operator=(const Notify&) = delete;

  // READY=1: config and state are loaded and the metrics endpoint listens. Also ends a
  // reload started with reloading(). `status`, when given, is sent along as STATUS=.
  void ready(std::string_view status = {});
  // RELOADING=1 (with MONOTONIC_USEC, as Type=notify-reload wants); follow with ready().
  void reloading();
  // STOPPING=1: shutdown has begun.
  void stopping(std::string_view status = {});
  // STATUS=: a one-line, human-readable summary shown by `systemctl status`.
  void status(std::string_view line);

  // Starts the loop's timer: WATCHDOG=1 every half watchdog interval (when systemd enabled
  // the watchdog for this process), and STATUS= from `summary` whenever it changed. Does
  // nothing when not started by systemd. Idempotent.
  void start(std::function<std::string()> summary = {});
  // Cancels the timer (io_context::run() may then run out of work).
  void stop();

  // How often the timer fires: half the watchdog interval, or 10 s without a watchdog.
  std::chrono::microseconds tick() const;

 private:
  void send(const std::string& message);
  void arm();

  boost::asio::steady_timer timer_;
  // The watchdog interval systemd asked for, if it enabled the watchdog for this process.
  std::optional<std::chrono::microseconds> watchdog_;
  bool enabled_ = false;  // $NOTIFY_SOCKET was set
  bool running_ = false;
  std::function<std::string()> summary_;
  std::string last_status_;
};

}  // namespace newsd::app
