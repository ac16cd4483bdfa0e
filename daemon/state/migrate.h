// Moving a SQLite state into the state topic without re-publishing anything
// (docs/state-topic.md, "Migrating a SQLite state"): `newsd state export` writes every seen
// mark and poll state of a stopped newsd's SQLite database as JSON Lines; `newsd state
// import` writes them as records of the state topic, with the keys, values and partitions
// the daemon itself would write (record.h), so the Kafka store restores exactly that state.
//
// The export, one JSON object per line:
//   {"type":"newsd-state-export","version":1,"database":PATH,"marks":N,"poll_states":M}
//   {"type":"mark","source":S,"id":I,"content_sha256":H,"acked_at":T,"updated_at":T|null}
//   {"type":"poll_state","source":S,"etag":E|null,"last_modified":L|null,
//    "consecutive_failures":F}
//   {"type":"end","marks":N,"poll_states":M}
// Times are seconds since the Unix epoch. The first and last lines bracket the records, so a
// truncated export (a full disk, a broken pipe) is refused rather than half imported.
//
// Thread-safety: free functions, one caller's thread. Error policy: a malformed export
// throws MigrationError naming the line; the SQLite side throws dedupe::StoreError; the
// topic side StateTopicError (unfit topic, unreachable brokers, records not acknowledged).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <stdexcept>
#include <string>

#include "state/kafka_options.h"
#include "state/writer.h"

namespace newsd::state {

class MigrationError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct MigrationStats {
  std::uint64_t marks = 0;
  std::uint64_t poll_states = 0;
};

// Writes the export of `state_dir`'s SQLite state to `out` (see dedupe::SqliteStateReader:
// refused while newsd runs). Throws dedupe::StoreError, or MigrationError when `out` fails.
MigrationStats export_sqlite(const std::filesystem::path& state_dir, std::ostream& out);

// Reads an export from `in`, checking every line, and hands each record to `writer` (the
// partition out of `partitions`, the key, the value); `writer` null only checks. Returns the
// counts of the end line. Throws MigrationError ("line N: ...") at the first fault.
using RecordSink =
    std::function<void(std::int32_t partition, const std::string& key, const std::string& value)>;
MigrationStats read_export(std::istream& in, std::int32_t partitions, const RecordSink& writer);

struct ImportOptions {
  // Import although the topic already holds state (the imported records then replace those
  // of the same keys; marks of posts the SQLite state never saw stay).
  bool force = false;
  // Called after every `every` records acknowledged and at the end.
  std::function<void(std::uint64_t records)> progress;
  std::uint64_t every = 100'000;
};

// Checks the topic as the daemon does (ensure_topic: created if missing, compacted, the
// configured partition count), refuses one that already holds state unless options.force,
// then writes the export's records with an idempotent producer and waits until the brokers
// acknowledged every one. Throws StateTopicError (the topic, or records not acknowledged:
// run the import again with force) or MigrationError (the export; the records before the
// faulty line may be written when `in` was not checked first with read_export).
MigrationStats import_export(const KafkaStateOptions& options, std::istream& in,
                             const ImportOptions& import = {});

}  // namespace newsd::state
