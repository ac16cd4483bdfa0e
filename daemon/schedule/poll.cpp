#include "schedule/poll.h"

#include <algorithm>

#include "core/log.h"
#include "parse/parser.h"

namespace newsd::schedule {

using namespace std::chrono;

namespace {

std::vector<SysTime> publish_times(const std::vector<parse::Parsed>& parsed) {
  std::vector<SysTime> out;
  out.reserve(parsed.size());
  for (const auto& entry : parsed) {
    if (const auto& t = entry.post.published_at ? entry.post.published_at : entry.post.updated_at)
      out.emplace_back(*t);
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

void Poll::start(const dedupe::PollState& saved) {
  next_state_ = saved;
  fetch::Request req = request_for(source_->cfg.url);
  if (saved.etag) req.headers.push_back("If-None-Match: " + *saved.etag);
  if (saved.last_modified) req.headers.push_back("If-Modified-Since: " + *saved.last_modified);
  fetch(std::move(req),
        [self = shared_from_this()](fetch::Response r) { self->on_feed(std::move(r)); });
}

fetch::Request Poll::request_for(const std::string& url) const {
  const config::Http& http = p_.options.http;
  fetch::Request req;
  req.url = url;
  req.connect_timeout = http.connect_timeout;
  req.total_timeout = http.timeout;
  req.max_body_bytes = http.max_body;
  req.user_agent = http.user_agent;
  req.proxy = http.proxy;
  return req;
}

void Poll::fetch(fetch::Request req, fetch::Handler done) {
  if (abandoned_) return;
  ++pending_;
  p_.hosts.get(std::move(req), std::move(done));
}

void Poll::record_fetch(const fetch::Response& r) {
  // Failed transfers carry no body but cost the source (and us) what they received.
  p_.series(*source_).fetched(outcome_of(r), duration<double>(r.elapsed).count(),
                              static_cast<double>(std::max(r.received_bytes, r.body.size())));
}

void Poll::on_feed(fetch::Response r) {
  --pending_;
  fetched_ = true;
  const config::Source& cfg = source_->cfg;
  log::Scope scope(cfg.name);
  record_fetch(r);
  hints_.status = r.status;
  hints_.cache_control = r.cache_control;
  hints_.expires = r.expires;
  hints_.retry_after = r.retry_after;
  if (r.error != fetch::ErrorClass::none) {
    p_.log_fetch->warn("{}: fetching {} failed: {} ({})", cfg.name, cfg.url,
                       fetch::to_string(r.error), r.error_message);
    hints_.failed = true;
  } else if (r.status == 304) {
    p_.log_fetch->debug("{}: not modified", cfg.name);  // nothing to parse
  } else if (!ok_status(r)) {
    p_.log_fetch->warn("{}: {} answered HTTP {}", cfg.name, cfg.url, r.status);
    hints_.failed = true;
  } else {
    next_state_.etag = r.etag;
    next_state_.last_modified = r.last_modified;
    ParseJob job;
    job.ctx = context_for(cfg, r, cfg.url, floor<seconds>(p_.clock.system_now()));
    job.body = std::move(r.body);
    if (cfg.json_api) job.mapping = source_->mapping;
    job.format = source_->format;
    parse(std::move(job));
    return;
  }
  maybe_finish();
}

void Poll::on_followed(Kind kind, Post entry, fetch::Response r) {
  --pending_;
  const config::Source& cfg = source_->cfg;
  log::Scope scope(cfg.name, entry.id);
  record_fetch(r);
  if (!ok_status(r)) {
    if (kind == Kind::article)
      p_.log_fetch->warn("{}: following {} failed: {}", cfg.name, entry.url.value_or(""),
                         outcome_of(r));
    else
      p_.log_fetch->warn("{}: detail request for {} failed: {}", cfg.name, entry.id, outcome_of(r));
    hints_.failed = true;
    maybe_finish();
    return;
  }
  ParseJob job;
  job.kind = kind;
  job.ctx = context_for(cfg, r, entry.url.value_or(""), entry.fetched_at);
  job.body = std::move(r.body);
  job.url = std::move(r.effective_url);
  if (kind == Kind::detail) job.mapping = source_->mapping;
  job.entry = std::move(entry);
  parse(std::move(job));
}

// Parsing is outstanding work of the poll, like a fetch: the poll cannot end before it.
void Poll::parse(ParseJob job) {
  if (abandoned_) return;
  ++pending_;
  job.overrides = source_->overrides;
  job.topic_template = p_.options.topic_template;
  const Kind kind = job.kind;
  p_.parse.submit(std::move(job), [self = shared_from_this(), kind](ParseResult result) {
    --self->pending_;
    self->on_parsed(kind, std::move(result));
  });
}

void Poll::on_parsed(Kind kind, ParseResult result) {
  SourceState& s = *source_;
  log::Scope scope(s.cfg.name, result.post_id);
  if (!result.posts) {
    const std::string& error = result.posts.error().message;
    p_.series(s).parse_error(result.format);
    if (kind == Kind::feed)
      p_.log_parse->warn("{}: cannot parse {} as {}: {}", s.cfg.name, result.url, result.format,
                         error);
    else if (kind == Kind::article)
      p_.log_parse->warn("{}: cannot parse followed article {}: {}", s.cfg.name, result.url, error);
    else
      p_.log_parse->warn("{}: cannot read the detail of {}: {}", s.cfg.name, result.post_id, error);
    hints_.failed = true;
    p_.dead_letters.send(std::shared_ptr<publish::DeadLetters::Memory>(source_, &s.dead_lettered),
                         std::move(result.raw),
                         {s.cfg.name, result.url, result.format, error, result.fetched_at});
  } else if (kind == Kind::feed) {
    on_feed_posts(result);
  } else {
    // A followed article or a detail: the post is complete now; sent unless seen.
    publish::Outgoing& out = *result.records.front();
    const dedupe::Sighting sighting{&out.receipt.entry.content_sha256, std::nullopt, true};
    const auto verdict = p_.deduper.judge(s.cfg.name, out.record.key, sighting);
    if (verdict == dedupe::Verdict::seen) {
      p_.series(s).post(metrics::SourceSeries::Post::duplicate);
    } else {
      out.receipt.updated = verdict == dedupe::Verdict::changed;
      send(std::move(out));
    }
  }
  maybe_finish();
}

void Poll::on_feed_posts(ParseResult& result) {
  SourceState& s = *source_;
  auto& parsed = *result.posts;
  hints_.ttl = result.info.ttl;
  if (s.cfg.adapt) {
    const auto learned = adaptive_interval(publish_times(parsed), p_.clock.system_now(),
                                           s.cfg.adapt->min, s.cfg.adapt->max);
    if (learned && learned != s.learned_interval)
      p_.log_schedule->debug("{}: publishes about every {}s; polling at that pace", s.cfg.name,
                             duration_cast<seconds>(*learned).count());
    if (learned) s.learned_interval = learned;
  }
  p_.series(s).post(metrics::SourceSeries::Post::parsed, double(parsed.size()));
  // One store query for the whole feed. Ids repeated in the feed are handled once.
  std::vector<std::size_t> fresh;
  std::vector<std::string> ids;
  std::vector<dedupe::Sighting> sightings;
  fresh.reserve(parsed.size());
  ids.reserve(parsed.size());
  sightings.reserve(parsed.size());
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    const parse::Parsed& e = parsed[i];
    if (!ids_.insert(e.post.id).second) continue;
    fresh.push_back(i);
    ids.push_back(e.post.id);
    const auto& record = result.records[i];
    sightings.push_back({record ? &record->receipt.entry.content_sha256 : nullptr,
                         e.post.updated_at, !e.detail_url});
  }
  const auto verdicts = p_.deduper.judge(s.cfg.name, ids, sightings);
  for (std::size_t k = 0; k < fresh.size(); ++k) {
    const std::size_t i = fresh[k];
    parse::Parsed& e = parsed[i];
    if (e.error) {  // cannot be completed: never published without its body
      p_.series(s).parse_error("json_api_detail");
      p_.log_parse->warn("{}: '{}' not published: {}", s.cfg.name, e.post.title, *e.error);
      hints_.failed = true;
      continue;
    }
    if (verdicts[k] == dedupe::Verdict::seen) {
      p_.series(s).post(metrics::SourceSeries::Post::duplicate);
      continue;
    }
    if (auto& out = result.records[i]) {
      out->receipt.updated = verdicts[k] == dedupe::Verdict::changed;
      send(std::move(*out));
      continue;
    }
    // New or changed, and its content needs another request.
    const Kind kind = e.detail_url ? Kind::detail : Kind::article;
    fetch(request_for(e.detail_url ? *e.detail_url : *e.link),
          [self = shared_from_this(), kind, post = std::move(e.post)](fetch::Response r) mutable {
            self->on_followed(kind, std::move(post), std::move(r));
          });
  }
}

void Poll::send(publish::Outgoing out) {
  if (!abandoned_) p_.outbox.send(shared_from_this(), std::move(out));
}

void Poll::delivered(const std::string& id, const publish::Receipt& receipt,
                     const publish::Delivery& d) {
  SourceState& s = *source_;
  const auto self = shared_from_this();
  if (!d.ok) {
    hints_.failed = true;  // the post stays unseen and is offered again
  } else {
    ++p_.delivered;
    p_.series(s).post(receipt.updated ? metrics::SourceSeries::Post::updated
                                      : metrics::SourceSeries::Post::new_post);
    const SysTime now_exact = p_.clock.system_now();
    if (p_.options.per_source_labels)
      p_.series(s).set_last_new_post(duration<double>(now_exact.time_since_epoch()).count());
    const Timestamp now = floor<seconds>(now_exact);
    if (receipt.published && *receipt.published <= now)
      p_.freshness.Observe(duration<double>(now - *receipt.published).count());
    // A failed write keeps the old validators, so the post is offered again. Exactly-once
    // marked it when it was handed over (handed()).
    if (p_.options.commit && !p_.options.exactly_once && !abandoned_ &&
        !p_.batch.mark_seen(self, s.cfg.name, id, receipt.entry, now))
      hints_.failed = true;
  }
  maybe_finish();
}

// Exactly-once: the mark joins the transaction that carries the post, so both commit or
// both abort (an abort rolls the mark back and fails this poll through batch_lost()). At
// acknowledgement time the transaction may have been committed already, with the post in
// it and its mark not.
void Poll::handed(const std::string& id, const publish::Receipt& receipt) {
  if (!p_.options.commit || !p_.options.exactly_once || abandoned_) return;
  const Timestamp now = floor<seconds>(p_.clock.system_now());
  if (!p_.batch.mark_seen(shared_from_this(), source_->cfg.name, id, receipt.entry, now))
    hints_.failed = true;
}

void Poll::batch_lost(bool ended) {
  if (ended)
    p_.failed_after_end(source_);
  else
    hints_.failed = true;
}

void Poll::maybe_finish() {
  if (finished_ || !fetched_ || pending_ > 0 || !idle()) return;
  finished_ = true;
  p_.ended(shared_from_this());
}

}  // namespace newsd::schedule
