// The Engine's share of the sources when several instances run (engine.h, daemon/cluster):
// which sources it polls, and letting go of some without marking anything seen after the
// hand-over.
#include <algorithm>

#include "schedule/engine.h"
#include "state/record.h"

namespace newsd::schedule {

using namespace std::chrono;

struct Engine::Release {
  std::set<std::int32_t> partitions;
  std::set<const SourceState*> waiting;  // polls under way of their sources
  std::function<void()> done;
  std::unique_ptr<Timer> timer;  // the bound
  bool completed = false;
};

void Engine::share(std::int32_t partitions) {
  partitions_ = partitions;
  owned_.clear();
  announce_sources();  // every source is another instance's until the group says otherwise
}

bool Engine::owns(const std::string& source) const {
  return !partitions_ || owned_.count(state::partition_of(source, *partitions_)) > 0;
}

std::size_t Engine::owned_sources() const {
  return std::size_t(std::count_if(sources_.begin(), sources_.end(),
                                   [this](const auto& kv) { return owns(kv.first); }));
}

std::vector<std::string> Engine::sources_in(const std::vector<std::int32_t>& partitions) const {
  std::vector<std::string> out;
  if (!partitions_) return out;
  const std::set<std::int32_t> wanted(partitions.begin(), partitions.end());
  for (const auto& [name, s] : sources_)
    if (wanted.count(state::partition_of(name, *partitions_))) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

void Engine::own(const std::vector<std::int32_t>& partitions) {
  std::set<std::int32_t> added;
  for (const auto p : partitions)
    if (owned_.insert(p).second) added.insert(p);
  if (!partitions_ || added.empty()) return;
  announce_sources();
  for (auto& [name, s] : sources_) {
    if (s->polling || added.count(state::partition_of(name, *partitions_)) == 0) continue;
    // Soon, spread as at start: the previous owner's schedule is not known here.
    const auto spread = std::min<milliseconds>(s->cfg.interval / 10, milliseconds(2000));
    std::uniform_int_distribution<long long> d(0, spread.count());
    schedule(s, milliseconds(d(rng_)));
  }
}

void Engine::release(const std::vector<std::int32_t>& partitions, milliseconds bound,
                     std::function<void()> done) {
  drop_completed();
  auto r = std::make_shared<Release>();
  r->partitions.insert(partitions.begin(), partitions.end());
  r->done = std::move(done);
  for (const auto p : partitions) owned_.erase(p);
  announce_sources();
  const auto released = [&](const std::string& name) {
    return partitions_ && r->partitions.count(state::partition_of(name, *partitions_)) > 0;
  };
  for (auto& [name, s] : sources_)
    if (released(name)) s->timer->cancel();
  for (const auto& [source, poll] : polls_)
    if (released(source->cfg.name)) r->waiting.insert(source);
  if (r->waiting.empty()) return complete(*r);
  releases_.push_back(r);
  r->timer = clock_.make_timer();
  r->timer->wait_until(clock_.steady_now() + bound,
                       [this, weak = std::weak_ptr<Release>(r)](bool cancelled) {
                         const auto r = weak.lock();
                         if (cancelled || !r || r->completed) return;
                         for (const SourceState* s : r->waiting)
                           if (auto it = polls_.find(s); it != polls_.end())
                             if (auto poll = it->second.lock()) poll->abandon();
                         complete(*r);
                       });
}

void Engine::complete(Release& r) {
  r.completed = true;
  // What the polls of these sources had marked seen is made durable before the next owner
  // reads the partitions.
  batch_.flush();
  // Completed releases leave releases_ later (drop_completed), never from their own timer.
  auto done = std::move(r.done);
  if (done) done();
}

void Engine::poll_ended(const SourceState& s) {
  if (polls_.erase(&s) == 0) return;
  std::vector<std::shared_ptr<Release>> ready;
  for (const auto& r : releases_)
    if (!r->completed && r->waiting.erase(&s) > 0 && r->waiting.empty()) ready.push_back(r);
  for (const auto& r : ready) {
    if (r->timer) r->timer->cancel();
    complete(*r);
  }
  drop_completed();
}

void Engine::drop_completed() {
  std::erase_if(releases_, [](const auto& r) { return r->completed; });
}

void Engine::end_abandoned(const PollPtr& poll) {
  // Nothing is saved: the source's state is the next owner's now.
  const SourcePtr& s = poll->source();
  s->polling = false;
  --active_polls_;
  if (s->removed) s->series.reset();
  schedule(s, milliseconds(100));  // owned again meanwhile: polled again soon
  poll_ended(*s);
  check_idle();
}

}  // namespace newsd::schedule
