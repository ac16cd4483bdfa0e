// The parse pool: turns fetched documents into records ready to publish, off the loop
// (DESIGN.md: "CPU-heavy parsing may run on a small pool; results come back to the loop").
//
// A job carries everything it needs (the bytes, a copy of the parse context, of the source's
// overrides and JSON mapping), so a worker touches nothing else. Feeds, followed articles
// and detail responses all go this way: the worker parses, completes the post (merges the
// article, applies the detail), applies the source's overrides and serializes every post that
// needs no further request into its Kafka record. The loop only judges and hands them over.
//
// At most `max_parsing` jobs wait for or are in a worker: has_room() turns false beyond, and
// the host queue starts no new request, so fetched bodies cannot pile up faster than they
// are parsed. With no threads, jobs run inline on the loop.
//
// Thread-safety: submit() and the results are on the loop's thread; run() of a job on a
// worker. Owns the workers and the count of jobs in them.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "parse/parser.h"
#include "publish/outbox.h"

namespace newsd::schedule {

// What a source's configuration sets in its posts.
struct Overrides {
  std::optional<std::string> category, media;
  bool follow = false;
  void apply(Post& p) const;
};

// The parse of one document, done.
struct ParseResult {
  // A feed's entries, or the one post a followed article or detail completed.
  Expected<std::vector<parse::Parsed>> posts = Error{};
  parse::DocumentInfo info;
  std::string_view format;  // as metrics and dead letters name it
  std::string url;          // where the document came from
  std::string post_id;      // article, detail: the post it completes
  // Beside each of `posts`: its record when it needs no further request, else empty.
  std::vector<std::optional<publish::Outgoing>> records;
  std::string raw;  // the document, kept only when it could not be parsed
  Timestamp fetched_at{};
};

struct ParseJob {
  enum class Kind {
    feed,     // the source's document
    article,  // a followed link: completes `entry`
    detail,   // a JSON API detail response: completes `entry`
  };
  Kind kind = Kind::feed;
  std::string body;
  parse::Context ctx;
  // Feeds of JSON APIs, details: the source's mapping (a reload makes a new one).
  std::shared_ptr<const parse::JsonApiMapping> mapping;
  parse::Format format = parse::Format::automatic;  // feeds: automatic is detected
  Overrides overrides;
  std::string topic_template;
  Post entry;       // article, detail: the feed's entry
  std::string url;  // article, detail: the response's URL, for reports

  ParseResult run();
};

class ParsePool {
 public:
  using Done = std::function<void(ParseResult)>;
  ParsePool(boost::asio::io_context& io, std::size_t threads, std::size_t max_parsing);
  // A parse under way ends; what waits is dropped, and no result is handed back.
  ~ParsePool();

  // Runs `job` and hands its result to `done` on the loop (at once with no threads).
  void submit(ParseJob job, Done done);
  bool has_room() const { return !pool_ || parsing_ < max_parsing_; }
  // Called on the loop after each result of a worker was handled: there is room again.
  void on_room(std::function<void()> f) { on_room_ = std::move(f); }
  void set_max_parsing(std::size_t n) { max_parsing_ = n; }

 private:
  boost::asio::io_context& io_;
  std::unique_ptr<boost::asio::thread_pool> pool_;  // null: parse inline
  std::size_t max_parsing_;
  std::size_t parsing_ = 0;  // jobs handed to pool_
  std::function<void()> on_room_;
  // Results posted back after the pool is gone (an abnormal teardown) check this.
  std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

}  // namespace newsd::schedule
