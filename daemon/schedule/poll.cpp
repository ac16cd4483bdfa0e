#include "schedule/poll.h"

#include <algorithm>

#include "core/log.h"
#include "parse/parser.h"
#include "schedule/paging.h"

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
  outcome_.started = p_.clock.system_now();
  fetch::Request req = request_for(source_->cfg.url);
  if (source_->format == parse::Format::sitemap) allow_sitemap_body(req);
  if (saved.etag) req.headers.push_back("If-None-Match: " + *saved.etag);
  if (saved.last_modified) req.headers.push_back("If-Modified-Since: " + *saved.last_modified);
  fetch(std::move(req),
        [self = shared_from_this()](fetch::Response r) { self->on_feed(std::move(r)); });
}

fetch::Request Poll::request_for(const std::string& url) const {
  return schedule::request_for(p_.options.http, url);
}

void Poll::fetch(fetch::Request req, fetch::Handler done) {
  // Abandoned: the work this would have started was what kept the poll going; without it the
  // poll may be over now.
  if (abandoned_) return maybe_finish();
  ++pending_;
  p_.hosts.get(std::move(req), std::move(done));
}

void Poll::fetch_found(bool ask_robots, fetch::Request req, fetch::Handler done) {
  if (!ask_robots || !p_.robots || source_->cfg.robots != "obey") {
    fetch(std::move(req), std::move(done));
    return;
  }
  ++pending_;  // the answer may wait for the host's robots.txt
  // An answer given at once comes back inside the caller, which checks for the end itself.
  auto inline_answer = std::make_shared<bool>(true);
  const std::string url = req.url;
  p_.robots->check(url, [self = shared_from_this(), req = std::move(req), done = std::move(done),
                         inline_answer](const RobotsGate::Verdict& v) mutable {
    --self->pending_;
    if (v.allowed)
      self->fetch(std::move(req), std::move(done));
    else
      self->not_allowed(req.url, v);
    if (!*inline_answer) self->maybe_finish();
  });
  *inline_answer = false;
}

void Poll::not_allowed(const std::string& url, const RobotsGate::Verdict& why) {
  SourceState& s = *source_;
  if (why.passing) sitemap_update_.incomplete = true;
  // A refused post stays unseen and turns up at every poll: counted and logged once.
  if (s.robots_refused.size() >= 100'000) s.robots_refused.clear();
  if (!s.robots_refused.insert(url).second) return;
  if (p_.robots_disallowed) p_.robots_disallowed(s);
  p_.log_fetch->info("{}: robots.txt disallows {} ({}): not fetched", s.cfg.name, url, why.why);
}

void Poll::walk_sitemaps(const std::vector<parse::SitemapRef>& index) {
  SourceState& s = *source_;
  if (sitemap_update_.walked) {  // the protocol has no nested indexes
    p_.log_parse->warn("{}: a child sitemap is an index itself; its {} children are ignored",
                       s.cfg.name, index.size());
    return;
  }
  sitemap_update_.walked = true;
  for (const auto& child : index) sitemap_update_.named.insert(child.url);
  const auto changed = s.sitemaps.changed(index);
  p_.log_fetch->debug("{}: sitemap index names {} children, {} changed", s.cfg.name, index.size(),
                      changed.size());
  for (const auto& child : changed) {
    fetch_found(true, s.sitemaps.request(p_.options.http, child.url),
                [self = shared_from_this(), child = child](fetch::Response r) mutable {
                  self->on_child_sitemap(std::move(child), std::move(r));
                });
  }
}

void Poll::on_child_sitemap(parse::SitemapRef child, fetch::Response r) {
  --pending_;
  const config::Source& cfg = source_->cfg;
  log::Scope scope(cfg.name);
  record_fetch(r);
  SitemapChild known{child, std::nullopt, std::nullopt};
  if (const SitemapChild* last = source_->sitemaps.find(child.url)) {
    known.etag = last->etag;
    known.last_modified = last->last_modified;
  }
  if (r.status == 304 && r.error == fetch::ErrorClass::none) {
    sitemap_update_.fetched[child.url] = std::move(known);
  } else if (!ok_status(r)) {
    p_.log_fetch->warn("{}: child sitemap {} failed: {}", cfg.name, child.url, outcome_of(r));
    fail("sitemap", "child sitemap " + child.url + " failed: " + outcome_of(r));
  } else {
    known.etag = r.etag;
    known.last_modified = r.last_modified;
    sitemap_update_.fetched[child.url] = std::move(known);
    ParseJob job;
    job.ctx = context_for(cfg, r, child.url, floor<seconds>(p_.clock.system_now()));
    job.body = std::move(r.body);
    job.format = parse::Format::sitemap;
    parse(std::move(job));
    return;
  }
  maybe_finish();
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
  outcome_.status = r.status;
  hints_.cache_control = r.cache_control;
  hints_.expires = r.expires;
  hints_.retry_after = r.retry_after;
  if (r.error != fetch::ErrorClass::none) {
    p_.log_fetch->warn("{}: fetching {} failed: {} ({})", cfg.name, cfg.url,
                       fetch::to_string(r.error), r.error_message);
    fail(fetch::to_string(r.error), r.error_message);
  } else if (r.status == 304) {
    p_.log_fetch->debug("{}: not modified", cfg.name);  // nothing to parse
  } else if (!ok_status(r)) {
    p_.log_fetch->warn("{}: {} answered HTTP {}", cfg.name, cfg.url, r.status);
    fail("http", "HTTP " + std::to_string(r.status));
  } else {
    next_state_.etag = r.etag;
    next_state_.last_modified = r.last_modified;
    parse_page(std::move(r), cfg.url);
    return;
  }
  maybe_finish();
}

void Poll::parse_page(fetch::Response r, const std::string& requested_url) {
  const config::Source& cfg = source_->cfg;
  ++pages_;
  page_link_ = std::move(r.link);
  ParseJob job;
  job.ctx = context_for(cfg, r, requested_url, floor<seconds>(p_.clock.system_now()));
  job.body = std::move(r.body);
  if (cfg.json_api) job.mapping = source_->mapping;
  job.format = source_->format;
  parse(std::move(job));
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
    fail("follow", (kind == Kind::article ? "following " + entry.url.value_or("")
                                          : "detail request for " + entry.id) +
                       " failed: " + outcome_of(r));
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
  if (abandoned_) return maybe_finish();  // as in fetch()
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
    fail("parse",
         "cannot parse " + result.url + " as " + std::string(result.format) + ": " + error);
    if (kind == Kind::feed && !held_.empty())
      page_failed(paging::gap_why(entries_read_, held_.size(),
                                  "page " + std::to_string(pages_) + " could not be parsed"));
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
  if (!result.info.sitemaps.empty()) walk_sitemaps(result.info.sitemaps);
  if (pages_ == 1) {  // older pages say nothing of the source's present pace
    hints_.ttl = result.info.ttl;
    if (s.cfg.adapt) {
      const auto learned = adaptive_interval(publish_times(parsed), p_.clock.system_now(),
                                             s.cfg.adapt->min, s.cfg.adapt->max);
      if (learned && learned != s.learned_interval)
        p_.log_schedule->debug("{}: publishes about every {}s; polling at that pace", s.cfg.name,
                               duration_cast<seconds>(*learned).count());
      if (learned) s.learned_interval = learned;
    }
  }
  p_.series(s).post(metrics::SourceSeries::Post::parsed, double(parsed.size()));
  // One store query for the whole page. Ids repeated in the feed are handled once.
  HeldPage page;
  std::vector<std::string> ids;
  std::vector<dedupe::Sighting> sightings;
  page.fresh.reserve(parsed.size());
  ids.reserve(parsed.size());
  sightings.reserve(parsed.size());
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    const parse::Parsed& e = parsed[i];
    if (!ids_.insert(e.post.id).second) continue;
    page.fresh.push_back(i);
    ids.push_back(e.post.id);
    const auto& record = result.records[i];
    sightings.push_back({record ? &record->receipt.entry.content_sha256 : nullptr,
                         e.post.updated_at, !e.detail_url});
  }
  page.verdicts = p_.deduper.judge(s.cfg.name, ids, sightings);
  page.result = std::move(result);
  on_page_judged(std::move(page));
}

void Poll::on_page_judged(HeldPage page) {
  SourceState& s = *source_;
  const ParseResult& result = page.result;
  entries_read_ += result.posts->size();
  paging::Page facts;
  facts.number = pages_;
  facts.entries = result.posts->size();
  facts.fresh = page.fresh.size();
  facts.known = std::size_t(std::count_if(page.verdicts.begin(), page.verdicts.end(),
                                          [](auto v) { return v != dedupe::Verdict::fresh; }));
  facts.read = entries_read_;
  facts.next = paging::next_url(s.cfg, pages_, result.info.next_page, page_link_, result.url);
  held_.push_back(std::move(page));
  const auto decision = paging::decide(
      facts, s.cfg.max_pages, [&] { return s.polled_before || p_.deduper.knows(s.cfg.name); });
  if (decision.step == paging::Step::next) {
    p_.log_schedule->debug("{}: all {} entries read so far are new; reading page {}: {}",
                           s.cfg.name, entries_read_, pages_ + 1, decision.url);
    fetch(request_for(decision.url), [self = shared_from_this(), url = decision.url](
                                         fetch::Response r) { self->on_page(std::move(r), url); });
    return;
  }
  if (decision.step == paging::Step::gap) gap(decision.why);
  send_held();
}

void Poll::on_page(fetch::Response r, const std::string& url) {
  --pending_;
  const config::Source& cfg = source_->cfg;
  log::Scope scope(cfg.name);
  record_fetch(r);
  if (!ok_status(r)) {
    p_.log_fetch->warn("{}: fetching page {} failed: {}", cfg.name, pages_ + 1, outcome_of(r));
    fail("page", "page " + std::to_string(pages_ + 1) + " failed: " + outcome_of(r));
    page_failed(paging::gap_why(
        entries_read_, held_.size(),
        "page " + std::to_string(pages_ + 1) + " could not be fetched (" + outcome_of(r) + ")"));
    maybe_finish();
    return;
  }
  parse_page(std::move(r), url);
}

void Poll::page_failed(const std::string& why) {
  gap(why);
  send_held();
}

void Poll::gap(const std::string& why) {
  p_.series(*source_).gap();
  p_.log_schedule->warn("{}: {}", source_->cfg.name, why);
}

// Oldest page first: Kafka receives the catch-up in about the order it was published, and
// each page's posts in the order the source lists them.
void Poll::send_held() {
  for (auto it = held_.rbegin(); it != held_.rend(); ++it) send(*it);
  held_.clear();
}

void Poll::send(HeldPage& page) {
  SourceState& s = *source_;
  auto& parsed = *page.result.posts;
  for (std::size_t k = 0; k < page.fresh.size(); ++k) {
    const std::size_t i = page.fresh[k];
    parse::Parsed& e = parsed[i];
    if (e.error) {  // cannot be completed: never published without its body
      p_.series(s).parse_error("json_api_detail");
      p_.log_parse->warn("{}: '{}' not published: {}", s.cfg.name, e.post.title, *e.error);
      fail("parse", "'" + e.post.title + "' not published: " + *e.error);
      continue;
    }
    if (page.verdicts[k] == dedupe::Verdict::seen) {
      p_.series(s).post(metrics::SourceSeries::Post::duplicate);
      continue;
    }
    if (auto& out = page.result.records[i]) {
      out->receipt.updated = page.verdicts[k] == dedupe::Verdict::changed;
      send(std::move(*out));
      continue;
    }
    // New or changed, and its content needs another request.
    const Kind kind = e.detail_url ? Kind::detail : Kind::article;
    const std::string& url = e.detail_url ? *e.detail_url : *e.link;
    // A detail request to the source's own host is part of what the operator configured.
    const bool ask = kind == Kind::article || host_of(url) != host_of(s.cfg.url);
    fetch_found(
        ask, request_for(url),
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
    // The post stays unseen and is offered again.
    fail("delivery", "Kafka did not take post " + id + ": " + d.error);
  } else {
    ++p_.delivered;
    ++outcome_.delivered;
    outcome_.last_delivered = p_.clock.system_now();
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
      fail("commit", "the seen mark of " + id + " could not be written");
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
    fail("commit", "the seen mark of " + id + " could not be written");
}

void Poll::batch_lost(bool ended) {
  if (ended)
    p_.failed_after_end(source_);
  else
    fail("commit", "the batch holding this poll's seen marks did not commit");
}

void Poll::fail(std::string_view error_class, std::string message) {
  hints_.failed = true;
  if (!outcome_.error_class.empty()) return;
  outcome_.error_class = error_class;
  outcome_.error = message.empty() ? std::string(error_class) : std::move(message);
}

void Poll::maybe_finish() {
  if (finished_ || !fetched_ || pending_ > 0 || !idle()) return;
  finished_ = true;
  p_.ended(shared_from_this());
}

}  // namespace newsd::schedule
