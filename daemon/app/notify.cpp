#include "app/notify.h"

#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <ctime>

#include "core/log.h"

namespace newsd::app {

namespace {

std::uint64_t monotonic_usec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::uint64_t(ts.tv_sec) * 1'000'000 + std::uint64_t(ts.tv_nsec) / 1'000;
}

// STATUS= is one line: newlines would start another assignment.
std::string one_line(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c == '\n' || c == '\r') c = ' ';
  return out;
}

}  // namespace

Notify::Notify(boost::asio::io_context& io) : timer_(io) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  std::uint64_t usec = 0;
  // > 0 only when $WATCHDOG_USEC is set and $WATCHDOG_PID, if set, names this process.
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) watchdog_ = std::chrono::microseconds(usec);
}

Notify::~Notify() {
  stop();
}

void Notify::ready(std::string_view status) {
  std::string m = "READY=1";
  if (!status.empty()) {
    last_status_ = one_line(status);
    m += "\nSTATUS=" + last_status_;
  }
  send(m);
}

void Notify::reloading() {
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec()));
}

void Notify::stopping(std::string_view status) {
  std::string m = "STOPPING=1";
  if (!status.empty()) {
    last_status_ = one_line(status);
    m += "\nSTATUS=" + last_status_;
  }
  send(m);
}

void Notify::status(std::string_view line) {
  last_status_ = one_line(line);
  send("STATUS=" + last_status_);
}

std::chrono::microseconds Notify::tick() const {
  if (watchdog_) return std::max(*watchdog_ / 2, std::chrono::microseconds(1000));
  return std::chrono::seconds(10);
}

void Notify::start(std::function<std::string()> summary) {
  summary_ = std::move(summary);
  if (!enabled_ || running_) return;
  running_ = true;
  if (watchdog_)
    log::get("main")->info("systemd watchdog every {} ms",
                           std::chrono::duration_cast<std::chrono::milliseconds>(tick()).count());
  arm();
}

void Notify::stop() {
  running_ = false;
  timer_.cancel();
}

void Notify::arm() {
  timer_.expires_after(tick());
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || !running_) return;
    if (watchdog_) send("WATCHDOG=1");
    if (summary_) {
      const std::string now = one_line(summary_());
      if (now != last_status_) status(now);
    }
    arm();
  });
}

void Notify::send(const std::string& message) {
  if (!enabled_) return;
  // A failure here (socket gone) is not worth stopping for: systemd notices the missing
  // READY/WATCHDOG by itself.
  if (const int rc = sd_notify(0, message.c_str()); rc < 0)
    log::get("main")->warn("sd_notify failed: {}", rc);
}

}  // namespace newsd::app
