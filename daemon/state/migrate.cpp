#include "state/migrate.h"

#include <algorithm>
#include <boost/json.hpp>
#include <istream>
#include <ostream>

#include "dedupe/sqlite_reader.h"
#include "state/index.h"
#include "state/record.h"
#include "state/restore.h"
#include "state/topic_admin.h"

namespace newsd::state {
namespace {

namespace json = boost::json;

constexpr std::string_view kFormat = "newsd-state-export";
constexpr std::int64_t kVersion = 1;

json::value optional_text(const std::optional<std::string>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

// One line of an export being read: typed access to its fields, faults naming the line.
class Line {
 public:
  Line(std::uint64_t number, std::string_view text) : number_(number) {
    json::parse_options options;
    options.allow_invalid_utf8 = true;  // ids are copied byte for byte, as SQLite held them
    std::error_code ec;
    json::value v = json::parse(text, ec, {}, options);
    if (ec || !v.is_object()) fail("not a JSON object");
    object_ = std::move(v.as_object());
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw MigrationError("line " + std::to_string(number_) + ": " + what);
  }

  const json::value& field(std::string_view name) const {
    const json::value* v = object_.if_contains(name);
    if (v == nullptr) fail("no \"" + std::string(name) + "\"");
    return *v;
  }
  std::string text(std::string_view name) const {
    const json::value& v = field(name);
    if (!v.is_string()) fail("\"" + std::string(name) + "\" is not a string");
    return std::string(v.as_string());
  }
  std::optional<std::string> text_or_null(std::string_view name) const {
    if (field(name).is_null()) return std::nullopt;
    return text(name);
  }
  std::int64_t integer(std::string_view name) const {
    const json::value& v = field(name);
    if (v.is_int64()) return v.as_int64();
    if (v.is_uint64() && v.as_uint64() <= INT64_MAX)
      return static_cast<std::int64_t>(v.as_uint64());
    fail("\"" + std::string(name) + "\" is not an integer");
  }
  std::optional<std::int64_t> integer_or_null(std::string_view name) const {
    if (field(name).is_null()) return std::nullopt;
    return integer(name);
  }
  std::uint64_t count(std::string_view name) const {
    const std::int64_t n = integer(name);
    if (n < 0) fail("\"" + std::string(name) + "\" is negative");
    return static_cast<std::uint64_t>(n);
  }

 private:
  std::uint64_t number_;
  json::object object_;
};

}  // namespace

MigrationStats export_sqlite(const std::filesystem::path& state_dir, std::ostream& out) {
  dedupe::SqliteStateReader db(state_dir);
  const MigrationStats counts{db.marks(), db.poll_states()};
  auto line = [&](const json::object& o) { out << json::serialize(o) << '\n'; };
  line({{"type", kFormat},
        {"version", kVersion},
        {"database", db.path()},
        {"marks", counts.marks},
        {"poll_states", counts.poll_states}});
  db.each_mark([&](const dedupe::StoredMark& m) {
    line({{"type", "mark"},
          {"source", m.source},
          {"id", m.id},
          {"content_sha256", m.content_sha256},
          {"acked_at", m.acked_at},
          {"updated_at", m.updated_at ? json::value(*m.updated_at) : json::value(nullptr)}});
  });
  db.each_poll_state([&](const std::string& source, const dedupe::PollState& st) {
    line({{"type", "poll_state"},
          {"source", source},
          {"etag", optional_text(st.etag)},
          {"last_modified", optional_text(st.last_modified)},
          {"consecutive_failures", st.consecutive_failures}});
  });
  line({{"type", "end"}, {"marks", counts.marks}, {"poll_states", counts.poll_states}});
  out.flush();
  if (!out) throw MigrationError("cannot write the export (a full disk or a closed pipe)");
  return counts;
}

MigrationStats read_export(std::istream& in, std::int32_t partitions, const RecordSink& writer) {
  std::string text;
  std::uint64_t number = 0;
  if (!std::getline(in, text)) throw MigrationError("the input is empty: not a newsd state export");
  ++number;
  MigrationStats declared;
  {
    const Line head(number, text);
    if (head.field("type") != json::value(kFormat)) head.fail("not a newsd state export");
    if (head.integer("version") != kVersion)
      head.fail("export version " + std::to_string(head.integer("version")) +
                " is not one this newsd reads (" + std::to_string(kVersion) + ")");
    declared = {head.count("marks"), head.count("poll_states")};
  }
  MigrationStats seen;
  bool ended = false;
  while (std::getline(in, text)) {
    ++number;
    const Line line(number, text);
    if (ended) line.fail("a record after the end line");
    const std::string type = line.text("type");
    if (type == "mark") {
      const std::string source = line.text("source");
      const std::string id = line.text("id");
      MarkValue v{ContentHash::from_text(line.text("content_sha256")), line.integer("acked_at"),
                  line.integer_or_null("updated_at"), id};
      ++seen.marks;
      if (writer)
        writer(partition_of(source, partitions), mark_key(source, hash_id(id)), encode_mark(v));
    } else if (type == "poll_state") {
      const std::string source = line.text("source");
      dedupe::PollState st{line.text_or_null("etag"), line.text_or_null("last_modified"), 0};
      const std::int64_t failures = line.integer("consecutive_failures");
      if (failures < 0 || failures > INT32_MAX)
        line.fail("\"consecutive_failures\" is out of range");
      st.consecutive_failures = static_cast<int>(failures);
      ++seen.poll_states;
      if (writer) writer(partition_of(source, partitions), poll_key(source), encode_poll(st));
    } else if (type == "end") {
      const MigrationStats end{line.count("marks"), line.count("poll_states")};
      if (end.marks != declared.marks || end.poll_states != declared.poll_states ||
          seen.marks != declared.marks || seen.poll_states != declared.poll_states)
        line.fail("the export declares " + std::to_string(declared.marks) + " marks and " +
                  std::to_string(declared.poll_states) + " poll states but holds " +
                  std::to_string(seen.marks) + " and " + std::to_string(seen.poll_states));
      ended = true;
    } else {
      line.fail("unknown record type \"" + type + "\"");
    }
  }
  if (in.bad()) throw MigrationError("cannot read the export after line " + std::to_string(number));
  if (!ended)
    throw MigrationError("the export ends at line " + std::to_string(number) +
                         " without its end line: it is incomplete (" + std::to_string(seen.marks) +
                         " of " + std::to_string(declared.marks) + " marks)");
  return seen;
}

MigrationStats import_export(const KafkaStateOptions& o, std::istream& in,
                             const ImportOptions& import) {
  ensure_topic(o);
  if (!import.force) {
    StateIndex existing;
    restore(o, all_partitions(o), existing);
    if (existing.size() > 0 || existing.poll_states() > 0)
      throw StateTopicError("state topic " + o.topic + " already holds state (" +
                            std::to_string(existing.size()) + " seen marks, " +
                            std::to_string(existing.poll_states()) +
                            " poll states); importing would mix two states. Import into a new "
                            "topic, or import anyway with --force");
  }
  const auto writer = make_idempotent_writer(o);
  std::uint64_t records = 0;
  auto settle = [&] {
    if (!writer->flush())
      throw StateTopicError(
          "state topic " + o.topic + ": records of the import were not acknowledged (" +
          std::to_string(writer->stats().failed) + " lost); run the import again with --force");
    if (import.progress) import.progress(records);
  };
  const MigrationStats stats = read_export(
      in, o.partitions, [&](std::int32_t p, const std::string& k, const std::string& v) {
        if (!writer->write(p, k, v))
          throw StateTopicError("state topic " + o.topic + ": cannot queue a record of the import");
        if (++records % std::max<std::uint64_t>(import.every, 1) == 0) settle();
      });
  settle();
  return stats;
}

}  // namespace newsd::state
