#include "schedule/parse_pool.h"

#include <boost/asio/post.hpp>

#include "core/log.h"

namespace newsd::schedule {

void Overrides::apply(Post& p) const {
  if (category) p.category = category;
  if (media && !p.media) p.media = media;
}

namespace {

publish::Outgoing outgoing(const std::string& topic_template, const Post& p) {
  return {publish::make_record(topic_template, p),
          {{p.content_sha256, p.updated_at}, p.published_at, false}};
}

}  // namespace

ParseResult ParseJob::run() {
  log::Scope scope(ctx.source, kind == Kind::feed ? std::string_view{} : entry.id);
  if (kind == Kind::feed) ctx.json_api = mapping.get();  // a detail gets the mapping itself
  ParseResult r;
  r.fetched_at = ctx.fetched_at;
  if (kind != Kind::feed) r.post_id = entry.id;
  switch (kind) {
    case Kind::feed: {
      if (format == parse::Format::automatic) format = parse::detect(body, ctx.content_type);
      r.format = parse::to_string(format);
      r.url = ctx.url.value_or("");
      r.posts = parse::parse(body, format, ctx, &r.info);
      if (!r.posts) break;
      r.records.reserve(r.posts->size());
      for (auto& e : *r.posts) {
        overrides.apply(e.post);
        if ((overrides.follow && e.link) || e.detail_url || e.error)
          r.records.emplace_back();
        else
          r.records.emplace_back(outgoing(topic_template, e.post));
      }
      break;
    }
    case Kind::article: {
      format = parse::detect(body, ctx.content_type);
      r.format = parse::to_string(format);
      r.url = url;
      auto parsed = parse::parse(body, format, ctx);
      if (!parsed || parsed->empty()) {
        r.posts = Error{parsed ? "no content" : parsed.error().message};
        break;
      }
      Post merged = parse::merge_followed(entry, parsed->front().post);
      overrides.apply(merged);
      r.records.emplace_back(outgoing(topic_template, merged));
      r.posts = std::vector<parse::Parsed>{{std::move(merged), std::nullopt, std::nullopt}};
      break;
    }
    case Kind::detail: {
      r.format = "json_api_detail";
      r.url = url;
      auto post = parse::apply_detail(entry, body, *mapping, ctx);
      if (!post) {
        r.posts = post.error();
        break;
      }
      overrides.apply(*post);
      r.records.emplace_back(outgoing(topic_template, *post));
      r.posts = std::vector<parse::Parsed>{{std::move(*post), std::nullopt, std::nullopt}};
      break;
    }
  }
  if (!r.posts) r.raw = std::move(body);
  return r;
}

ParsePool::ParsePool(boost::asio::io_context& io, std::size_t threads, std::size_t max_parsing)
    : io_(io), max_parsing_(max_parsing) {
  if (threads > 0) pool_ = std::make_unique<boost::asio::thread_pool>(threads);
}

ParsePool::~ParsePool() {
  if (pool_) {
    pool_->stop();
    pool_->join();
  }
  alive_.reset();
}

void ParsePool::submit(ParseJob job, Done done) {
  if (!pool_) {
    done(job.run());
    return;
  }
  ++parsing_;
  // Only `job` (owned here alone) is touched on the worker; `done` travels to the worker and
  // back without being used or released there.
  auto work = std::make_shared<ParseJob>(std::move(job));
  boost::asio::post(
      *pool_, [this, work, done = std::move(done), alive = std::weak_ptr(alive_)]() mutable {
        ParseResult result = work->run();
        work.reset();
        boost::asio::post(io_, [this, done = std::move(done), alive = std::move(alive),
                                result = std::move(result)]() mutable {
          if (alive.expired()) return;
          --parsing_;
          done(std::move(result));
          if (on_room_) on_room_();
        });
      });
}

}  // namespace newsd::schedule
