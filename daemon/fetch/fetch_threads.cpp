// Curl on threads of its own (make_threaded_curl_client). Each fetch thread (Worker) runs one
// CurlClient on its own io_context. FetchThreads runs on the daemon's loop: lane bookkeeping
// and the in-flight count need no locks there, and the only cross-thread traffic is
// asio::post (requests to a worker, responses back to the loop).
//
// Lanes: with a cap of C connections per host, a host has C lanes; a request takes the least
// busy one and lane k runs on worker k mod N. A lane runs one transfer at a time, so a host
// never has more than C transfers, and worker w never more than ceil((C - w) / N) of one
// host, which is its curl multi's CURLMOPT_MAX_HOST_CONNECTIONS: the workers together never
// open more than C connections to a host. A lane also keeps a host's requests on the worker
// whose connection cache holds its kept-alive connections.
// Look-ahead: the engine may hand over one request per lane beyond the cap (look_ahead()).
// It waits in its lane on the worker and starts there the moment the lane's transfer ends,
// so a busy host's connections do not idle for a round trip through the daemon's loop; its
// timeouts count from that start, as when the engine held it.
#include <pthread.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "fetch/curl_client.h"
#include "fetch/http_client.h"

namespace newsd::fetch {
namespace {

namespace asio = boost::asio;

// The part of a URL that names the server (scheme and authority): connections are reused
// per server, so that is what lanes are counted by.
std::string_view server_of(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return url;
  const auto end = url.find_first_of("/?#", scheme + 3);
  return url.substr(0, end);
}

// One fetch thread: a CurlClient on its own loop, and the lanes it runs. Everything but
// the constructor and destructor runs on `thread`.
class Worker {
 public:
  Worker(asio::io_context& deliver, CurlOptions options)
      : deliver_(deliver), curl_(make_curl_client(io_, options)) {}

  void start() {
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "newsd-fetch");
      io_.run();
    });
  }

  // Aborts what runs and waits, then ends the thread once the aborted handlers are out.
  ~Worker() {
    asio::post(io_, [this] {
      shutdown();
      curl_.reset();  // its last completions are queued here and still find `lanes_`
    });
    guard_.reset();
    if (thread_.joinable()) thread_.join();
  }

  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // From the daemon's loop: runs `request` in `lane` of `server`, after the lane's earlier
  // requests. The handler is posted back to the daemon's loop.
  void submit(std::string server, std::size_t lane, Request request, Handler done) {
    asio::post(io_, [this, key = LaneKey{std::move(server), lane}, request = std::move(request),
                     done = std::move(done)]() mutable {
      if (shut_down_ || !curl_) {
        abort(std::move(done));
        return;
      }
      Lane& l = lanes_[key];
      l.waiting.emplace_back(std::move(request), std::move(done));
      if (!l.running) run_next(key, l);
    });
  }

  void post_shutdown() {
    asio::post(io_, [this] { shutdown(); });
  }

 private:
  struct LaneKey {
    std::string server;
    std::size_t lane;
    bool operator==(const LaneKey&) const = default;
  };
  struct LaneHash {
    std::size_t operator()(const LaneKey& k) const {
      return std::hash<std::string>()(k.server) ^ (k.lane * 0x9e3779b97f4a7c15ULL);
    }
  };
  // A lane runs one transfer at a time; the next waits here and starts, on this thread, as
  // soon as the lane's transfer ends: a busy host's connections never idle for a round trip
  // through the daemon's loop.
  struct Lane {
    bool running = false;
    std::deque<std::pair<Request, Handler>> waiting;
  };

  void run_next(const LaneKey& key, Lane& l) {
    auto [request, done] = std::move(l.waiting.front());
    l.waiting.pop_front();
    l.running = true;
    curl_->get(std::move(request), [this, key, done = std::move(done)](Response r) mutable {
      asio::post(deliver_,
                 [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
      const auto it = lanes_.find(key);
      if (it == lanes_.end()) return;
      it->second.running = false;
      if (it->second.waiting.empty())
        lanes_.erase(it);
      else if (shut_down_ || !curl_)
        abort_lane(it);
      else
        run_next(it->first, it->second);
    });
  }

  void abort(Handler done) {
    asio::post(deliver_, [done = std::move(done)]() mutable {
      Response r;
      r.error = ErrorClass::aborted;
      r.error_message = "client is shut down";
      done(std::move(r));
    });
  }

  void abort_lane(std::unordered_map<LaneKey, Lane, LaneHash>::iterator it) {
    for (auto& [request, done] : it->second.waiting) abort(std::move(done));
    it->second.waiting.clear();
    if (!it->second.running) lanes_.erase(it);
  }

  void shutdown() {
    shut_down_ = true;
    for (auto it = lanes_.begin(); it != lanes_.end();) {
      auto next = std::next(it);
      abort_lane(it);
      it = next;
    }
    if (curl_) curl_->shutdown();  // running transfers end with ErrorClass::aborted
  }

  asio::io_context& deliver_;
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard_{io_.get_executor()};
  std::unique_ptr<HttpClient> curl_;  // delivers to io_, so that a lane can start its next
  std::unordered_map<LaneKey, Lane, LaneHash> lanes_;
  bool shut_down_ = false;
  std::thread thread_;
};

class FetchThreads final : public HttpClient {
 public:
  FetchThreads(asio::io_context& io, std::size_t threads, CurlOptions options)
      : io_(io), lanes_(options.max_host_connections > 0 ? options.max_host_connections : 0) {
    threads = std::max<std::size_t>(threads, 1);
    if (lanes_ > 0) threads = std::min<std::size_t>(threads, static_cast<std::size_t>(lanes_));
    workers_.reserve(threads);
    for (std::size_t w = 0; w < threads; ++w) {
      CurlOptions mine = options;
      if (lanes_ > 0) {
        const auto n = static_cast<long>(threads);
        mine.max_host_connections = std::max(1L, (lanes_ - static_cast<long>(w) + n - 1) / n);
      }
      workers_.push_back(std::make_unique<Worker>(io_, mine));
      workers_.back()->start();
    }
  }

  ~FetchThreads() override {
    alive_.reset();
    workers_.clear();  // each aborts what it holds and joins its thread
  }

  FetchThreads(const FetchThreads&) = delete;
  FetchThreads& operator=(const FetchThreads&) = delete;

  void get(Request request, Handler done) override {
    if (shut_down_) {
      asio::post(io_, [done = std::move(done)]() mutable {
        Response r;
        r.error = ErrorClass::aborted;
        r.error_message = "client is shut down";
        done(std::move(r));
      });
      return;
    }
    ++in_flight_;
    std::string server(server_of(request.url));
    const std::size_t lane = take_lane(server);
    Handler finished = [this, alive = std::weak_ptr(alive_), server, lane,
                        done = std::move(done)](Response r) mutable {
      if (!alive.expired()) {
        --in_flight_;
        release_lane(server, lane);
      }
      done(std::move(r));
    };
    workers_[lane % workers_.size()]->submit(std::move(server), lane, std::move(request),
                                             std::move(finished));
  }

  std::size_t in_flight() const override { return shut_down_ ? 0 : in_flight_; }

  // One more request per lane may wait on its fetch thread.
  std::size_t look_ahead() const override {
    return lanes_ > 0 ? static_cast<std::size_t>(lanes_) : 0;
  }

  void shutdown() override {
    shut_down_ = true;
    for (auto& w : workers_) w->post_shutdown();
  }

 private:
  // Requests per lane (running and waiting) of each server; a server is forgotten when it
  // has none.
  struct Busy {
    std::vector<unsigned> per_lane;
    std::size_t total = 0;
  };

  std::size_t take_lane(const std::string& server) {
    if (lanes_ == 0) return next_++;  // no per-host cap: spread the requests
    Busy& b = busy_[server];
    if (b.per_lane.empty()) b.per_lane.assign(static_cast<std::size_t>(lanes_), 0);
    const auto it = std::min_element(b.per_lane.begin(), b.per_lane.end());
    ++*it;
    ++b.total;
    return static_cast<std::size_t>(it - b.per_lane.begin());
  }

  void release_lane(const std::string& server, std::size_t lane) {
    if (lanes_ == 0) return;
    const auto it = busy_.find(server);
    if (it == busy_.end()) return;
    --it->second.per_lane[lane];
    if (--it->second.total == 0) busy_.erase(it);
  }

  asio::io_context& io_;
  const long lanes_;  // connections per host; 0 = no cap
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unordered_map<std::string, Busy> busy_;
  std::size_t next_ = 0;
  std::size_t in_flight_ = 0;
  bool shut_down_ = false;
  std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

}  // namespace

std::unique_ptr<HttpClient> make_threaded_curl_client(boost::asio::io_context& io,
                                                      std::size_t threads, CurlOptions options) {
  return std::make_unique<FetchThreads>(io, threads, options);
}

}  // namespace newsd::fetch
