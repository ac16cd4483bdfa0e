#include "status/board.h"

#include <algorithm>
#include <limits>

#include "parse/text_util.h"

namespace newsd::status {

using namespace std::chrono;

namespace {

constexpr std::array<std::string_view, kStates> kStateNames = {"failing", "backing_off", "paused",
                                                               "not_owned", "ok"};

std::int64_t slot_at(SysTime t) {
  return duration_cast<minutes>(t.time_since_epoch()).count() / 5;
}

// Untrusted text (server messages, URLs, feed titles) as the view keeps it: valid UTF-8, cut.
std::string keepable(std::string_view s) {
  if (s.size() <= kMaxErrorBytes) return parse::sanitize_utf8(s);
  std::string out = parse::sanitize_utf8(s.substr(0, kMaxErrorBytes));
  out += "…";
  return out;
}

}  // namespace

std::string_view to_string(State s) {
  return kStateNames[static_cast<std::size_t>(s)];
}

std::optional<State> state_from_string(std::string_view s) {
  for (std::size_t i = 0; i < kStates; ++i)
    if (kStateNames[i] == s) return static_cast<State>(i);
  return std::nullopt;
}

State SourceRecord::state() const {
  if (!owned) return State::not_owned;
  if (paused) return State::paused;
  if (consecutive_failures == 0) return State::ok;
  if (reason == schedule::IntervalReason::backoff ||
      reason == schedule::IntervalReason::retry_after)
    return State::backing_off;
  return State::failing;
}

const PollRecord* SourceRecord::last_poll() const {
  if (ring.empty()) return nullptr;
  return &ring[(ring_next + ring.size() - 1) % ring.size()];
}

std::vector<const PollRecord*> SourceRecord::recent() const {
  std::vector<const PollRecord*> out;
  out.reserve(ring.size());
  for (std::size_t i = 0; i < ring.size(); ++i)
    out.push_back(&ring[(ring_next + ring.size() - 1 - i) % ring.size()]);
  return out;
}

std::uint64_t SourceRecord::delivered_last_hour(SysTime now) const {
  const std::int64_t newest = slot_at(now);
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < delivered_slots.size(); ++i)
    if (slot_of[i] > newest - 12 && slot_of[i] <= newest) sum += delivered_slots[i];
  return sum;
}

void SourceRecord::count_delivered(SysTime at, std::uint32_t n) {
  const std::int64_t slot = slot_at(at);
  const std::size_t i = static_cast<std::size_t>(slot % 12);
  if (slot_of[i] != slot) {
    slot_of[i] = slot;
    delivered_slots[i] = 0;
  }
  delivered_slots[i] += n;
  delivered_total += n;
}

void Board::sources(const std::vector<schedule::SourceEntry>& all) {
  std::map<std::string, SourceRecord, std::less<>> next;
  for (const auto& e : all) {
    auto it = records_.find(e.name);
    SourceRecord r;
    if (it != records_.end()) {
      r = std::move(it->second);
    } else {
      r.name = e.name;
      r.interval = e.interval;
    }
    r.configured_interval = e.interval;
    r.owned = e.owned;
    next.emplace(e.name, std::move(r));
  }
  records_ = std::move(next);
}

void Board::polled(const schedule::PollReport& report) {
  const auto it = records_.find(report.source);
  if (it == records_.end()) return;  // removed while its poll was under way
  SourceRecord& r = it->second;
  const schedule::PollOutcome& o = report.outcome;
  PollRecord p;
  p.started = o.started;
  p.duration_ms = static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(duration_cast<milliseconds>(report.ended - o.started).count(), 0,
                               std::numeric_limits<std::uint32_t>::max()));
  p.status = static_cast<std::uint16_t>(std::clamp<long>(o.status, 0, 999));
  p.delivered = static_cast<std::uint32_t>(o.delivered);
  if (report.failed) {
    // A post the producer refused for good fails the poll without a stage saying why; the
    // outcome's class is a string literal (listener.h), so its data() ends with a NUL.
    p.error_class = o.error_class.empty() ? "refused" : o.error_class.data();
    std::string text =
        keepable(o.error.empty() ? (o.error_class.empty() ? "Kafka refused a post for good"
                                                          : std::string(o.error_class))
                                 : o.error);
    const PollRecord* last = r.last_poll();
    if (last && last->error_text && *last->error_text == text)
      p.error_text = last->error_text;
    else
      p.error_text = std::make_shared<const std::string>(std::move(text));
    r.last_error = *p.error_text;
    r.last_error_at = report.ended;
  }
  r.consecutive_failures = report.consecutive_failures;
  r.reason = report.reason;
  r.interval = report.next_in;
  r.next_poll = report.next_in > milliseconds(0) ? std::optional(report.ended + report.next_in)
                                                 : std::nullopt;
  r.etag = report.etag;
  r.last_modified = report.last_modified;
  if (o.delivered > 0) {
    r.count_delivered(report.ended, p.delivered);
    r.last_new_post = o.last_delivered;
  }
  if (r.ring.size() < kRecentPolls) {
    if (r.ring.empty()) r.ring.reserve(kRecentPolls);
    r.ring.push_back(std::move(p));
    r.ring_next = r.ring.size() % kRecentPolls;
  } else {
    r.ring[r.ring_next] = std::move(p);
    r.ring_next = (r.ring_next + 1) % kRecentPolls;
  }
}

bool Board::set_paused(const std::string& name, bool paused) {
  const auto it = records_.find(name);
  if (it == records_.end()) return false;
  it->second.paused = paused;
  if (paused) it->second.next_poll.reset();
  return true;
}

Page Board::query(const Query& q) const {
  Page page;
  page.total = records_.size();
  std::array<bool, kStates> wanted{};
  for (const State s : q.states) wanted[static_cast<std::size_t>(s)] = true;
  std::array<std::vector<const SourceRecord*>, kStates> by_state;
  for (const auto& [name, r] : records_) {
    const auto s = static_cast<std::size_t>(r.state());
    ++page.counts[s];
    if (!q.states.empty() && !wanted[s]) continue;
    if (!q.name.empty() && name.find(q.name) == std::string::npos) continue;
    by_state[s].push_back(&r);
  }
  for (const auto& list : by_state) page.matched += list.size();
  std::size_t skip = q.offset;
  for (const auto& list : by_state) {
    if (skip >= list.size()) {
      skip -= list.size();
      continue;
    }
    const std::size_t take = std::min(list.size() - skip, q.limit - page.rows.size());
    page.rows.insert(page.rows.end(), list.begin() + std::ptrdiff_t(skip),
                     list.begin() + std::ptrdiff_t(skip + take));
    skip = 0;
    if (page.rows.size() == q.limit) break;
  }
  return page;
}

const SourceRecord* Board::find(const std::string& name) const {
  const auto it = records_.find(name);
  return it == records_.end() ? nullptr : &it->second;
}

}  // namespace newsd::status
