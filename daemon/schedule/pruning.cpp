#include "schedule/pruning.h"

#include <boost/asio/post.hpp>

#include "core/log.h"

namespace newsd::schedule {

SeenPruner::SeenPruner(boost::asio::io_context& io, dedupe::SeenStore& store,
                       prometheus::Counter& pruned, Options options)
    : io_(io), store_(store), pruned_(pruned), options_(options), timer_(io) {}

SeenPruner::~SeenPruner() {
  stop();
}

void SeenPruner::start() {
  running_ = true;
  round();
}

void SeenPruner::stop() {
  running_ = false;
  timer_.cancel();
  alive_ = std::make_shared<int>(0);  // chunks already posted find theirs gone
  in_round_ = false;
}

void SeenPruner::set_retention(std::chrono::hours retention) {
  const bool shorter = retention < options_.retention;
  options_.retention = retention;
  if (shorter && !in_round_ && running_) round();
}

void SeenPruner::round() {
  if (!running_ || in_round_) return;
  in_round_ = true;
  timer_.cancel();
  const Timestamp cutoff = std::chrono::floor<std::chrono::seconds>(
      std::chrono::system_clock::now() - options_.retention);
  next_chunk(cutoff, 0);
}

void SeenPruner::next_chunk(Timestamp cutoff, std::size_t so_far) {
  const std::size_t n = store_.prune(cutoff, options_.chunk);
  pruned_.Increment(double(n));
  so_far += n;
  if (n == options_.chunk) {
    boost::asio::post(io_, [this, cutoff, so_far, alive = std::weak_ptr(alive_)] {
      if (!alive.expired()) next_chunk(cutoff, so_far);
    });
    return;
  }
  // Fewer than a chunk: nothing older is left (or the store failed, and said so in the log).
  if (so_far > 0)
    log::get("dedupe")->info("pruned {} seen entries older than the retention ({}h)", so_far,
                             options_.retention.count());
  in_round_ = false;
  arm();
}

void SeenPruner::arm() {
  if (!running_) return;
  timer_.expires_after(options_.every);
  timer_.async_wait([this, alive = std::weak_ptr(alive_)](boost::system::error_code ec) {
    if (!ec && !alive.expired()) round();
  });
}

}  // namespace newsd::schedule
