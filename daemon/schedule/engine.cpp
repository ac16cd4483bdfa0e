#include "schedule/engine.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <deque>
#include <list>
#include <set>

#include "core/log.h"
#include "parse/parser.h"

namespace newsd::schedule {

using namespace std::chrono;

struct Engine::SourceState {
  SourceState(boost::asio::io_context& io, config::Source c) : timer(io) {
    configure(std::move(c));
  }

  void configure(config::Source c) {
    cfg = std::move(c);
    format = parse::format_from_string(cfg.format).value_or(parse::Format::automatic);
    mapping = {};
    if (cfg.json_api) {
      mapping.items = cfg.json_api->items;
      mapping.fields = cfg.json_api->fields;
      mapping.detail_url = cfg.json_api->detail_url;
      mapping.detail_body = cfg.json_api->detail_body;
    }
  }

  config::Source cfg;
  parse::Format format = parse::Format::automatic;
  parse::JsonApiMapping mapping;
  boost::asio::steady_timer timer;
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
  // Digests of the bytes sent to the dead-letter topic lately: a broken feed polled again
  // unchanged is not sent again (bounded; forgotten on restart).
  std::vector<std::size_t> dead_lettered;
};

struct Engine::Outgoing {
  publish::Record record;
  dedupe::SeenEntry entry;
  std::optional<Timestamp> published;
  bool updated = false;  // a new version of a post already seen
};

namespace {

// What a source's configuration sets in its posts (a copy travels with each parse job).
struct Overrides {
  std::optional<std::string> category, media;
  bool follow = false;
};

Overrides overrides_of(const config::Source& cfg) {
  return {cfg.category, cfg.media, cfg.follow};
}

void apply_overrides(const Overrides& o, Post& p) {
  if (o.category) p.category = o.category;
  if (o.media && !p.media) p.media = o.media;
}

}  // namespace

// One poll of one source, shared by the callbacks it spawns; it ends when nothing is pending.
struct Engine::Poll {
  explicit Poll(SourcePtr s) : source(std::move(s)) {}
  SourcePtr source;
  dedupe::PollState next_state;  // saved only if the poll ends without failure
  PollHints hints;
  std::size_t pending_fetches = 0;
  std::size_t pending_deliveries = 0;
  // Posts the producer could not take yet. A list: an empty std::deque allocates ~600
  // bytes, and at short intervals thousands of polls wait for a host slot at once.
  std::list<Outgoing> backlog;
  // Made on the first back-pressure pause only: most polls never need it.
  std::unique_ptr<boost::asio::steady_timer> retry_timer;
  bool retry_armed = false;
  bool paused = false;
  std::set<std::string> ids;  // ids already handled in this poll (feeds repeat entries)
  bool fetched = false;       // the main document has been handled
  std::uint64_t batch = 0;    // the store batch this poll's seen marks last went into
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

Timestamp now_utc() {
  return floor<seconds>(system_clock::now());
}

double unix_now() {
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

// A parsed feed document, handed back to the loop.
struct Engine::ParseResult {
  Expected<std::vector<parse::Parsed>> posts;
  parse::DocumentInfo info;
  parse::Format format;
  std::optional<std::string> url;
  // Beside each of `posts`: its record when it needs no further request (no link to follow,
  // no detail to fetch), else empty. Overrides are applied to `posts` already.
  std::vector<std::optional<Outgoing>> ready;
  // The document, kept only when it could not be parsed (for the dead-letter topic).
  std::string raw;
  Timestamp fetched_at{};
};

// A feed document to parse, self-contained so that a pool thread can parse it.
struct Engine::ParseJob {
  std::string body;
  parse::Context ctx;
  std::shared_ptr<const parse::JsonApiMapping> mapping;  // a copy: reloads may change it
  parse::Format format = parse::Format::automatic;
  // Copies, for the same reason.
  Overrides overrides;
  std::string topic_template;

  Engine::ParseResult run() {
    log::Scope scope(ctx.source);
    ctx.json_api = mapping.get();
    parse::DocumentInfo info;
    auto posts = parse::parse(body, format, ctx, &info);
    std::vector<std::optional<Outgoing>> ready;
    if (posts) {
      ready.reserve(posts->size());
      for (auto& entry : *posts) {
        apply_overrides(overrides, entry.post);
        if ((overrides.follow && entry.link) || entry.detail_url || entry.error) {
          ready.emplace_back();
          continue;
        }
        const Post& p = entry.post;
        ready.push_back(Outgoing{publish::make_record(topic_template, p),
                                 {p.content_sha256, p.updated_at},
                                 p.published_at,
                                 false});
      }
    }
    std::string raw = posts ? std::string{} : std::move(body);
    return {std::move(posts), info,           format,        ctx.url,
            std::move(ready), std::move(raw), ctx.fetched_at};
  }
};

namespace {

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
    : io_(io),
      http_(http),
      store_(store),
      publisher_(publisher),
      metrics_(metrics),
      options_(std::move(options)),
      gate_(options_.http.host_spacing),
      queue_fetch_(&metrics_.queue_depth.Add({{"queue", "fetch"}})),
      queue_kafka_(&metrics_.queue_depth.Add({{"queue", "kafka"}})),
      queue_backlog_(&metrics_.queue_depth.Add({{"queue", "backlog"}})),
      sources_paused_(&metrics_.sources_paused.Add({})),
      sources_failing_(&metrics_.sources_failing.Add({})),
      ack_latency_(&metrics_.ack_latency.Add({}, metrics::latency_buckets())),
      freshness_(&metrics_.freshness.Add({}, metrics::freshness_buckets())),
      log_fetch_(log::get("fetch")),
      log_parse_(log::get("parse")),
      log_publish_(log::get("publish")),
      log_schedule_(log::get("schedule")),
      flush_timer_(io) {
  if (options_.parse_threads > 0)
    pool_ = std::make_unique<boost::asio::thread_pool>(options_.parse_threads);
  for (auto& s : sources) {
    auto name = s.name;
    sources_.emplace(std::move(name), std::make_shared<SourceState>(io_, std::move(s)));
  }
  metrics_.sources.Add({}).Set(double(sources_.size()));
}

Engine::~Engine() {
  if (pool_) {
    // A parse under way ends; what waits is dropped. Results posted back find alive_ gone.
    pool_->stop();
    pool_->join();
  }
  alive_.reset();
  flush_timer_.cancel();
  stopping_ = true;  // a failed last commit schedules nothing now
  flush_state();
}

metrics::SourceSeries& Engine::series(SourceState& s) {
  if (!options_.per_source_labels) {
    if (!shared_series_) shared_series_ = metrics_.per_source.get("_all");
    return *shared_series_;
  }
  if (!s.series) s.series = metrics_.per_source.get(s.cfg.name);
  return *s.series;
}

void Engine::drop_series(SourceState& s) {
  s.series.reset();
}

Engine::TopicSeries& Engine::topic_series(const std::string& topic) {
  auto it = topics_.find(topic);
  if (it == topics_.end()) {
    TopicSeries t{&metrics_.produced.Add({{"topic", topic}}),
                  &metrics_.delivery_errors.Add({{"topic", topic}})};
    it = topics_.emplace(topic, t).first;
  }
  return it->second;
}

void Engine::count_failing() {
  sources_failing_->Set(double(failing_));
}

void Engine::wrote_state() {
  if (++unflushed_writes_ >= 4096) {
    // Bounded transactions: a burst of acknowledgements does not grow one without end.
    flush_state();
    return;
  }
  if (flush_armed_) return;
  flush_armed_ = true;
  flush_timer_.expires_after(options_.state_flush_delay);
  flush_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;  // cancelled: the engine is going away and flushes itself
    flush_armed_ = false;
    flush_state();
  });
}

void Engine::flush_state() {
  unflushed_writes_ = 0;
  const bool ok = store_.flush();
  auto writers = std::move(batch_polls_);
  auto ended = std::move(batch_ended_);
  batch_polls_.clear();
  batch_ended_.clear();
  ++batch_id_;
  if (ok) return;
  // The grouped writes were rolled back: the polls whose posts they marked seen fail (their
  // ETag stays, so those posts are offered and published again: duplicates, not loss), and
  // the cached poll states no longer say what the store has.
  metrics_.state_errors.Add({{"operation", "commit"}}).Increment();
  for (const auto& w : writers)
    if (auto poll = w.lock()) poll->hints.failed = true;
  for (auto& [name, s] : sources_) s->saved.reset();
  // Polls that ended as successes with their ETag in this batch failed after all: they back
  // off like any failed poll instead of publishing everything again at their usual pace.
  for (const auto& s : ended) fail_ended_poll(s);
}

void Engine::fail_ended_poll(const SourcePtr& s) {
  if (s->removed) return;
  ++failed_polls_;
  if (s->consecutive_failures++ == 0) {
    ++failing_;
    count_failing();
  }
  if (s->polling || stopping_ || options_.once) return;  // a poll under way decides anew
  PollHints hints;
  hints.failed = true;
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  const Bounds bounds{s->learned_interval.value_or(s->cfg.interval), options_.http.max_interval,
                      options_.http.max_backoff};
  const auto delay =
      next_delay(hints, bounds, s->consecutive_failures, system_clock::now(), jitter(rng_));
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
  for (auto& [name, s] : sources_) s->timer.cancel();
  check_idle();
}

ReloadSummary Engine::reconfigure(std::vector<config::Source> sources, Options options) {
  ReloadSummary sum;
  if (options.per_source_labels != options_.per_source_labels) {
    // Cached series carry the old labelling: drop them; they are resolved again as needed.
    for (auto& [name, s] : sources_) drop_series(*s);
    shared_series_.reset();
  }
  options_ = std::move(options);
  std::map<std::string, SourcePtr> next;
  for (auto& c : sources) {
    auto it = sources_.find(c.name);
    if (it == sources_.end()) {
      auto s = std::make_shared<SourceState>(io_, std::move(c));
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
  for (auto& [name, s] : sources_) {
    if (s->consecutive_failures > 0) --failing_;
    s->removed = true;  // a poll under way ends, then nothing is scheduled
    s->timer.cancel();
    if (!s->polling) drop_series(*s);  // else when its poll ends
    ++sum.removed;
  }
  sources_ = std::move(next);
  count_failing();
  metrics_.sources.Add({}).Set(double(sources_.size()));
  return sum;
}

void Engine::check_idle() {
  if ((stopping_ || options_.once) && active_polls_ == 0 && on_idle_) {
    // Nothing more will be written: make what was acknowledged durable before the owner
    // tears things down.
    flush_state();
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
  s->timer.expires_at(
      time_point_cast<steady_clock::duration>(ceil<Tick>(steady_clock::now() + delay)));
  s->timer.async_wait([this, s](boost::system::error_code ec) {
    if (!ec && !stopping_ && !s->removed) begin_poll(s);
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
  ++poll->pending_fetches;
  const std::string host = host_of(req.url);
  hosts_[host].waiting.emplace_back(std::move(req), std::move(done));
  ++waiting_;
  dispatch(host);
}

// Starts waiting requests of `host` while it has a free slot (and, with host_spacing, once
// its next slot in time has come). The HTTP client never runs a handler inline, so the map
// is not changed under our feet here.
void Engine::dispatch(const std::string& host) {
  auto it = hosts_.find(host);
  if (it == hosts_.end()) return;
  HostSlots& h = it->second;
  while (h.active < options_.max_per_host && !h.waiting.empty()) {
    if (!fetch_room()) {
      // The parse pool is full, or polls hold many posts for Kafka: fetching more would only
      // hold more bodies and posts in memory.
      if (!h.starved) {
        h.starved = true;
        starved_.push_back(host);
      }
      break;
    }
    auto [req, done] = std::move(h.waiting.front());
    h.waiting.pop_front();
    --waiting_;
    ++h.active;
    fetch::Handler finished = [this, host, done = std::move(done)](fetch::Response r) mutable {
      if (auto f = hosts_.find(host); f != hosts_.end()) --f->second.active;
      done(std::move(r));
      dispatch(host);
    };
    const auto now = steady_clock::now();
    const auto start = options_.http.host_spacing.count() == 0 ? now : gate_.reserve(host, now);
    if (start <= now) {
      http_.get(std::move(req), std::move(finished));
    } else {
      // Another request to this host started less than host_spacing ago: wait for our slot.
      auto timer = std::make_shared<boost::asio::steady_timer>(io_, start);
      timer->async_wait([this, timer, req = std::move(req),
                         finished = std::move(finished)](boost::system::error_code) mutable {
        http_.get(std::move(req), std::move(finished));
      });
    }
  }
  queue_fetch_->Set(double(http_.in_flight() + waiting_));
  if (h.active == 0 && h.waiting.empty()) {
    hosts_.erase(it);
    if (++hosts_released_ % 1024 == 0) gate_.forget_idle(steady_clock::now());
  }
}

void Engine::resume_starved() {
  while (fetch_room() && !starved_.empty()) {
    const std::string host = std::move(starved_.front());
    starved_.pop_front();
    if (auto it = hosts_.find(host); it != hosts_.end()) {
      it->second.starved = false;
      dispatch(host);
    }
  }
}

void Engine::dead_letter(const SourcePtr& source, std::string raw, const std::string& url,
                         std::string_view format, const std::string& error, Timestamp fetched_at) {
  if (options_.dead_letter_topic.empty()) return;
  SourceState& s = *source;
  const std::size_t digest = std::hash<std::string_view>{}(raw);
  if (std::find(s.dead_lettered.begin(), s.dead_lettered.end(), digest) != s.dead_lettered.end()) {
    metrics_.dead_letters.Add({{"result", "repeated"}}).Increment();
    return;
  }
  if (s.dead_lettered.size() >= 16) s.dead_lettered.erase(s.dead_lettered.begin());
  s.dead_lettered.push_back(digest);
  publish::DeadLetter letter;
  letter.topic = options_.dead_letter_topic;
  letter.key = s.cfg.name;
  letter.value = std::move(raw);
  letter.headers = {{"newsd_source", s.cfg.name},
                    {"newsd_url", url},
                    {"newsd_format", std::string(format)},
                    {"newsd_error", error},
                    {"newsd_fetched_at", format_rfc3339(fetched_at)}};
  // Not delivered: forget the digest, so that the next poll of the source sends it again.
  const auto forget = [this, weak = std::weak_ptr(source), digest] {
    if (const SourcePtr src = weak.lock()) std::erase(src->dead_lettered, digest);
    metrics_.dead_letters.Add({{"result", "failed"}}).Increment();
  };
  const std::string name = s.cfg.name;
  const publish::Enqueue result = publisher_.publish_dead_letter(
      letter, [this, forget, name, topic = letter.topic](const publish::Delivery& d) {
        if (d.ok) {
          topic_series(topic).produced->Increment();
          metrics_.dead_letters.Add({{"result", "delivered"}}).Increment();
          return;
        }
        topic_series(topic).delivery_errors->Increment();
        log_publish_->warn("{}: dead letter not delivered to {}: {}", name, topic, d.error);
        forget();
      });
  if (result != publish::Enqueue::queued) {
    log_publish_->warn("{}: dead letter not taken by the producer ({})", name,
                       result == publish::Enqueue::queue_full ? "queue full" : "refused");
    forget();
  }
}

void Engine::record_fetch(SourceState& s, const fetch::Response& r) {
  // Failed transfers carry no body but cost the source (and us) what they received.
  series(s).fetched(outcome_of(r), duration<double>(r.elapsed).count(),
                    static_cast<double>(std::max(r.received_bytes, r.body.size())));
  queue_fetch_->Set(double(http_.in_flight() + waiting_));
}

void Engine::begin_poll(const SourcePtr& s) {
  if (s->polling || s->removed) return;  // never two polls of one source at once
  s->polling = true;
  ++active_polls_;
  auto poll = std::make_shared<Poll>(s);
  if (!s->saved) s->saved = store_.poll_state(s->cfg.name);
  const dedupe::PollState& saved = *s->saved;
  poll->next_state = saved;
  fetch::Request req = request_for(s->cfg.url);
  if (saved.etag) req.headers.push_back("If-None-Match: " + *saved.etag);
  if (saved.last_modified) req.headers.push_back("If-Modified-Since: " + *saved.last_modified);
  fetch(poll, std::move(req), [this, poll](fetch::Response r) { on_feed(poll, std::move(r)); });
}

void Engine::on_feed(const PollPtr& poll, fetch::Response r) {
  --poll->pending_fetches;
  poll->fetched = true;
  SourceState& s = *poll->source;
  log::Scope scope(s.cfg.name);
  const auto& log = log_fetch_;
  record_fetch(s, r);
  poll->hints.status = r.status;
  poll->hints.cache_control = r.cache_control;
  poll->hints.expires = r.expires;
  poll->hints.retry_after = r.retry_after;
  if (r.error != fetch::ErrorClass::none) {
    log->warn("{}: fetching {} failed: {} ({})", s.cfg.name, s.cfg.url, fetch::to_string(r.error),
              r.error_message);
    poll->hints.failed = true;
  } else if (r.status == 304) {
    log->debug("{}: not modified", s.cfg.name);  // nothing to parse
  } else if (!ok_status(r)) {
    log->warn("{}: {} answered HTTP {}", s.cfg.name, s.cfg.url, r.status);
    poll->hints.failed = true;
  } else {
    poll->next_state.etag = r.etag;
    poll->next_state.last_modified = r.last_modified;
    auto job = std::make_shared<ParseJob>();
    job->body = std::move(r.body);
    job->ctx = context_for(s.cfg, r, s.cfg.url, now_utc());
    if (s.cfg.json_api) job->mapping = std::make_shared<parse::JsonApiMapping>(s.mapping);
    job->overrides = overrides_of(s.cfg);
    job->topic_template = options_.topic_template;
    job->format =
        s.format == parse::Format::automatic ? parse::detect(job->body, r.content_type) : s.format;
    if (!pool_) {
      on_parsed(poll, job->run());
      return;
    }
    // The parse is outstanding work of the poll, like a fetch: the poll cannot end before it.
    ++poll->pending_fetches;
    ++parsing_;
    // Only `job` (owned here alone) is touched on the worker; the poll travels to the worker
    // and back without being used or released there.
    boost::asio::post(*pool_, [this, poll, job, alive = std::weak_ptr(alive_)]() mutable {
      ParseResult result = job->run();
      job.reset();
      boost::asio::post(io_, [this, poll = std::move(poll), alive = std::move(alive),
                              result = std::move(result)]() mutable {
        if (alive.expired()) return;
        --parsing_;
        --poll->pending_fetches;
        on_parsed(poll, std::move(result));
        resume_starved();  // room in the pool again
      });
    });
    return;
  }
  maybe_finish(poll);
}

void Engine::on_parsed(const PollPtr& poll, ParseResult result) {
  SourceState& s = *poll->source;
  log::Scope scope(s.cfg.name);
  {
    auto& parsed = result.posts;
    const parse::Format format = result.format;
    poll->hints.ttl = result.info.ttl;
    if (!parsed) {
      series(s).parse_error(to_string(format));
      log_parse_->warn("{}: cannot parse {} as {}: {}", s.cfg.name, result.url.value_or(""),
                       to_string(format), parsed.error().message);
      poll->hints.failed = true;
      dead_letter(poll->source, std::move(result.raw), result.url.value_or(""), to_string(format),
                  parsed.error().message, result.fetched_at);
    } else {
      if (s.cfg.adapt) {
        const auto learned = adaptive_interval(publish_times(*parsed), system_clock::now(),
                                               s.cfg.adapt->min, s.cfg.adapt->max);
        if (learned && learned != s.learned_interval)
          log::get("schedule")
              ->debug("{}: publishes about every {}s; polling at that pace", s.cfg.name,
                      duration_cast<seconds>(*learned).count());
        if (learned) s.learned_interval = learned;
      }
      series(s).post(metrics::SourceSeries::Post::parsed, double(parsed->size()));
      // One store query for the whole feed. Ids repeated in the feed are handled once.
      std::vector<std::size_t> fresh;
      std::vector<std::string> ids;
      fresh.reserve(parsed->size());
      ids.reserve(parsed->size());
      for (std::size_t i = 0; i < parsed->size(); ++i) {
        const std::string& id = (*parsed)[i].post.id;
        if (!poll->ids.insert(id).second) continue;
        fresh.push_back(i);
        ids.push_back(id);
      }
      const auto seen = store_.find_many(s.cfg.name, ids);
      for (std::size_t k = 0; k < fresh.size(); ++k) {
        const std::size_t i = fresh[k];
        if (auto& out = result.ready[i]) {
          offer(poll, std::move(*out), seen[k]);
          continue;
        }
        parse::Parsed& entry = (*parsed)[i];
        Post& p = entry.post;
        if (entry.error) {  // cannot be completed: never published without its body
          series(s).parse_error("json_api_detail");
          log_parse_->warn("{}: '{}' not published: {}", s.cfg.name, p.title, *entry.error);
          poll->hints.failed = true;
          continue;
        }
        // Follow links and request details only for what is new or says it changed:
        // re-fetching every article on each poll would be impolite.
        if (seen[k] && (entry.detail_url || seen[k]->updated_at == p.updated_at)) {
          series(s).post(metrics::SourceSeries::Post::duplicate);
          continue;
        }
        if (entry.detail_url) {
          fetch(poll, request_for(*entry.detail_url),
                [this, poll, post = std::move(p)](fetch::Response dr) mutable {
                  on_detail(poll, std::move(post), std::move(dr));
                });
        } else {
          fetch(poll, request_for(*entry.link),
                [this, poll, post = std::move(p)](fetch::Response ar) mutable {
                  on_article(poll, std::move(post), std::move(ar));
                });
        }
      }
    }
  }
  maybe_finish(poll);
}

void Engine::on_article(const PollPtr& poll, Post entry, fetch::Response r) {
  --poll->pending_fetches;
  SourceState& s = *poll->source;
  log::Scope scope(s.cfg.name, entry.id);
  record_fetch(s, r);
  if (!ok_status(r)) {
    log_fetch_->warn("{}: following {} failed: {}", s.cfg.name, entry.url.value_or(""),
                     outcome_of(r));
    poll->hints.failed = true;
    maybe_finish(poll);
    return;
  }
  const parse::Context ctx = context_for(s.cfg, r, entry.url.value_or(""), entry.fetched_at);
  const parse::Format format = parse::detect(r.body, r.content_type);
  auto parsed = parse::parse(r.body, format, ctx);
  if (!parsed || parsed->empty()) {
    series(s).parse_error(to_string(format));
    const std::string error = parsed ? "no content" : parsed.error().message;
    log_parse_->warn("{}: cannot parse followed article {}: {}", s.cfg.name, r.effective_url,
                     error);
    poll->hints.failed = true;
    dead_letter(poll->source, std::move(r.body), r.effective_url, to_string(format), error,
                ctx.fetched_at);
    maybe_finish(poll);
    return;
  }
  Post merged = parse::merge_followed(entry, parsed->front().post);
  apply_overrides(overrides_of(s.cfg), merged);
  consider(poll, std::move(merged));
  maybe_finish(poll);
}

void Engine::on_detail(const PollPtr& poll, Post entry, fetch::Response r) {
  --poll->pending_fetches;
  SourceState& s = *poll->source;
  log::Scope scope(s.cfg.name, entry.id);
  record_fetch(s, r);
  if (!ok_status(r)) {
    log_fetch_->warn("{}: detail request for {} failed: {}", s.cfg.name, entry.id, outcome_of(r));
    poll->hints.failed = true;
    maybe_finish(poll);
    return;
  }
  const parse::Context ctx = context_for(s.cfg, r, entry.url.value_or(""), entry.fetched_at);
  auto post = parse::apply_detail(entry, r.body, s.mapping, ctx);
  if (!post) {
    series(s).parse_error("json_api_detail");
    log_parse_->warn("{}: cannot read the detail of {}: {}", s.cfg.name, entry.id,
                     post.error().message);
    poll->hints.failed = true;
    dead_letter(poll->source, std::move(r.body), r.effective_url, "json_api_detail",
                post.error().message, ctx.fetched_at);
    maybe_finish(poll);
    return;
  }
  apply_overrides(overrides_of(s.cfg), *post);
  consider(poll, std::move(*post));
  maybe_finish(poll);
}

void Engine::consider(const PollPtr& poll, Post post) {
  const auto seen = store_.find(poll->source->cfg.name, post.id);
  Outgoing out{publish::make_record(options_.topic_template, post),
               {post.content_sha256, post.updated_at},
               post.published_at,
               false};
  offer(poll, std::move(out), seen);
}

void Engine::offer(const PollPtr& poll, Outgoing out,
                   const std::optional<dedupe::SeenEntry>& seen) {
  if (seen && seen->content_sha256 == out.entry.content_sha256) {
    series(*poll->source).post(metrics::SourceSeries::Post::duplicate);
    return;
  }
  out.updated = seen.has_value();
  publish(poll, std::move(out));
}

void Engine::set_paused(Poll& poll, bool paused) {
  if (poll.paused == paused) return;
  poll.paused = paused;
  paused ? ++paused_ : --paused_;
  sources_paused_->Set(double(paused_));
  if (paused)
    log_publish_->warn("{}: Kafka cannot take more messages; polling paused",
                       poll.source->cfg.name);
  else
    log_publish_->info("{}: polling resumed", poll.source->cfg.name);
}

void Engine::publish(const PollPtr& poll, Outgoing out) {
  // Keep order: posts already waiting for room go first.
  const bool waiting = !poll->backlog.empty();
  poll->backlog.push_back(std::move(out));
  ++held_;
  if (!waiting) drain_backlog(poll);
}

void Engine::drain_backlog(const PollPtr& poll) {
  while (!poll->backlog.empty()) {
    const Outgoing& out = poll->backlog.front();
    publish::Enqueue result = publish::Enqueue::queue_full;
    if (publisher_.in_flight() < options_.max_in_flight) {
      auto on_delivery = [this, poll, topic = out.record.topic, id = out.record.key,
                          entry = out.entry, published = out.published,
                          updated = out.updated](const publish::Delivery& d) {
        const std::string& source = poll->source->cfg.name;
        log::Scope scope(source, id);
        --poll->pending_deliveries;
        queue_kafka_->Set(double(publisher_.in_flight()));
        if (!d.ok) {
          topic_series(topic).delivery_errors->Increment();
          log_publish_->error("{}: post {} was not delivered to {}: {}", source, id, topic,
                              d.error);
          poll->hints.failed = true;  // the post stays unseen and is offered again
        } else {
          ++delivered_;
          topic_series(topic).produced->Increment();
          ack_latency_->Observe(duration<double>(d.latency).count());
          series(*poll->source)
              .post(updated ? metrics::SourceSeries::Post::updated
                            : metrics::SourceSeries::Post::new_post);
          if (options_.per_source_labels) series(*poll->source).set_last_new_post(unix_now());
          const Timestamp now = now_utc();
          if (published && *published <= now)
            freshness_->Observe(duration<double>(now - *published).count());
          if (options_.commit) {
            if (!store_.commit(source, id, entry, now)) {
              metrics_.state_errors.Add({{"operation", "commit"}}).Increment();
              poll->hints.failed = true;  // keeps the old ETag, so the post is offered again
            } else if (poll->batch != batch_id_) {
              // If this batch fails to commit, the poll must not advance its ETag.
              poll->batch = batch_id_;
              batch_polls_.push_back(poll);
            }
            wrote_state();
          }
        }
        maybe_finish(poll);
      };
      result = publisher_.publish(out.record, std::move(on_delivery));
    }
    switch (result) {
      case publish::Enqueue::queued:
        ++poll->pending_deliveries;
        poll->backlog.pop_front();
        --held_;
        queue_kafka_->Set(double(publisher_.in_flight()));
        continue;
      case publish::Enqueue::failed:
        metrics_.enqueue_failures.Add({{"reason", "failed"}}).Increment();
        poll->hints.failed = true;
        poll->backlog.pop_front();
        --held_;
        continue;
      case publish::Enqueue::queue_full:
        // Back-pressure: hold the posts and this source's poll until there is room.
        metrics_.enqueue_failures.Add({{"reason", "queue_full"}}).Increment();
        set_paused(*poll, true);
        if (!poll->retry_armed) {
          poll->retry_armed = true;
          if (!poll->retry_timer)
            poll->retry_timer = std::make_unique<boost::asio::steady_timer>(io_);
          poll->retry_timer->expires_after(options_.backpressure_retry);
          poll->retry_timer->async_wait([this, poll](boost::system::error_code) {
            poll->retry_armed = false;
            drain_backlog(poll);
            maybe_finish(poll);
          });
        }
        queue_backlog_->Set(double(held_));
        return;
    }
  }
  queue_backlog_->Set(double(held_));
  set_paused(*poll, false);
  resume_starved();  // fewer posts held: requests held back may start
}

void Engine::maybe_finish(const PollPtr& poll) {
  if (poll->finished || !poll->fetched || poll->pending_fetches > 0 ||
      poll->pending_deliveries > 0 || !poll->backlog.empty() || poll->retry_armed)
    return;
  poll->finished = true;
  finish(poll);
}

void Engine::finish(const PollPtr& poll) {
  const SourcePtr& s = poll->source;
  const std::string& name = s->cfg.name;
  log::Scope scope(name);
  // The poll's new ETag must never be durable without its seen marks. Marks in an earlier
  // batch are committed already (a batch that failed to commit failed this poll). Marks in
  // the open batch are safe to join: the ETag goes into the same transaction and is committed
  // or rolled back with them, so no commit per poll is needed. Unless the store lost the
  // batch already (an error rolled it back and later writes would be durable on their own):
  // then flushing reports the loss and fails this poll before anything is written.
  if (options_.commit && poll->batch == batch_id_ && !store_.batch_intact()) flush_state();
  const bool failed = poll->hints.failed;
  if (options_.commit && !failed && poll->batch == batch_id_) batch_ended_.push_back(s);
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
    if (store_.save_poll_state(name, next)) {
      s->saved = std::move(next);
    } else {
      if (!failed) metrics_.state_errors.Add({{"operation", "poll_state"}}).Increment();
      s->saved.reset();  // read it back at the next poll
    }
    wrote_state();
  }
  if (options_.per_source_labels) series(*s).set_consecutive_failures(s->consecutive_failures);
  const bool failing = s->consecutive_failures > 0;
  if (failing != was_failing && !s->removed) {
    failing ? ++failing_ : --failing_;
    count_failing();
  }
  s->polling = false;
  --active_polls_;
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  const Bounds bounds{s->learned_interval.value_or(s->cfg.interval), options_.http.max_interval,
                      options_.http.max_backoff};
  const auto delay =
      next_delay(poll->hints, bounds, s->consecutive_failures, system_clock::now(), jitter(rng_));
  if (failed && !options_.once)
    log_schedule_->info("{}: poll failed ({} in a row); next try in {}s", name,
                        s->consecutive_failures, duration_cast<seconds>(delay).count());
  if (s->removed)
    drop_series(*s);
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
