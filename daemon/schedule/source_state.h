// One source as the scheduler keeps it between polls. Owned by the Engine (shared with the
// poll under way and its timer's handler); the event loop's thread only.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>

#include "config/config.h"
#include "core/clock.h"
#include "dedupe/seen_store.h"
#include "metrics/metrics.h"
#include "parse/parser.h"
#include "publish/dead_letter.h"
#include "schedule/parse_pool.h"
#include "schedule/sitemap_walk.h"

namespace newsd::schedule {

struct SourceState {
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
    // A sitemap's entries are URLs only: their bodies come from the pages, always.
    overrides = {cfg.category, cfg.media, cfg.follow || format == parse::Format::sitemap};
  }

  config::Source cfg;
  parse::Format format = parse::Format::automatic;
  // Shared with parse jobs under way: a reload makes a new one.
  std::shared_ptr<const parse::JsonApiMapping> mapping;
  Overrides overrides;
  std::unique_ptr<Timer> timer;  // the next poll
  int consecutive_failures = 0;
  // From the source's publishing rhythm (cfg.adapt); replaces cfg.interval once known.
  std::optional<std::chrono::milliseconds> learned_interval;
  bool polling = false;
  bool removed = false;
  bool reconfigured = false;   // its settings changed while a poll was under way
  bool polled_before = false;  // a poll of it succeeded in this run (catch-up paging)
  bool paused = false;         // by the operator: no poll is scheduled until resumed
  // The conditional-GET state as it is in the store (read at the first poll): polls compare
  // against it instead of reading the store, and write only what changed.
  std::optional<dedupe::PollState> saved;
  std::shared_ptr<metrics::SourceSeries> series;  // resolved at first use
  publish::DeadLetters::Memory dead_lettered;
  SitemapMemory sitemaps;  // format: sitemap with an index: its children (sitemap_walk.h)
  // URLs robots.txt refused, counted and logged once each (bounded: cleared when large).
  std::unordered_set<std::string> robots_refused;
};

}  // namespace newsd::schedule
