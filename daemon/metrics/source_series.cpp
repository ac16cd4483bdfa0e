#include "metrics/source_series.h"

#include <charconv>
#include <cmath>

#include "metrics/metrics.h"

namespace newsd::metrics {
namespace {

enum Bit : std::uint32_t {
  kGaugeBit = 0,  // 4 gauges
  kPostBit = 4,   // 4 post results
  kBytesBit = 8,  // fetch_bytes
  kHistogramBit = 9,
  kGapsBit = 10,
};

const char* const kPostNames[] = {"parsed", "new", "updated", "duplicate"};

void escape_into(std::string& out, std::string_view v) {
  for (const char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

std::string escaped(std::string_view v) {
  std::string out;
  escape_into(out, v);
  return out;
}

void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
  }
}

void bump(std::atomic<double>& a, double n) {
  a.fetch_add(n, std::memory_order_relaxed);
}

double load(const std::atomic<double>& a) {
  return a.load(std::memory_order_relaxed);
}

struct FamilyText {
  const char* name;
  const char* type;
  const char* help;
};

const FamilyText& text_of(SourceRegistry::Family f) {
  static const FamilyText kText[] = {
      {"newsd_fetches_total", "counter",
       "HTTP fetches by source and outcome (HTTP status, not_modified, or error class)."},
      {"newsd_fetch_duration_seconds", "histogram",
       "Time from request start to complete response, by source."},
      {"newsd_fetch_bytes_total", "counter",
       "Response body bytes received (after decompression), by source; failed and oversized "
       "transfers count what arrived before they ended."},
      {"newsd_posts_total", "counter",
       "Posts by source and result: parsed, new, updated, duplicate."},
      {"newsd_parse_errors_total", "counter",
       "Documents that could not be parsed, by source and format."},
      {"newsd_source_last_success_timestamp_seconds", "gauge",
       "Unix time of the source's last successful poll."},
      {"newsd_source_consecutive_failures", "gauge",
       "Failed polls of the source since its last success."},
      {"newsd_source_last_new_post_timestamp_seconds", "gauge",
       "Unix time at which the source's newest new or updated post was acknowledged by Kafka."},
      {"newsd_source_next_poll_timestamp_seconds", "gauge",
       "Unix time at which the source is due to be polled next (interval, server hints such as "
       "Retry-After, or error backoff)."},
      {"newsd_source_gaps_total", "counter",
       "Polls whose entries were all new and that could not page back to an entry already "
       "seen (max_pages reached, or no older page offered): posts may have been missed."},
  };
  return kText[static_cast<std::size_t>(f)];
}

// `name{source="x"` — the caller closes the braces.
void open_series(std::string& out, const char* name, const std::string& source_label) {
  out += name;
  out += "{source=\"";
  out += source_label;
  out += '"';
}

}  // namespace

SourceSeries::SourceSeries(std::shared_ptr<SourceRegistryState> registry, std::string name)
    : registry_(std::move(registry)), name_(std::move(name)), label_(escaped(name_)) {}

SourceSeries::~SourceSeries() = default;

void SourceSeries::set(Gauge g, double v) {
  const auto i = static_cast<std::size_t>(g);
  gauges_[i].store(v, std::memory_order_relaxed);
  present_.fetch_or(1u << (kGaugeBit + i), std::memory_order_relaxed);
}

void SourceSeries::post(Post result, double n) {
  const auto i = static_cast<std::size_t>(result);
  bump(posts_[i], n);
  present_.fetch_or(1u << (kPostBit + i), std::memory_order_relaxed);
}

void SourceSeries::fetched(std::string_view outcome, double seconds, double bytes) {
  add(fetches_, outcome, 1);
  bump(fetch_bytes_, bytes);
  const auto& bounds = latency_buckets();
  std::size_t b = 0;
  while (b < bounds.size() && seconds > bounds[b]) ++b;
  buckets_[b].fetch_add(1, std::memory_order_relaxed);
  bump(duration_sum_, seconds);
  present_.fetch_or((1u << kBytesBit) | (1u << kHistogramBit), std::memory_order_relaxed);
}

void SourceSeries::gap() {
  bump(gaps_, 1);
  present_.fetch_or(1u << kGapsBit, std::memory_order_relaxed);
}

void SourceSeries::parse_error(std::string_view format) {
  add(parse_errors_, format, 1);
}

void SourceSeries::add(std::unique_ptr<Labelled>& list, std::string_view label, double n) {
  // Only the thread that updates this source grows its lists, so it may walk them unlocked;
  // a scrape walks them under the registry's mutex, which also guards the growth.
  std::unique_ptr<Labelled>* tail = &list;
  for (; *tail; tail = &(*tail)->next) {
    if (*(*tail)->label == label) {
      bump((*tail)->value, n);
      return;
    }
  }
  auto node = std::make_unique<Labelled>();
  node->value.store(n, std::memory_order_relaxed);
  const std::lock_guard lock(registry_->mu);
  node->label = registry_->intern(label);
  *tail = std::move(node);
}

const std::string* SourceRegistryState::intern(std::string_view label) {
  for (const auto& l : labels)
    if (l == label) return &l;
  // A hostile server picks its status codes, but they stay three digits: the set is bounded
  // by the statuses, the error classes and the formats we name.
  labels.emplace_back(label);
  return &labels.back();
}

std::shared_ptr<SourceSeries> SourceRegistry::get(const std::string& name) {
  const std::lock_guard lock(state_->mu);
  auto it = state_->by_name.find(name);
  if (it != state_->by_name.end())
    if (auto alive = it->second.owner.lock()) return alive;
  // The deleter takes the series out of the exposition; it holds the state, not `this`.
  std::shared_ptr<SourceSeries> s(new SourceSeries(state_, name), [](SourceSeries* p) {
    {
      const std::lock_guard lock(p->registry_->mu);
      auto& by_name = p->registry_->by_name;
      auto it = by_name.find(p->name());
      if (it != by_name.end() && it->second.series == p) by_name.erase(it);
    }
    delete p;
  });
  state_->by_name.insert_or_assign(name, SourceRegistryState::Entry{s.get(), s});
  return s;
}

std::size_t SourceRegistry::size() const {
  const std::lock_guard lock(state_->mu);
  return state_->by_name.size();
}

std::string SourceRegistry::write(Family f, const std::string& from, std::string& out,
                                  std::size_t limit) const {
  const FamilyText& t = text_of(f);
  const std::lock_guard lock(state_->mu);
  const auto& by_name = state_->by_name;
  if (from.empty()) {
    out += "# HELP ";
    out += t.name;
    out += ' ';
    out += t.help;
    out += "\n# TYPE ";
    out += t.name;
    out += ' ';
    out += t.type;
    out += '\n';
  }
  auto it = from.empty() ? by_name.begin() : by_name.upper_bound(from);
  for (; it != by_name.end(); ++it) {
    const SourceSeries& s = *it->second.series;
    const std::uint32_t present = s.present_.load(std::memory_order_relaxed);
    const auto line = [&](double v) {
      out += ' ';
      append_value(out, v);
      out += '\n';
    };
    const auto labelled = [&](const std::unique_ptr<SourceSeries::Labelled>& list,
                              const char* label_name) {
      for (const auto* l = list.get(); l != nullptr; l = l->next.get()) {
        // Labels in name order, as prometheus-cpp writes them (outcome, format < source).
        out += t.name;
        out += '{';
        out += label_name;
        out += "=\"";
        escape_into(out, *l->label);
        out += "\",source=\"";
        out += s.label_;
        out += "\"}";
        line(load(l->value));
      }
    };
    const auto counter = [&](std::uint32_t bit, const std::atomic<double>& v) {
      if ((present & (1u << bit)) == 0) return;
      open_series(out, t.name, s.label_);
      out += '}';
      line(load(v));
    };
    const auto gauge = [&](SourceSeries::Gauge g) {
      const auto i = static_cast<std::size_t>(g);
      if ((present & (1u << (kGaugeBit + i))) == 0) return;
      open_series(out, t.name, s.label_);
      out += '}';
      line(load(s.gauges_[i]));
    };
    switch (f) {
      case Family::fetches:
        labelled(s.fetches_, "outcome");
        break;
      case Family::fetch_duration: {
        if ((present & (1u << kHistogramBit)) == 0) break;
        // Cumulative counts and _count from one read of the buckets, so that they agree
        // even while fetches finish during the scrape.
        const auto& bounds = latency_buckets();
        std::uint64_t cumulative = 0;
        for (std::size_t b = 0; b < SourceSeries::kBuckets; ++b) {
          cumulative += s.buckets_[b].load(std::memory_order_relaxed);
          out += t.name;
          out += "_bucket{source=\"";
          out += s.label_;
          out += "\",le=\"";
          if (b < bounds.size())
            append_value(out, bounds[b]);
          else
            out += "+Inf";
          out += "\"}";
          line(static_cast<double>(cumulative));
        }
        out += t.name;
        out += "_sum{source=\"";
        out += s.label_;
        out += "\"}";
        line(load(s.duration_sum_));
        out += t.name;
        out += "_count{source=\"";
        out += s.label_;
        out += "\"}";
        line(static_cast<double>(cumulative));
        break;
      }
      case Family::fetch_bytes:
        counter(kBytesBit, s.fetch_bytes_);
        break;
      case Family::posts:
        for (std::size_t i = 0; i < SourceSeries::kPosts; ++i) {
          if ((present & (1u << (kPostBit + i))) == 0) continue;
          out += t.name;
          out += "{result=\"";
          out += kPostNames[i];
          out += "\",source=\"";
          out += s.label_;
          out += "\"}";
          line(load(s.posts_[i]));
        }
        break;
      case Family::parse_errors:
        labelled(s.parse_errors_, "format");
        break;
      case Family::last_success:
        gauge(SourceSeries::Gauge::last_success);
        break;
      case Family::consecutive_failures:
        gauge(SourceSeries::Gauge::consecutive_failures);
        break;
      case Family::last_new_post:
        gauge(SourceSeries::Gauge::last_new_post);
        break;
      case Family::next_poll:
        gauge(SourceSeries::Gauge::next_poll);
        break;
      case Family::gaps:
        counter(kGapsBit, s.gaps_);
        break;
    }
    if (out.size() >= limit) return it->first;
  }
  return {};
}

void SourceRegistry::write(Family f, std::string& out) const {
  std::string from;
  do {
    from = write(f, from, out, SIZE_MAX);
  } while (!from.empty());
}

}  // namespace newsd::metrics
