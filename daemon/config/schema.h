// The configuration's schema: one table per section, each row a key with its type, how it is
// read and checked, its help text and (through the struct it fills) its default. Loading and
// the generated docs/configuration.md (reference.h) both read these tables, so a key is
// declared once: a member with its default initializer in config.h and a row here.
//
// Rows are read in table order and a row's checks run right after it is read, so the order
// of the rows is the order of the problems a file gets; a `check` row placed after other keys
// runs a check that has to wait for them. Internal to the config module.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/map_reader.h"

namespace newsd::config::schema {

// Reports one problem at the key being checked.
using Fail = std::function<void(std::string message)>;
template <class T>
using Check = std::function<void(const T& value, const Fail& fail)>;

// One row of the table of a section that fills a struct S.
template <class S>
struct Field {
  std::string key;    // as written in YAML; the key a check row reports at
  std::string label;  // as the reference shows the key (markdown)
  std::string type;   // as the reference shows it, e.g. "duration ≥ 1s"
  std::string help;   // the reference's "meaning" (markdown)
  // The default as the reference shows it, when it is not the member's default value:
  // "required", "off", ...
  std::string note;
  std::function<std::string(const S&)> value;  // a default-built S's value, as YAML text
  std::function<void(MapReader&, S&)> read;    // null: the loader reads the key itself
  bool documented = true;
};

template <class S>
using Table = std::vector<Field<S>>;

template <class S>
void read(MapReader& r, S& out, const Table<S>& table) {
  for (const auto& f : table)
    if (f.read) f.read(r, out);
}

// The tables, in the order the loader reads the sections.
const Table<Config>& top_level_keys();
const Table<Metrics>& metrics_keys();
const Table<Kafka>& kafka_keys();
const Table<Http>& http_keys();
const Table<Admin>& admin_keys();
const Table<Source>& source_keys();
const Table<Adapt>& adapt_keys();
const Table<JsonApi>& json_api_keys();
const Table<JsonApi>& json_api_detail_keys();  // under `detail:`
const Table<State>& state_keys();
const Table<Paging>& paging_keys();
const Table<Cluster>& cluster_keys();

// Values as the reference writes them: the largest unit that is exact (90d, 500ms, 16MiB).
std::string format_duration(std::chrono::milliseconds d);
std::string format_size(std::size_t bytes);

// A row that reads a value of type T into the member `member` of S. Made by the factories
// below; converts to a Field.
template <class S, class T>
class Key {
 public:
  using Parse = void (*)(MapReader&, const Key&, T&);
  using Show = std::string (*)(const Key&, const T&);

  Key(std::string key, T S::*member, std::string type, Parse parse, Show show)
      : key_(std::move(key)), member_(member), type_(std::move(type)), parse_(parse), show_(show) {}

  Key& help(std::string text) {
    help_ = std::move(text);
    return *this;
  }
  // Shown in the reference instead of the default value.
  Key& shown_as(std::string note) {
    note_ = std::move(note);
    return *this;
  }
  // The key must be present (and a string not empty).
  Key& required() {
    required_ = true;
    note_ = "required";
    return *this;
  }
  Key& check(Check<T> c) {
    checks_.push_back(std::move(c));
    return *this;
  }
  // Durations: the least value accepted.
  Key& at_least(std::chrono::milliseconds min) {
    min_ = min;
    if (min > std::chrono::milliseconds(0)) type_ += " ≥ " + format_duration(min);
    return *this;
  }
  // Whole numbers: the range accepted; `lowest` says what the lowest value means.
  Key& range(std::size_t lo, std::size_t hi, const std::string& lowest = "") {
    lo_ = lo;
    hi_ = hi;
    const std::string from = std::to_string(lo) + (lowest.empty() ? "" : " (" + lowest + ")");
    expected_ = "expected a whole number from " + from + " to " + std::to_string(hi);
    type_ += " " + std::to_string(lo) + "–" + std::to_string(hi);
    return *this;
  }

  operator Field<S>() const {
    Field<S> f;
    f.key = key_;
    f.label = "`" + key_ + "`";
    f.type = type_;
    f.help = help_;
    f.note = note_;
    f.value = [self = *this](const S& s) { return self.show_(self, s.*self.member_); };
    f.read = [self = *this](MapReader& r, S& s) {
      T& value = s.*self.member_;
      self.parse_(r, self, value);
      for (const auto& c : self.checks_)
        c(value, [&](const std::string& message) { r.fail(self.key_, message); });
    };
    return f;
  }

  const std::string& key() const { return key_; }
  bool is_required() const { return required_; }
  std::chrono::milliseconds min() const { return min_; }
  std::size_t lo() const { return lo_; }
  std::size_t hi() const { return hi_; }
  const std::string& expected() const { return expected_; }

 private:
  std::string key_;
  T S::*member_;
  std::string type_;
  Parse parse_;
  Show show_;
  std::string help_, note_, expected_;
  bool required_ = false;
  std::chrono::milliseconds min_{0};
  std::size_t lo_ = 0, hi_ = 0;
  std::vector<Check<T>> checks_;
};

template <class S>
Key<S, std::string> text(std::string key, std::string S::*member) {
  using K = Key<S, std::string>;
  return K(
      std::move(key), member, "string",
      [](MapReader& r, const K& k, std::string& v) { r.string(k.key(), v, k.is_required()); },
      [](const K&, const std::string& v) { return v; });
}

template <class S>
Key<S, std::optional<std::string>> optional_text(std::string key,
                                                 std::optional<std::string> S::*member) {
  using K = Key<S, std::optional<std::string>>;
  return K(
      std::move(key), member, "string",
      [](MapReader& r, const K& k, std::optional<std::string>& v) {
        r.optional_string(k.key(), v);
      },
      [](const K&, const std::optional<std::string>& v) { return v.value_or(""); });
}

template <class S>
Key<S, bool> flag(std::string key, bool S::*member) {
  using K = Key<S, bool>;
  return K(
      std::move(key), member, "bool",
      [](MapReader& r, const K& k, bool& v) { r.boolean(k.key(), v); },
      [](const K&, const bool& v) { return std::string(v ? "true" : "false"); });
}

// Any std::chrono::duration member; written with a unit (30s, 5m), read at millisecond
// precision and truncated to the member's.
template <class S, class D>
Key<S, D> duration(std::string key, D S::*member) {
  using K = Key<S, D>;
  return K(
      std::move(key), member, "duration",
      [](MapReader& r, const K& k, D& v) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(v);
        r.duration(k.key(), ms, k.min());
        v = std::chrono::duration_cast<D>(ms);
      },
      [](const K&, const D& v) {
        return format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(v));
      });
}

// Bytes, written with a unit (512KiB, 16MiB); more than zero.
template <class S>
Key<S, std::size_t> size(std::string key, std::size_t S::*member) {
  using K = Key<S, std::size_t>;
  return K(
      std::move(key), member, "size",
      [](MapReader& r, const K& k, std::size_t& v) { r.size(k.key(), v); },
      [](const K&, const std::size_t& v) { return format_size(v); });
}

// A whole number; give its range().
template <class S>
Key<S, std::size_t> count(std::string key, std::size_t S::*member) {
  using K = Key<S, std::size_t>;
  return K(
      std::move(key), member, "integer",
      [](MapReader& r, const K& k, std::size_t& v) {
        r.count(k.key(), v, k.lo(), k.hi(), k.expected());
      },
      [](const K&, const std::size_t& v) { return std::to_string(v); });
}

// A mapping of names to strings, each value with ${...} references resolved.
template <class S>
Key<S, std::map<std::string, std::string>> string_map(
    std::string key, std::map<std::string, std::string> S::*member) {
  using K = Key<S, std::map<std::string, std::string>>;
  return K(
      std::move(key), member, "mapping",
      [](MapReader& r, const K& k, std::map<std::string, std::string>& v) {
        r.string_map(k.key(), v);
      },
      [](const K&, const std::map<std::string, std::string>&) { return std::string(); });
}

// A nested section: `key:` holds a mapping read with `table` into the member.
template <class S, class T>
Field<S> section(const std::string& key, T S::*member, const Table<T>& (*table)(), bool required,
                 const std::string& help) {
  Field<S> f;
  f.key = key;
  f.label = "`" + key + "`";
  f.type = "mapping";
  f.help = help;
  f.note = required ? "required" : "";
  f.read = [key, member, table, required](MapReader& r, S& s) {
    MapReader sr(r.ctx(), r.get(key, required), r.key_path(key));
    read(sr, s.*member, table());
    sr.finish();
  };
  return f;
}

// An optional nested section: the member is set when `key:` holds a mapping (read with
// `table`), and stays empty when the key is absent or null.
template <class S, class T>
Field<S> optional_section(const std::string& key, std::optional<T> S::*member,
                          const Table<T>& (*table)(), const std::string& help) {
  Field<S> f;
  f.key = key;
  f.label = "`" + key + "`";
  f.type = "mapping";
  f.help = help;
  f.note = "off";
  f.read = [key, member, table](MapReader& r, S& s) {
    const YAML::Node node = r.get(key, false);
    if (!node.IsDefined() || node.IsNull()) return;
    T value;
    MapReader sr(r.ctx(), node, r.key_path(key));
    read(sr, value, table());
    sr.finish();
    s.*member = std::move(value);
  };
  return f;
}

// A row whose reading is written out (or, without `read`, done by the loader itself).
template <class S>
Field<S> row(const std::string& key, const std::string& type, const std::string& note,
             const std::string& help, std::function<void(MapReader&, S&)> read = nullptr) {
  Field<S> f;
  f.key = key;
  f.label = "`" + key + "`";
  f.type = type;
  f.note = note;
  f.help = help;
  f.read = std::move(read);
  return f;
}

// The same row, shown in the reference as `label`, or not at all when `label` is empty.
template <class S>
Field<S> shown_as(const std::string& label, Field<S> f) {
  f.documented = !label.empty();
  f.label = label;
  return f;
}

// A check of the whole struct after the rows before it were read; reports at `key`.
template <class S>
Field<S> check(const std::string& key, Check<S> c) {
  Field<S> f;
  f.key = key;
  f.documented = false;
  f.read = [key, c = std::move(c)](MapReader& r, S& s) {
    c(s, [&](std::string message) { r.fail(key, std::move(message)); });
  };
  return f;
}

}  // namespace newsd::config::schema
