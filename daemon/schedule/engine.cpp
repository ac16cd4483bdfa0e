#include "schedule/engine.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <deque>
#include <set>

#include "core/log.h"
#include "parse/parser.h"

namespace newsd::schedule {

using namespace std::chrono;
using Clock = steady_clock;

struct Engine::SourceState {
  SourceState(boost::asio::io_context& io, config::Source c)
      : cfg(std::move(c)),
        format(parse::format_from_string(cfg.format).value_or(parse::Format::automatic)),
        timer(io) {}
  config::Source cfg;
  parse::Format format;
  boost::asio::steady_timer timer;
  int consecutive_failures = 0;
};

// One poll of one source, shared by the callbacks it spawns; it ends when nothing is pending.
struct Engine::Poll {
  Poll(SourceState& s, boost::asio::io_context& io) : source(s), retry_timer(io) {}
  SourceState& source;
  dedupe::PollState next_state;  // saved only if the poll ends without failure
  bool failed = false;
  std::size_t pending_fetches = 0;
  std::size_t pending_deliveries = 0;
  std::deque<std::pair<Post, bool>> backlog;  // posts the producer could not take yet
  boost::asio::steady_timer retry_timer;
  bool retry_armed = false;
  std::set<std::string> ids;  // ids already handled in this poll (feeds repeat entries)
  bool fetched = false;       // the main document has been handled
  bool finished = false;
};

namespace {

std::string outcome_of(const fetch::Response& r) {
  if (r.error != fetch::ErrorClass::none) return std::string(fetch::to_string(r.error));
  if (r.status == 304) return "not_modified";
  return std::to_string(r.status);
}

Timestamp now_utc() { return floor<seconds>(system_clock::now()); }

}  // namespace

Engine::Engine(boost::asio::io_context& io, std::vector<config::Source> sources,
               fetch::HttpClient& http, dedupe::SeenStore& store, publish::Publisher& publisher,
               metrics::Metrics& metrics, Options options)
    : io_(io),
      http_(http),
      store_(store),
      publisher_(publisher),
      metrics_(metrics),
      options_(std::move(options)) {
  for (auto& s : sources) sources_.push_back(std::make_unique<SourceState>(io_, std::move(s)));
}

Engine::~Engine() = default;

void Engine::start() {
  for (auto& s : sources_) {
    if (options_.once) {
      begin_poll(*s);
      continue;
    }
    // Spread the first polls so that a restart does not hit every source at once.
    const auto spread = std::min<milliseconds>(s->cfg.interval / 10, milliseconds(2000));
    std::uniform_int_distribution<long long> d(0, spread.count());
    schedule(*s, milliseconds(d(rng_)));
  }
  check_idle();
}

void Engine::stop() {
  stopping_ = true;
  for (auto& s : sources_) s->timer.cancel();
  check_idle();
}

void Engine::check_idle() {
  if ((stopping_ || options_.once) && active_polls_ == 0 && on_idle_) {
    auto f = on_idle_;
    boost::asio::post(io_, f);
  }
}

void Engine::schedule(SourceState& s, milliseconds delay) {
  if (stopping_ || options_.once) return;
  s.timer.expires_after(delay);
  s.timer.async_wait([this, &s](boost::system::error_code ec) {
    if (!ec && !stopping_) begin_poll(s);
  });
}

fetch::Request Engine::request_for(const std::string& url) const {
  fetch::Request req;
  req.url = url;
  req.connect_timeout = options_.http.connect_timeout;
  req.total_timeout = options_.http.timeout;
  req.max_body_bytes = options_.http.max_body;
  req.user_agent = options_.http.user_agent;
  return req;
}

void Engine::record_fetch(const SourceState& s, const fetch::Response& r) {
  metrics_.fetches.Add({{"source", s.cfg.name}, {"outcome", outcome_of(r)}}).Increment();
  metrics_.fetch_duration.Add({{"source", s.cfg.name}}, metrics::latency_buckets())
      .Observe(duration<double>(r.elapsed).count());
  metrics_.fetch_bytes.Add({{"source", s.cfg.name}}).Increment(static_cast<double>(r.body.size()));
}

void Engine::begin_poll(SourceState& s) {
  ++active_polls_;
  auto poll = std::make_shared<Poll>(s, io_);
  const dedupe::PollState saved = store_.poll_state(s.cfg.name);
  poll->next_state = saved;
  fetch::Request req = request_for(s.cfg.url);
  if (saved.etag) req.headers.push_back("If-None-Match: " + *saved.etag);
  if (saved.last_modified) req.headers.push_back("If-Modified-Since: " + *saved.last_modified);
  ++poll->pending_fetches;
  http_.get(std::move(req), [this, poll](fetch::Response r) { on_feed(poll, std::move(r)); });
}

void Engine::on_feed(const std::shared_ptr<Poll>& poll, fetch::Response r) {
  --poll->pending_fetches;
  poll->fetched = true;
  SourceState& s = poll->source;
  auto log = log::get("fetch");
  record_fetch(s, r);
  if (r.error != fetch::ErrorClass::none) {
    log->warn("{}: fetching {} failed: {} ({})", s.cfg.name, s.cfg.url, fetch::to_string(r.error),
              r.error_message);
    poll->failed = true;
  } else if (r.status == 304) {
    log->debug("{}: not modified", s.cfg.name);
  } else if (r.status < 200 || r.status >= 300) {
    log->warn("{}: {} answered HTTP {}", s.cfg.name, s.cfg.url, r.status);
    poll->failed = true;
  } else {
    poll->next_state.etag = r.etag;
    poll->next_state.last_modified = r.last_modified;
    parse::Context ctx;
    ctx.source = s.cfg.name;
    ctx.url = r.effective_url.empty() ? s.cfg.url : r.effective_url;
    ctx.timezone = s.cfg.timezone;
    ctx.content_type = r.content_type;
    ctx.fetched_at = now_utc();
    const parse::Format format =
        s.format == parse::Format::automatic ? parse::detect(r.body, r.content_type) : s.format;
    auto parsed = parse::parse(r.body, format, ctx);
    if (!parsed) {
      metrics_.parse_errors.Add({{"source", s.cfg.name}, {"format", std::string(to_string(format))}})
          .Increment();
      log::get("parse")->warn("{}: cannot parse {} as {}: {}", s.cfg.name, ctx.url.value_or(""),
                              to_string(format), parsed.error().message);
      poll->failed = true;
    } else {
      for (auto& entry : *parsed) {
        metrics_.posts.Add({{"source", s.cfg.name}, {"result", "parsed"}}).Increment();
        Post& p = entry.post;
        if (s.cfg.category) p.category = s.cfg.category;
        if (s.cfg.media && !p.media) p.media = s.cfg.media;
        if (!poll->ids.insert(p.id).second) continue;
        if (s.cfg.follow && entry.link) {
          // Follow only what is new or says it changed: re-fetching every article on each
          // poll would be impolite.
          auto seen = store_.find(s.cfg.name, p.id);
          if (seen && seen->updated_at == p.updated_at) {
            metrics_.posts.Add({{"source", s.cfg.name}, {"result", "duplicate"}}).Increment();
            continue;
          }
          ++poll->pending_fetches;
          http_.get(request_for(*entry.link),
                    [this, poll, post = std::move(p)](fetch::Response ar) mutable {
                      on_article(poll, std::move(post), std::move(ar));
                    });
        } else {
          consider(poll, std::move(p));
        }
      }
    }
  }
  maybe_finish(poll);
}

void Engine::on_article(const std::shared_ptr<Poll>& poll, Post entry, fetch::Response r) {
  --poll->pending_fetches;
  SourceState& s = poll->source;
  record_fetch(s, r);
  if (r.error != fetch::ErrorClass::none || r.status < 200 || r.status >= 300) {
    log::get("fetch")->warn("{}: following {} failed: {}", s.cfg.name, entry.url.value_or(""),
                            outcome_of(r));
    poll->failed = true;
    maybe_finish(poll);
    return;
  }
  parse::Context ctx;
  ctx.source = s.cfg.name;
  ctx.url = r.effective_url;
  ctx.timezone = s.cfg.timezone;
  ctx.content_type = r.content_type;
  ctx.fetched_at = entry.fetched_at;
  const parse::Format format = parse::detect(r.body, r.content_type);
  auto parsed = parse::parse(r.body, format, ctx);
  if (!parsed || parsed->empty()) {
    metrics_.parse_errors.Add({{"source", s.cfg.name}, {"format", std::string(to_string(format))}})
        .Increment();
    log::get("parse")->warn("{}: cannot parse followed article {}: {}", s.cfg.name, r.effective_url,
                            parsed ? "no content" : parsed.error().message);
    poll->failed = true;
    maybe_finish(poll);
    return;
  }
  Post merged = parse::merge_followed(entry, parsed->front().post);
  if (s.cfg.category) merged.category = s.cfg.category;
  consider(poll, std::move(merged));
  maybe_finish(poll);
}

void Engine::consider(const std::shared_ptr<Poll>& poll, Post post) {
  const std::string& source = poll->source.cfg.name;
  auto seen = store_.find(source, post.id);
  if (seen && seen->content_sha256 == post.content_sha256) {
    metrics_.posts.Add({{"source", source}, {"result", "duplicate"}}).Increment();
    return;
  }
  publish(poll, std::move(post), seen.has_value());
}

void Engine::publish(const std::shared_ptr<Poll>& poll, Post post, bool updated) {
  if (!poll->backlog.empty()) {
    // Keep order: posts waiting for room go first.
    poll->backlog.emplace_back(std::move(post), updated);
    return;
  }
  const std::string topic = publish::render_topic(options_.topic_template, post);
  const std::string source = poll->source.cfg.name;
  auto on_delivery = [this, poll, topic, source, id = post.id,
                      entry = dedupe::SeenEntry{post.content_sha256, post.updated_at},
                      published = post.published_at, updated](const publish::Delivery& d) {
    --poll->pending_deliveries;
    metrics_.queue_depth.Add({{"queue", "kafka"}}).Set(double(publisher_.in_flight()));
    if (!d.ok) {
      metrics_.delivery_errors.Add({{"topic", topic}}).Increment();
      log::get("publish")->error("{}: post {} was not delivered to {}: {}", source, id, topic,
                                 d.error);
      poll->failed = true;
    } else {
      ++delivered_;
      metrics_.produced.Add({{"topic", topic}}).Increment();
      metrics_.ack_latency.Add({}, metrics::latency_buckets())
          .Observe(duration<double>(d.latency).count());
      metrics_.posts.Add({{"source", source}, {"result", updated ? "updated" : "new"}}).Increment();
      const Timestamp now = now_utc();
      if (published && *published <= now)
        metrics_.freshness.Add({}, metrics::freshness_buckets())
            .Observe(duration<double>(now - *published).count());
      if (options_.commit && !store_.commit(source, id, entry, now)) {
        metrics_.state_errors.Add({{"operation", "commit"}}).Increment();
        poll->failed = true;  // keeps the old ETag, so the post is offered again
      }
    }
    maybe_finish(poll);
  };
  switch (publisher_.publish(topic, post, on_delivery)) {
    case publish::Enqueue::queued:
      ++poll->pending_deliveries;
      metrics_.queue_depth.Add({{"queue", "kafka"}}).Set(double(publisher_.in_flight()));
      return;
    case publish::Enqueue::queue_full:
      // Back-pressure: hold the post and this source's poll until the producer has room.
      metrics_.enqueue_failures.Add({{"reason", "queue_full"}}).Increment();
      poll->backlog.emplace_back(std::move(post), updated);
      if (!poll->retry_armed) {
        poll->retry_armed = true;
        poll->retry_timer.expires_after(options_.backpressure_retry);
        poll->retry_timer.async_wait([this, poll](boost::system::error_code) {
          poll->retry_armed = false;
          auto pending = std::move(poll->backlog);
          poll->backlog.clear();
          while (!pending.empty()) {
            auto [p, upd] = std::move(pending.front());
            pending.pop_front();
            publish(poll, std::move(p), upd);
            if (!poll->backlog.empty()) {
              for (auto& rest : pending) poll->backlog.push_back(std::move(rest));
              break;
            }
          }
          maybe_finish(poll);
        });
      }
      return;
    case publish::Enqueue::failed:
      metrics_.enqueue_failures.Add({{"reason", "failed"}}).Increment();
      poll->failed = true;
      return;
  }
}

void Engine::maybe_finish(const std::shared_ptr<Poll>& poll) {
  if (poll->finished || !poll->fetched || poll->pending_fetches > 0 ||
      poll->pending_deliveries > 0 || !poll->backlog.empty() || poll->retry_armed)
    return;
  poll->finished = true;
  finish(poll);
}

void Engine::finish(const std::shared_ptr<Poll>& poll) {
  SourceState& s = poll->source;
  const std::string& name = s.cfg.name;
  milliseconds next = s.cfg.interval;
  if (poll->failed) {
    ++failed_polls_;
    ++s.consecutive_failures;
    // Exponential backoff, capped: a failing source keeps being retried, never dropped.
    const int shift = std::min(s.consecutive_failures - 1, 5);
    next = std::min<milliseconds>(s.cfg.interval * (1 << shift),
                                  std::max<milliseconds>(s.cfg.interval, hours(1)));
    dedupe::PollState st = store_.poll_state(name);
    st.consecutive_failures = s.consecutive_failures;
    if (options_.commit) store_.save_poll_state(name, st);
  } else {
    s.consecutive_failures = 0;
    poll->next_state.consecutive_failures = 0;
    if (options_.commit && !store_.save_poll_state(name, poll->next_state))
      metrics_.state_errors.Add({{"operation", "poll_state"}}).Increment();
    metrics_.last_success.Add({{"source", name}})
        .Set(double(system_clock::now().time_since_epoch().count()) *
             system_clock::period::num / system_clock::period::den);
  }
  metrics_.consecutive_failures.Add({{"source", name}}).Set(s.consecutive_failures);
  --active_polls_;
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  schedule(s, milliseconds(static_cast<long long>(double(next.count()) * jitter(rng_))));
  check_idle();
}

}  // namespace newsd::schedule
