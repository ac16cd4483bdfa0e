#include "schedule/engine.h"

#include <algorithm>
#include <boost/asio/post.hpp>

namespace newsd::schedule {

using namespace std::chrono;

Engine::Engine(boost::asio::io_context& io, std::vector<config::Source> sources,
               fetch::HttpClient& http, dedupe::SeenStore& store, publish::Publisher& publisher,
               metrics::Metrics& metrics, Options options)
    : Engine(io, std::move(sources), http, store, publisher, metrics, std::move(options),
             std::make_unique<AsioClock>(io), nullptr, std::random_device{}()) {}

Engine::Engine(boost::asio::io_context& io, std::vector<config::Source> sources,
               fetch::HttpClient& http, dedupe::SeenStore& store, publish::Publisher& publisher,
               metrics::Metrics& metrics, Options options, Clock& clock, std::uint64_t seed)
    : Engine(io, std::move(sources), http, store, publisher, metrics, std::move(options), nullptr,
             &clock, seed) {}

Engine::Engine(boost::asio::io_context& io, std::vector<config::Source> sources,
               fetch::HttpClient& http, dedupe::SeenStore& store, publish::Publisher& publisher,
               metrics::Metrics& metrics, Options options, std::unique_ptr<Clock> own_clock,
               Clock* clock, std::uint64_t seed)
    : io_(io),
      own_clock_(std::move(own_clock)),
      clock_(clock ? *clock : *own_clock_),
      rng_(seed),
      store_(store),
      metrics_(metrics),
      options_(std::move(options)),
      sources_failing_(&metrics_.sources_failing.Add({})),
      parse_(io, options_.parse_threads, options_.max_parsing),
      outbox_(publisher, clock_, metrics, {options_.max_in_flight, options_.backpressure_retry}),
      dead_letters_(publisher, metrics, outbox_.topics(), options_.dead_letter_topic),
      deduper_(store),
      batch_(store, clock_, options_.state_flush_delay,
             metrics.state_errors.Add({{"operation", "commit"}}),
             [this] {
               // The cached poll states may no longer say what the store has.
               for (auto& [name, s] : sources_) s->saved.reset();
             }),
      hosts_(http, clock_, {options_.max_per_host, options_.http.host_spacing},
             metrics.queue_depth.Add({{"queue", "fetch"}}),
             [this] { return parse_.has_room() && outbox_.has_room(); }),
      robots_(hosts_, clock_, options_),
      pipeline_{options_,
                clock_,
                hosts_,
                parse_,
                deduper_,
                outbox_,
                dead_letters_,
                batch_,
                metrics.freshness.Add({}, metrics::freshness_buckets()),
                [this](SourceState& s) -> metrics::SourceSeries& { return series(s); },
                [this](const PollPtr& poll) { finish(poll); },
                [this](const SourcePtr& s) { fail_ended_poll(s); },
                log::get("fetch"),
                log::get("parse"),
                log::get("schedule")} {
  pipeline_.robots = &robots_;
  pipeline_.robots_disallowed = [this](SourceState& s) {
    metrics_.robots_disallowed.Add({{"source", options_.per_source_labels ? s.cfg.name : "_all"}})
        .Increment();
  };
  parse_.on_room([this] { hosts_.resume(); });
  outbox_.on_room([this] { hosts_.resume(); });
  for (auto& s : sources) {
    auto name = s.name;
    sources_.emplace(std::move(name), std::make_shared<SourceState>(clock_, std::move(s)));
  }
  metrics_.sources.Add({}).Set(double(sources_.size()));
}

Engine::~Engine() {
  stopping_ = true;  // a failed last commit schedules nothing now
  batch_.flush();
}

metrics::SourceSeries& Engine::series(SourceState& s) {
  if (!options_.per_source_labels) {
    if (!shared_series_) shared_series_ = metrics_.per_source.get("_all");
    return *shared_series_;
  }
  if (!s.series) s.series = metrics_.per_source.get(s.cfg.name);
  return *s.series;
}

void Engine::set_failing(std::ptrdiff_t change) {
  failing_ = std::size_t(std::ptrdiff_t(failing_) + change);
  sources_failing_->Set(double(failing_));
}

double Engine::unix_now() const {
  return duration<double>(clock_.system_now().time_since_epoch()).count();
}

milliseconds Engine::next_poll_in(const SourceState& s, const PollHints& hints) {
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  const Bounds bounds{s.learned_interval.value_or(s.cfg.interval), options_.http.max_interval,
                      options_.http.max_backoff};
  return next_delay(hints, bounds, s.consecutive_failures, clock_.system_now(), jitter(rng_));
}

void Engine::fail_ended_poll(const SourcePtr& s) {
  if (s->removed) return;
  s->sitemaps.forget();  // its children's posts may not be marked seen
  ++failed_polls_;
  if (s->consecutive_failures++ == 0) set_failing(+1);
  if (s->polling || stopping_ || options_.once) return;  // a poll under way decides anew
  PollHints hints;
  hints.failed = true;
  const auto delay = next_poll_in(*s, hints);
  pipeline_.log_schedule->info(
      "{}: its seen marks could not be committed ({} in a row); next try in {}s", s->cfg.name,
      s->consecutive_failures, duration_cast<seconds>(delay).count());
  schedule(s, delay);
}

void Engine::start() {
  for (auto& [name, s] : sources_) {
    if (options_.once) {
      begin_poll(s);
      continue;
    }
    // Spread the first polls so that a restart does not hit every source at once.
    const auto spread = std::min<milliseconds>(s->cfg.interval / 10, milliseconds(2000));
    std::uniform_int_distribution<long long> d(0, spread.count());
    schedule(s, milliseconds(d(rng_)));
  }
  check_idle();
}

void Engine::stop() {
  stopping_ = true;
  for (auto& [name, s] : sources_) s->timer->cancel();
  check_idle();
}

ReloadSummary Engine::reconfigure(std::vector<config::Source> sources, Options options) {
  ReloadSummary sum;
  if (options.per_source_labels != options_.per_source_labels) {
    // Cached series carry the old labelling: drop them; they are resolved again as needed.
    for (auto& [name, s] : sources_) s->series.reset();
    shared_series_.reset();
  }
  options_ = std::move(options);
  outbox_.set_limits({options_.max_in_flight, options_.backpressure_retry});
  parse_.set_max_parsing(options_.max_parsing);
  hosts_.set_limits({options_.max_per_host, options_.http.host_spacing});
  batch_.set_delay(options_.state_flush_delay);
  dead_letters_.set_topic(options_.dead_letter_topic);
  std::map<std::string, SourcePtr> next;
  for (auto& c : sources) {
    auto it = sources_.find(c.name);
    if (it == sources_.end()) {
      auto s = std::make_shared<SourceState>(clock_, std::move(c));
      std::uniform_int_distribution<long long> d(0, 1000);
      schedule(s, milliseconds(d(rng_)));
      next.emplace(s->cfg.name, std::move(s));
      ++sum.added;
      continue;
    }
    SourcePtr s = it->second;
    sources_.erase(it);
    if (s->cfg.same_settings(c)) {
      ++sum.unchanged;
    } else {
      // New settings apply from the next poll; a changed URL or format is worth a poll now.
      s->configure(std::move(c));
      if (s->polling)
        s->reconfigured = true;  // polled soon after the poll under way ends
      else
        schedule(s, milliseconds(100));
      ++sum.changed;
    }
    next.emplace(s->cfg.name, std::move(s));
  }
  std::ptrdiff_t recovered = 0;
  for (auto& [name, s] : sources_) {
    if (s->consecutive_failures > 0) --recovered;
    s->removed = true;  // a poll under way ends, then nothing is scheduled
    s->timer->cancel();
    if (!s->polling) s->series.reset();  // else when its poll ends
    ++sum.removed;
  }
  sources_ = std::move(next);
  set_failing(recovered);
  metrics_.sources.Add({}).Set(double(sources_.size()));
  announce_sources();
  return sum;
}

void Engine::check_idle() {
  if ((stopping_ || options_.once) && active_polls_ == 0 && on_idle_) {
    // Nothing more will be written: make what was acknowledged durable before the owner
    // tears things down.
    batch_.flush();
    auto f = on_idle_;
    boost::asio::post(io_, f);
  }
}

void Engine::schedule(const SourcePtr& s, milliseconds delay) {
  if (stopping_ || options_.once || s->removed || s->paused || !owns(s->cfg.name)) return;
  // Due times are rounded up to a 10 ms grid, so that sources due in the same slot fire on
  // one timer wake-up instead of one each (10,000 sources at a 1 s interval: 100 wake-ups
  // a second instead of 10,000). Intervals are seconds and jittered by 10 %; 10 ms is noise.
  using Tick = duration<steady_clock::rep, std::ratio<1, 100>>;
  const auto due = time_point_cast<steady_clock::duration>(ceil<Tick>(clock_.steady_now() + delay));
  s->timer->wait_until(due, [this, s](bool cancelled) {
    if (!cancelled && !stopping_ && !s->removed) begin_poll(s);
  });
}

void Engine::begin_poll(const SourcePtr& s) {
  if (s->polling || s->removed || !owns(s->cfg.name)) return;  // one poll at a time
  s->polling = true;
  ++active_polls_;
  if (!s->saved) s->saved = store_.poll_state(s->cfg.name);
  auto poll = std::make_shared<Poll>(pipeline_, s);
  if (partitions_) polls_.emplace(s.get(), poll);
  poll->start(*s->saved);
}

void Engine::finish(const PollPtr& poll) {
  const SourcePtr& s = poll->source();
  const std::string& name = s->cfg.name;
  log::Scope scope(name);
  if (poll->abandoned()) return end_abandoned(poll);
  PollHints& hints = poll->hints();
  if (poll->refused()) hints.failed = true;
  if (options_.commit) batch_.settle(*poll);
  const bool failed = hints.failed;
  if (options_.commit && !failed) batch_.ended(poll);
  const bool was_failing = s->consecutive_failures > 0;
  // What the store should hold now: on failure the old validators (so nothing the failed
  // poll missed hides behind a 304) with the failure count, else the response's validators.
  dedupe::PollState next;
  if (failed) {
    ++failed_polls_;
    ++s->consecutive_failures;
    if (!s->saved) s->saved = store_.poll_state(name);
    next = *s->saved;
    next.consecutive_failures = s->consecutive_failures;
  } else {
    s->consecutive_failures = 0;
    s->polled_before = true;
    poll->next_state().consecutive_failures = 0;
    next = std::move(poll->next_state());
    s->sitemaps.apply(std::move(poll->sitemap_update()));
    if (options_.per_source_labels) series(*s).set_last_success(unix_now());
  }
  // An unchanged state (every 304 of a healthy source) costs no write.
  if (options_.commit && (!s->saved || next != *s->saved)) {
    if (batch_.save_poll_state(name, next)) {
      s->saved = std::move(next);
    } else {
      if (!failed) metrics_.state_errors.Add({{"operation", "poll_state"}}).Increment();
      s->saved.reset();  // read it back at the next poll
    }
  }
  if (options_.per_source_labels) series(*s).set_consecutive_failures(s->consecutive_failures);
  const bool failing = s->consecutive_failures > 0;
  if (failing != was_failing && !s->removed) set_failing(failing ? +1 : -1);
  s->polling = false;
  --active_polls_;
  const auto delay = next_poll_in(*s, hints);
  if (failed && !options_.once)
    pipeline_.log_schedule->info("{}: poll failed ({} in a row); next try in {}s", name,
                                 s->consecutive_failures, duration_cast<seconds>(delay).count());
  if (s->removed)
    s->series.reset();
  else if (!stopping_ && !options_.once && options_.per_source_labels)
    series(*s).set_next_poll(unix_now() + duration<double>(delay).count());
  // Settings that changed during the poll (it ran with the old ones, and its backoff or
  // max-age are about them) are tried soon, unless the server asked for time.
  const bool soon = s->reconfigured && !hints.retry_after;
  s->reconfigured = false;
  const auto next_in = soon ? std::min(delay, decltype(delay)(milliseconds(100))) : delay;
  schedule(s, next_in);
  report(poll, failed, next_in, !stopping_ && !options_.once && !s->removed && !s->paused);
  poll_ended(*s);
  check_idle();
}

void Engine::set_listener(PollListener* listener) {
  listener_ = listener;
  announce_sources();
}

void Engine::announce_sources() {
  if (!listener_) return;
  std::vector<SourceEntry> all;
  all.reserve(sources_.size());
  for (const auto& [name, s] : sources_) all.push_back({name, s->cfg.interval, owns(name)});
  listener_->sources(all);
}

void Engine::report(const PollPtr& poll, bool failed, milliseconds delay, bool scheduled) {
  if (!listener_) return;
  const SourceState& s = *poll->source();
  const auto now = clock_.system_now();
  const auto base = s.learned_interval.value_or(s.cfg.interval);
  PollReport r{s.cfg.name, poll->outcome(), now};
  r.failed = failed;
  r.consecutive_failures = s.consecutive_failures;
  r.next_in = scheduled ? delay : milliseconds(0);
  r.reason = interval_reason(poll->hints(), s.consecutive_failures, s.learned_interval.has_value(),
                             base, delay, now);
  if (s.saved) {
    r.etag = s.saved->etag.has_value();
    r.last_modified = s.saved->last_modified.has_value();
  }
  listener_->polled(r);
}

bool Engine::poll_now(const std::string& name) {
  const auto it = sources_.find(name);
  if (it == sources_.end()) return false;
  const SourcePtr s = it->second;
  if (s->polling || stopping_) return true;
  s->timer->cancel();
  begin_poll(s);
  return true;
}

bool Engine::pause(const std::string& name) {
  const auto it = sources_.find(name);
  if (it == sources_.end()) return false;
  it->second->paused = true;
  it->second->timer->cancel();
  return true;
}

bool Engine::resume(const std::string& name) {
  const auto it = sources_.find(name);
  if (it == sources_.end()) return false;
  const SourcePtr s = it->second;
  if (!s->paused) return true;
  s->paused = false;
  if (!s->polling) schedule(s, milliseconds(100));
  return true;
}

}  // namespace newsd::schedule
