// CurlClient's side of curl's event loop contract: the sockets curl asks us to watch, the
// timer it asks us to arm, the connection sockets it opens and closes through us, and the
// socket actions that move transfers on (ownership rules in curl_client_impl.h).
#include <sys/socket.h>
#include <unistd.h>

#include <exception>

#include "fetch/curl_client_impl.h"

namespace newsd::fetch::detail {

int CurlClient::on_socket(CURL* easy, curl_socket_t s, int what, void* userp, void*) noexcept {
  auto* self = static_cast<CurlClient*>(userp);
  try {
    if (what == CURL_POLL_REMOVE) {
      self->unwatch(s);
    } else {
      self->watch(s, what);
    }
  } catch (const std::exception& e) {
    // Cannot watch this socket (e.g. epoll refused it): fail its transfer once curl returns.
    self->log_->error("cannot watch socket {}: {}", s, e.what());
    try {
      self->unwatchable_.push_back(easy);
    } catch (...) {
      // Out of memory as well: the transfer still ends at its timeout.
    }
  }
  return 0;
}

int CurlClient::on_timer(CURLM*, long timeout_ms, void* userp) noexcept {
  auto* self = static_cast<CurlClient*>(userp);
  try {
    if (timeout_ms < 0) {
      self->timer_.cancel();
      return 0;
    }
    if (timeout_ms == 0) {
      // "Act now": run on the loop without reprogramming the timer. A timer still armed for
      // an older timeout may fire later; a spurious CURL_SOCKET_TIMEOUT action is harmless.
      if (!self->timeout_posted_) {
        self->timeout_posted_ = true;
        asio::post(self->io_, [self, alive = std::weak_ptr(self->alive_)] {
          if (alive.expired()) return;
          self->timeout_posted_ = false;
          self->socket_action(CURL_SOCKET_TIMEOUT, 0);
        });
      }
      return 0;
    }
    self->timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    self->timer_.async_wait([self, alive = std::weak_ptr(self->alive_)](const error_code& ec) {
      if (alive.expired() || ec == asio::error::operation_aborted) return;
      ++self->timer_actions_;
      self->socket_action(CURL_SOCKET_TIMEOUT, 0);
    });
    return 0;
  } catch (const std::exception& e) {
    self->log_->error("cannot arm the curl timer: {}", e.what());
    return -1;  // curl fails the transfers in progress
  }
}

void CurlClient::watch(curl_socket_t s, int what) {
  auto it = sockets_.find(s);
  if (it == sockets_.end()) {
    // Also sockets curl opened without CURLOPT_OPENSOCKETFUNCTION (resolver wake-up pipes).
    auto socket = std::make_shared<Socket>(io_, s);
    it = sockets_.emplace(s, std::move(socket)).first;
  }
  it->second->what = what;
  arm(it->second);
}

void CurlClient::unwatch(curl_socket_t s) {
  const auto it = sockets_.find(s);
  if (it == sockets_.end()) return;
  if (opened_.count(s) != 0) {
    // Parked: a wait still pending completes for nothing (curl asks for no direction); the
    // Socket goes when curl closes the fd (on_close_socket), or serves its next request.
    it->second->what = 0;
    return;
  }
  forget(it);  // curl closes the fd itself
}

void CurlClient::forget(SocketMap::iterator it) {
  it->second->descriptor.release();  // deregisters and cancels the waits
  sockets_.erase(it);                // pending waits now hold an expired weak_ptr
}

curl_socket_t CurlClient::on_open_socket(void* userp, curlsocktype,
                                         curl_sockaddr* address) noexcept {
  auto* self = static_cast<CurlClient*>(userp);
  const curl_socket_t s =
      ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  if (s == CURL_SOCKET_BAD) return s;
  // A Socket left under this number belongs to an fd closed without on_close_socket: its
  // registration went with that fd, so it must not stand for the new one.
  if (const auto it = self->sockets_.find(s); it != self->sockets_.end()) self->forget(it);
  try {
    self->opened_.insert(s);
  } catch (...) {
    ::close(s);
    return CURL_SOCKET_BAD;  // curl fails the connection attempt
  }
  return s;
}

int CurlClient::on_close_socket(void* userp, curl_socket_t s) noexcept {
  auto* self = static_cast<CurlClient*>(userp);
  self->opened_.erase(s);
  // Deregistered before the fd number can be reused.
  if (const auto it = self->sockets_.find(s); it != self->sockets_.end()) self->forget(it);
  return ::close(s);
}

void CurlClient::arm(const std::shared_ptr<Socket>& socket) {
  // The waits complete from the io_context, possibly after curl removed the socket or after
  // this client is gone. Sockets are owned by `sockets_` alone, so a live weak_ptr proves
  // both that the socket is still watched and that `this` is alive.
  const auto waiter = [this, weak = std::weak_ptr(socket)](int direction) {
    return [this, weak, direction](const error_code& ec) {
      if (auto s = weak.lock()) on_ready(std::move(s), direction, ec);
    };
  };
  if ((socket->what & CURL_POLL_IN) != 0 && !socket->read_pending) {
    socket->read_pending = true;
    socket->descriptor.async_wait(asio::posix::descriptor_base::wait_read, waiter(CURL_CSELECT_IN));
  }
  if ((socket->what & CURL_POLL_OUT) != 0 && !socket->write_pending) {
    socket->write_pending = true;
    socket->descriptor.async_wait(asio::posix::descriptor_base::wait_write,
                                  waiter(CURL_CSELECT_OUT));
  }
}

void CurlClient::on_ready(std::shared_ptr<Socket> socket, int direction, const error_code& ec) {
  const int wanted = direction == CURL_CSELECT_IN ? CURL_POLL_IN : CURL_POLL_OUT;
  (direction == CURL_CSELECT_IN ? socket->read_pending : socket->write_pending) = false;
  if (ec == asio::error::operation_aborted) return;
  // curl stopped caring for this direction since the wait began; watch() re-arms it.
  if ((socket->what & wanted) == 0) return;

  // curl may remove the socket inside socket_action (and a new one may reuse the fd): look
  // at it again only through the weak_ptr afterwards.
  const std::weak_ptr<Socket> weak = socket;
  const curl_socket_t fd = socket->fd;
  socket.reset();
  socket_action(fd, ec ? CURL_CSELECT_ERR : direction);
  if (ec) return;  // no busy loop on a broken descriptor; curl fails the transfer
  if (auto again = weak.lock()) arm(again);  // keep watching until CURL_POLL_REMOVE
}

void CurlClient::socket_action(curl_socket_t s, int mask) {
  int running = 0;
  const CURLMcode rc = curl_multi_socket_action(multi_, s, mask, &running);
  if (rc != CURLM_OK) log_->error("curl_multi_socket_action: {}", curl_multi_strerror(rc));
  collect_finished();
}

void CurlClient::collect_finished() {
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
    if (msg->msg != CURLMSG_DONE) continue;
    // `msg` is invalid once the handle is removed: copy first.
    CURL* easy = msg->easy_handle;
    const CURLcode code = msg->data.result;
    finish(easy, code);
  }
  if (!unwatchable_.empty()) {
    auto doomed = std::move(unwatchable_);
    unwatchable_.clear();
    for (CURL* easy : doomed) finish(easy, CURLE_UNRECOVERABLE_POLL);
  }
}

}  // namespace newsd::fetch::detail
