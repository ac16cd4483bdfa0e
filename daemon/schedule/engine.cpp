#include "schedule/engine.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <set>

#include "parse/parser.h"

namespace newsd::schedule {

using namespace std::chrono;

struct Engine::SourceState {
  SourceState(Clock& clock, config::Source c) : timer(clock.make_timer()) {
    configure(std::move(c));
  }

  void configure(config::Source c) {
    cfg = std::move(c);
    format = parse::format_from_string(cfg.format).value_or(parse::Format::automatic);
    auto m = std::make_shared<parse::JsonApiMapping>();
    if (cfg.json_api) {
      m->items = cfg.json_api->items;
      m->fields = cfg.json_api->fields;
      m->detail_url = cfg.json_api->detail_url;
      m->detail_body = cfg.json_api->detail_body;
    }
    mapping = std::move(m);
    overrides = {cfg.category, cfg.media, cfg.follow};
  }

  config::Source cfg;
  parse::Format format = parse::Format::automatic;
  // Shared with parse jobs under way: a reload makes a new one.
  std::shared_ptr<const parse::JsonApiMapping> mapping;
  Overrides overrides;
  std::unique_ptr<Timer> timer;
  int consecutive_failures = 0;
  // From the source's publishing rhythm (cfg.adapt); replaces cfg.interval once known.
  std::optional<milliseconds> learned_interval;
  bool polling = false;
  bool removed = false;
  bool reconfigured = false;  // its settings changed while a poll was under way
  // The conditional-GET state as it is in the store (read at the first poll): polls compare
  // against it instead of reading the store, and write only what changed.
  std::optional<dedupe::PollState> saved;
  std::shared_ptr<metrics::SourceSeries> series;  // resolved at first use
  publish::DeadLetters::Memory dead_lettered;
};

// One poll of one source, shared by the callbacks it spawns; it ends when nothing is pending.
// It is its posts' lane to the producer and their member of the commit batch.
struct Engine::Poll final : publish::Lane, dedupe::BatchMember, std::enable_shared_from_this<Poll> {
  Poll(Engine& e, SourcePtr s) : engine(e), source(std::move(s)) {}
  const std::string& name() const override { return source->cfg.name; }
  void delivered(const std::string& id, const publish::Receipt& receipt,
                 const publish::Delivery& d) override {
    engine.on_delivered(*this, id, receipt, d);
  }
  void retried() override { engine.maybe_finish(shared_from_this()); }
  void batch_lost(bool ended) override {
    if (ended)
      engine.fail_ended_poll(source);
    else
      hints.failed = true;
  }

  Engine& engine;
  SourcePtr source;
  dedupe::PollState next_state;  // saved only if the poll ends without failure
  PollHints hints;
  std::size_t pending = 0;    // fetches and parses under way
  std::set<std::string> ids;  // ids already handled in this poll (feeds repeat entries)
  bool fetched = false;       // the main document has been handled
  bool finished = false;
};

namespace {

std::vector<SysTime> publish_times(const std::vector<parse::Parsed>& parsed) {
  std::vector<SysTime> out;
  out.reserve(parsed.size());
  for (const auto& entry : parsed) {
    if (const auto& t = entry.post.published_at ? entry.post.published_at : entry.post.updated_at)
      out.push_back(*t);
  }
  return out;
}

std::string outcome_of(const fetch::Response& r) {
  if (r.error != fetch::ErrorClass::none) return std::string(fetch::to_string(r.error));
  if (r.status == 304) return "not_modified";
  return std::to_string(r.status);
}

bool ok_status(const fetch::Response& r) {
  return r.error == fetch::ErrorClass::none && r.status >= 200 && r.status < 300;
}

// What the parser needs to know about a response of `cfg`'s source.
parse::Context context_for(const config::Source& cfg, const fetch::Response& r,
                           const std::string& requested_url, Timestamp fetched_at) {
  parse::Context ctx;
  ctx.source = cfg.name;
  ctx.url = r.effective_url.empty() ? requested_url : r.effective_url;
  ctx.timezone = cfg.timezone;
  ctx.content_type = r.content_type;
  ctx.fetched_at = fetched_at;
  return ctx;
}

}  // namespace

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
      freshness_(&metrics_.freshness.Add({}, metrics::freshness_buckets())),
      log_fetch_(log::get("fetch")),
      log_parse_(log::get("parse")),
      log_schedule_(log::get("schedule")),
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
             [this] { return parse_.has_room() && outbox_.has_room(); }) {
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

Timestamp Engine::now_utc() const {
  return floor<seconds>(clock_.system_now());
}

milliseconds Engine::next_poll_in(const SourceState& s, const PollHints& hints) {
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  const Bounds bounds{s.learned_interval.value_or(s.cfg.interval), options_.http.max_interval,
                      options_.http.max_backoff};
  return next_delay(hints, bounds, s.consecutive_failures, clock_.system_now(), jitter(rng_));
}

void Engine::fail_ended_poll(const SourcePtr& s) {
  if (s->removed) return;
  ++failed_polls_;
  if (s->consecutive_failures++ == 0) set_failing(+1);
  if (s->polling || stopping_ || options_.once) return;  // a poll under way decides anew
  PollHints hints;
  hints.failed = true;
  const auto delay = next_poll_in(*s, hints);
  log_schedule_->info("{}: its seen marks could not be committed ({} in a row); next try in {}s",
                      s->cfg.name, s->consecutive_failures, duration_cast<seconds>(delay).count());
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
  if (stopping_ || options_.once || s->removed) return;
  // Due times are rounded up to a 10 ms grid, so that sources due in the same slot fire on
  // one timer wake-up instead of one each (10,000 sources at a 1 s interval: 100 wake-ups
  // a second instead of 10,000). Intervals are seconds and jittered by 10 %; 10 ms is noise.
  using Tick = duration<steady_clock::rep, std::ratio<1, 100>>;
  const auto due = time_point_cast<steady_clock::duration>(ceil<Tick>(clock_.steady_now() + delay));
  s->timer->wait_until(due, [this, s](bool cancelled) {
    if (!cancelled && !stopping_ && !s->removed) begin_poll(s);
  });
}

fetch::Request Engine::request_for(const std::string& url) const {
  fetch::Request req;
  req.url = url;
  req.connect_timeout = options_.http.connect_timeout;
  req.total_timeout = options_.http.timeout;
  req.max_body_bytes = options_.http.max_body;
  req.user_agent = options_.http.user_agent;
  req.proxy = options_.http.proxy;
  return req;
}

void Engine::fetch(const PollPtr& poll, fetch::Request req, fetch::Handler done) {
  ++poll->pending;
  hosts_.get(std::move(req), std::move(done));
}

void Engine::record_fetch(SourceState& s, const fetch::Response& r) {
  // Failed transfers carry no body but cost the source (and us) what they received.
  series(s).fetched(outcome_of(r), duration<double>(r.elapsed).count(),
                    static_cast<double>(std::max(r.received_bytes, r.body.size())));
}

void Engine::begin_poll(const SourcePtr& s) {
  if (s->polling || s->removed) return;  // never two polls of one source at once
  s->polling = true;
  ++active_polls_;
  auto poll = std::make_shared<Poll>(*this, s);
  if (!s->saved) s->saved = store_.poll_state(s->cfg.name);
  const dedupe::PollState& saved = *s->saved;
  poll->next_state = saved;
  fetch::Request req = request_for(s->cfg.url);
  if (saved.etag) req.headers.push_back("If-None-Match: " + *saved.etag);
  if (saved.last_modified) req.headers.push_back("If-Modified-Since: " + *saved.last_modified);
  fetch(poll, std::move(req), [this, poll](fetch::Response r) { on_feed(poll, std::move(r)); });
}

void Engine::on_feed(const PollPtr& poll, fetch::Response r) {
  --poll->pending;
  poll->fetched = true;
  SourceState& s = *poll->source;
  log::Scope scope(s.cfg.name);
  record_fetch(s, r);
  poll->hints.status = r.status;
  poll->hints.cache_control = r.cache_control;
  poll->hints.expires = r.expires;
  poll->hints.retry_after = r.retry_after;
  if (r.error != fetch::ErrorClass::none) {
    log_fetch_->warn("{}: fetching {} failed: {} ({})", s.cfg.name, s.cfg.url,
                     fetch::to_string(r.error), r.error_message);
    poll->hints.failed = true;
  } else if (r.status == 304) {
    log_fetch_->debug("{}: not modified", s.cfg.name);  // nothing to parse
  } else if (!ok_status(r)) {
    log_fetch_->warn("{}: {} answered HTTP {}", s.cfg.name, s.cfg.url, r.status);
    poll->hints.failed = true;
  } else {
    poll->next_state.etag = r.etag;
    poll->next_state.last_modified = r.last_modified;
    ParseJob job;
    job.ctx = context_for(s.cfg, r, s.cfg.url, now_utc());
    job.body = std::move(r.body);
    if (s.cfg.json_api) job.mapping = s.mapping;
    job.format = s.format;
    parse(poll, std::move(job));
    return;
  }
  maybe_finish(poll);
}

void Engine::on_followed(const PollPtr& poll, Kind kind, Post entry, fetch::Response r) {
  --poll->pending;
  SourceState& s = *poll->source;
  log::Scope scope(s.cfg.name, entry.id);
  record_fetch(s, r);
  if (!ok_status(r)) {
    if (kind == Kind::article)
      log_fetch_->warn("{}: following {} failed: {}", s.cfg.name, entry.url.value_or(""),
                       outcome_of(r));
    else
      log_fetch_->warn("{}: detail request for {} failed: {}", s.cfg.name, entry.id, outcome_of(r));
    poll->hints.failed = true;
    maybe_finish(poll);
    return;
  }
  ParseJob job;
  job.kind = kind;
  job.ctx = context_for(s.cfg, r, entry.url.value_or(""), entry.fetched_at);
  job.body = std::move(r.body);
  job.url = std::move(r.effective_url);
  job.mapping = s.mapping;
  job.entry = std::move(entry);
  parse(poll, std::move(job));
}

// Parsing is outstanding work of the poll, like a fetch: the poll cannot end before it.
void Engine::parse(const PollPtr& poll, ParseJob job) {
  ++poll->pending;
  job.overrides = poll->source->overrides;
  job.topic_template = options_.topic_template;
  const Kind kind = job.kind;
  parse_.submit(std::move(job), [this, poll, kind](ParseResult result) {
    --poll->pending;
    on_parsed(poll, kind, std::move(result));
  });
}

void Engine::on_parsed(const PollPtr& poll, Kind kind, ParseResult result) {
  SourceState& s = *poll->source;
  log::Scope scope(s.cfg.name, result.post_id);
  if (!result.posts) {
    const std::string& error = result.posts.error().message;
    series(s).parse_error(result.format);
    if (kind == Kind::feed)
      log_parse_->warn("{}: cannot parse {} as {}: {}", s.cfg.name, result.url, result.format,
                       error);
    else if (kind == Kind::article)
      log_parse_->warn("{}: cannot parse followed article {}: {}", s.cfg.name, result.url, error);
    else
      log_parse_->warn("{}: cannot read the detail of {}: {}", s.cfg.name, result.post_id, error);
    poll->hints.failed = true;
    dead_letters_.send(
        std::shared_ptr<publish::DeadLetters::Memory>(poll->source, &s.dead_lettered),
        std::move(result.raw), {s.cfg.name, result.url, result.format, error, result.fetched_at});
  } else if (kind == Kind::feed) {
    on_feed_posts(poll, result);
  } else {
    // A followed article or a detail: the post is complete now; publish it unless seen.
    publish::Outgoing& out = *result.ready.front();
    const dedupe::Sighting sighting{&out.receipt.entry.content_sha256, std::nullopt, true};
    const auto verdict = deduper_.judge(s.cfg.name, out.record.key, sighting);
    if (verdict == dedupe::Verdict::seen) {
      series(s).post(metrics::SourceSeries::Post::duplicate);
    } else {
      out.receipt.updated = verdict == dedupe::Verdict::changed;
      outbox_.send(poll, std::move(out));
    }
  }
  maybe_finish(poll);
}

void Engine::on_feed_posts(const PollPtr& poll, ParseResult& result) {
  SourceState& s = *poll->source;
  auto& parsed = *result.posts;
  poll->hints.ttl = result.info.ttl;
  if (s.cfg.adapt) {
    const auto learned = adaptive_interval(publish_times(parsed), clock_.system_now(),
                                           s.cfg.adapt->min, s.cfg.adapt->max);
    if (learned && learned != s.learned_interval)
      log_schedule_->debug("{}: publishes about every {}s; polling at that pace", s.cfg.name,
                           duration_cast<seconds>(*learned).count());
    if (learned) s.learned_interval = learned;
  }
  series(s).post(metrics::SourceSeries::Post::parsed, double(parsed.size()));
  // One store query for the whole feed. Ids repeated in the feed are handled once.
  std::vector<std::size_t> fresh;
  std::vector<std::string> ids;
  std::vector<dedupe::Sighting> sightings;
  fresh.reserve(parsed.size());
  ids.reserve(parsed.size());
  sightings.reserve(parsed.size());
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    const parse::Parsed& e = parsed[i];
    if (!poll->ids.insert(e.post.id).second) continue;
    fresh.push_back(i);
    ids.push_back(e.post.id);
    const auto& ready = result.ready[i];
    sightings.push_back(
        {ready ? &ready->receipt.entry.content_sha256 : nullptr, e.post.updated_at, !e.detail_url});
  }
  const auto verdicts = deduper_.judge(s.cfg.name, ids, sightings);
  for (std::size_t k = 0; k < fresh.size(); ++k) {
    const std::size_t i = fresh[k];
    if (verdicts[k] == dedupe::Verdict::seen) {
      series(s).post(metrics::SourceSeries::Post::duplicate);
      continue;
    }
    if (auto& out = result.ready[i]) {
      out->receipt.updated = verdicts[k] == dedupe::Verdict::changed;
      outbox_.send(poll, std::move(*out));
      continue;
    }
    // New or changed, and its content needs another request.
    parse::Parsed& e = parsed[i];
    const Kind kind = e.detail_url ? Kind::detail : Kind::article;
    fetch(poll, request_for(e.detail_url ? *e.detail_url : *e.link),
          [this, poll, kind, post = std::move(e.post)](fetch::Response r) mutable {
            on_followed(poll, kind, std::move(post), std::move(r));
          });
  }
}

void Engine::on_delivered(Poll& poll, const std::string& id, const publish::Receipt& receipt,
                          const publish::Delivery& d) {
  SourceState& s = *poll.source;
  const PollPtr self = poll.shared_from_this();
  if (!d.ok) {
    poll.hints.failed = true;  // the post stays unseen and is offered again
  } else {
    ++delivered_;
    series(s).post(receipt.updated ? metrics::SourceSeries::Post::updated
                                   : metrics::SourceSeries::Post::new_post);
    if (options_.per_source_labels) series(s).set_last_new_post(unix_now());
    const Timestamp now = now_utc();
    if (receipt.published && *receipt.published <= now)
      freshness_->Observe(duration<double>(now - *receipt.published).count());
    // A failed write keeps the old validators, so the post is offered again.
    if (options_.commit && !batch_.mark_seen(self, s.cfg.name, id, receipt.entry, now))
      poll.hints.failed = true;
  }
  maybe_finish(self);
}

void Engine::maybe_finish(const PollPtr& poll) {
  if (poll->finished || !poll->fetched || poll->pending > 0 || !poll->idle()) return;
  poll->finished = true;
  finish(poll);
}

void Engine::finish(const PollPtr& poll) {
  const SourcePtr& s = poll->source;
  const std::string& name = s->cfg.name;
  log::Scope scope(name);
  if (poll->refused()) poll->hints.failed = true;
  if (options_.commit) batch_.settle(*poll);
  const bool failed = poll->hints.failed;
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
    poll->next_state.consecutive_failures = 0;
    next = std::move(poll->next_state);
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
  const auto delay = next_poll_in(*s, poll->hints);
  if (failed && !options_.once)
    log_schedule_->info("{}: poll failed ({} in a row); next try in {}s", name,
                        s->consecutive_failures, duration_cast<seconds>(delay).count());
  if (s->removed)
    s->series.reset();
  else if (!stopping_ && !options_.once && options_.per_source_labels)
    series(*s).set_next_poll(unix_now() + duration<double>(delay).count());
  // Settings that changed during the poll (it ran with the old ones, and its backoff or
  // max-age are about them) are tried soon, unless the server asked for time.
  const bool soon = s->reconfigured && !poll->hints.retry_after;
  s->reconfigured = false;
  schedule(s, soon ? std::min(delay, decltype(delay)(milliseconds(100))) : delay);
  check_idle();
}

}  // namespace newsd::schedule
