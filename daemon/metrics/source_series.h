// The per-source series (newsd_fetches_total{source,outcome}, newsd_posts_total{source,
// result}, the fetch-duration histogram, the source_* gauges...), kept in one small object
// per source instead of prometheus-cpp families. prometheus-cpp gives every series its own
// label map, hash node and (for a histogram) bucket vector and mutex: about 4 KiB per source,
// 40 MiB at 10,000 sources. Here a source costs a few hundred bytes, and the exposition is
// written straight from these objects in pieces, never as one copy of every series.
//
// Values are atomics, so a scrape may run on another thread than the updates; the registry's
// mutex guards which sources exist and the growth of a source's outcome/format lists.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace newsd::metrics {

class SourceSeries;

// What SourceRegistry guards, kept alive by every series too: a source's series may outlive
// the registry (a source held by a handler still queued on a loop that is torn down later).
struct SourceRegistryState {
  std::mutex mu;
  struct Entry {
    SourceSeries* series;
    std::weak_ptr<SourceSeries> owner;
  };
  std::map<std::string, Entry, std::less<>> by_name;
  // Outcome and format values: a small closed set in practice (HTTP statuses, error classes,
  // format names); a deque so that the strings never move.
  std::deque<std::string> labels;
  const std::string* intern(std::string_view label);  // with mu held
};

class SourceSeries {
 public:
  enum class Post : std::uint8_t { parsed, new_post, updated, duplicate };

  SourceSeries(std::shared_ptr<SourceRegistryState> registry, std::string name);
  SourceSeries(const SourceSeries&) = delete;
  SourceSeries& operator=(const SourceSeries&) = delete;
  ~SourceSeries();

  const std::string& name() const { return name_; }

  // One finished fetch: its outcome (HTTP status, not_modified or error class), how long it
  // took and the bytes it received.
  void fetched(std::string_view outcome, double seconds, double bytes);
  void post(Post result, double n = 1);
  void parse_error(std::string_view format);
  void set_last_success(double unix_time) { set(Gauge::last_success, unix_time); }
  void set_consecutive_failures(double n) { set(Gauge::consecutive_failures, n); }
  void set_last_new_post(double unix_time) { set(Gauge::last_new_post, unix_time); }
  void set_next_poll(double unix_time) { set(Gauge::next_poll, unix_time); }
  // A poll whose entries were all new and that could not read back to one already seen.
  void gap();

 private:
  friend class SourceRegistry;
  enum class Gauge : std::uint8_t { last_success, consecutive_failures, last_new_post, next_poll };
  static constexpr std::size_t kGauges = 4;
  static constexpr std::size_t kPosts = 4;
  static constexpr std::size_t kBuckets = 13;  // latency_buckets() and +Inf

  // A series with a label value from an open set (outcomes, formats): a short list, grown
  // under the registry's mutex and never shrunk, so a scrape can walk it while holding it.
  struct Labelled {
    const std::string* label;  // interned by the registry, never moves or changes
    std::atomic<double> value{0};
    std::unique_ptr<Labelled> next;
  };

  void set(Gauge g, double v);
  void add(std::unique_ptr<Labelled>& list, std::string_view label, double n);

  const std::shared_ptr<SourceRegistryState> registry_;
  const std::string name_;
  const std::string label_;  // name_ escaped for the exposition
  // Bit i: series i exists (a series appears when first written, as with prometheus-cpp).
  std::atomic<std::uint32_t> present_{0};
  std::array<std::atomic<double>, kGauges> gauges_{};
  std::array<std::atomic<double>, kPosts> posts_{};
  std::atomic<double> fetch_bytes_{0};
  std::atomic<double> gaps_{0};
  std::array<std::atomic<std::uint64_t>, kBuckets> buckets_{};  // not cumulative
  std::atomic<double> duration_sum_{0};
  std::unique_ptr<Labelled> fetches_;       // by outcome
  std::unique_ptr<Labelled> parse_errors_;  // by format
};

// Every live SourceSeries, by name, and their part of the exposition.
class SourceRegistry {
 public:
  // The one family written by `write`, in exposition order.
  enum class Family : std::uint8_t {
    fetches,
    fetch_duration,
    fetch_bytes,
    posts,
    parse_errors,
    last_success,
    consecutive_failures,
    last_new_post,
    next_poll,
    gaps,
  };

  // The series of `name`, shared with whoever holds it already (two holders of one name write
  // one set of series, as two Add()s of the same labels do in prometheus-cpp). Removed from
  // the exposition when the last holder lets go.
  std::shared_ptr<SourceSeries> get(const std::string& name);

  // Appends the family's HELP/TYPE lines (when `from` is empty) and the series of the sources
  // after `from` in name order, stopping after the source that takes `out` past `limit`
  // bytes. Returns the last source written, "" when the family is complete.
  std::string write(Family f, const std::string& from, std::string& out, std::size_t limit) const;
  // The whole family at once (tests, small registries).
  void write(Family f, std::string& out) const;

  std::size_t size() const;

 private:
  std::shared_ptr<SourceRegistryState> state_ = std::make_shared<SourceRegistryState>();
};

}  // namespace newsd::metrics
