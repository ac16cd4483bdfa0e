// One poll of one source, step by step: fetch the document (HostQueue), parse it (ParsePool),
// judge its posts (Deduper), fetch and parse what needs another request, send the new and
// changed ones (Outbox) and mark them seen as Kafka acknowledges them (CommitBatch). The poll
// ends when nothing is pending; the Engine then decides what is saved and when to come back.
//
// Thread-safety: the event loop's thread only. A poll is shared by the callbacks it spawns;
// it owns its hints, pending count and the ids it handled; its source belongs to the Engine.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "dedupe/commit_batch.h"
#include "dedupe/deduper.h"
#include "fetch/http_client.h"
#include "publish/dead_letter.h"
#include "publish/outbox.h"
#include "schedule/host_queue.h"
#include "schedule/listener.h"
#include "schedule/options.h"
#include "schedule/parse_pool.h"
#include "schedule/policy.h"
#include "schedule/robots_gate.h"
#include "schedule/sitemap_walk.h"
#include "schedule/source_state.h"

namespace spdlog {
class logger;
}

namespace newsd::schedule {

class Poll;

// What polls work with: the parts of the pipeline and the settings, owned by the Engine.
struct Pipeline {
  const Options& options;
  Clock& clock;
  HostQueue& hosts;
  ParsePool& parse;
  dedupe::Deduper& deduper;
  publish::Outbox& outbox;
  publish::DeadLetters& dead_letters;
  dedupe::CommitBatch& batch;
  prometheus::Histogram& freshness;
  // The source's metric series (per source, or shared).
  std::function<metrics::SourceSeries&(SourceState&)> series;
  // A poll has ended (nothing pending).
  std::function<void(const std::shared_ptr<Poll>&)> ended;
  // A poll that ended as a success failed after all: its batch did not commit.
  std::function<void(const std::shared_ptr<SourceState>&)> failed_after_end;
  std::shared_ptr<spdlog::logger> log_fetch, log_parse, log_schedule;
  std::size_t delivered = 0;  // posts Kafka acknowledged
  // robots.txt for the URLs polls find (robots_gate.h), and the count of those it refused.
  RobotsGate* robots = nullptr;
  std::function<void(SourceState&)> robots_disallowed = {};
};

class Poll final : public publish::Lane,
                   public dedupe::BatchMember,
                   public std::enable_shared_from_this<Poll> {
 public:
  Poll(Pipeline& pipeline, std::shared_ptr<SourceState> source)
      : p_(pipeline), source_(std::move(source)) {}
  // Requests the source's document, conditional on the validators of `saved`.
  void start(const dedupe::PollState& saved);

  const std::shared_ptr<SourceState>& source() const { return source_; }
  PollHints& hints() { return hints_; }
  // The validators of the response, to save if the poll succeeds.
  dedupe::PollState& next_state() { return next_state_; }
  // What the poll learned of the source's sitemap index, to keep if it succeeds.
  SitemapUpdate& sitemap_update() { return sitemap_update_; }
  const PollOutcome& outcome() const { return outcome_; }
  // The instance let go of the source (several instances): no new fetch, parse or send
  // starts, and nothing more of this poll is marked seen (posts handed to the outbox still
  // go to Kafka; the next owner may publish them again). The poll ends when what is under
  // way has; the Engine saves nothing of it.
  void abandon() {
    abandoned_ = true;
    hints_.failed = true;
  }
  bool abandoned() const { return abandoned_; }

  const std::string& name() const override { return source_->cfg.name; }
  void delivered(const std::string& id, const publish::Receipt& receipt,
                 const publish::Delivery& d) override;
  void retried() override { maybe_finish(); }
  void handed(const std::string& id, const publish::Receipt& receipt) override;
  void batch_lost(bool ended) override;

 private:
  using Kind = ParseJob::Kind;
  fetch::Request request_for(const std::string& url) const;
  void fetch(fetch::Request req, fetch::Handler done);
  // A URL newsd found itself (not the configured one): asked of robots.txt first when
  // `ask_robots` and the source obeys it; a refused one is counted, logged and not fetched.
  void fetch_found(bool ask_robots, fetch::Request req, fetch::Handler done);
  void not_allowed(const std::string& url, const RobotsGate::Verdict& why);
  void walk_sitemaps(const std::vector<parse::SitemapRef>& index);
  void on_child_sitemap(parse::SitemapRef child, fetch::Response r);
  void on_feed(fetch::Response r);
  void on_followed(Kind kind, Post entry, fetch::Response r);
  void parse(ParseJob job);
  void on_parsed(Kind kind, ParseResult result);
  void on_feed_posts(ParseResult& result);
  void record_fetch(const fetch::Response& r);
  void send(publish::Outgoing out);
  void maybe_finish();
  // The poll failed: kept in the hints (scheduling) and, the first reason, in the outcome.
  void fail(std::string_view error_class, std::string message);

  // Catch-up paging (paging.h). A page's posts, judged, wait in held_ until the poll knows
  // how far back it reads; then the oldest page is sent first.
  struct HeldPage {
    ParseResult result;
    std::vector<std::size_t> fresh;  // the entries not repeated from an earlier page
    std::vector<dedupe::Verdict> verdicts;
  };
  void on_page(fetch::Response r, const std::string& url);
  void parse_page(fetch::Response r, const std::string& requested_url);
  // Judges a parsed page and decides whether to read the next one.
  void on_page_judged(HeldPage page);
  // A page could not be read: what was read is sent, and the gap counted.
  void page_failed(const std::string& why);
  void gap(const std::string& why);
  void send_held();
  void send(HeldPage& page);

  Pipeline& p_;
  std::shared_ptr<SourceState> source_;
  dedupe::PollState next_state_;
  PollHints hints_;
  PollOutcome outcome_;
  std::size_t pending_ = 0;     // fetches and parses under way
  std::set<std::string> ids_;   // ids already handled (feeds repeat entries)
  bool fetched_ = false;        // the source's document has been handled
  std::vector<HeldPage> held_;  // pages read, newest first
  std::size_t pages_ = 0;       // pages fetched
  std::size_t entries_read_ = 0;
  std::string page_link_;  // the Link header of the page being parsed
  bool finished_ = false;
  SitemapUpdate sitemap_update_;
  bool abandoned_ = false;
};

}  // namespace newsd::schedule
