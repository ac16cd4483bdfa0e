// Subcommands of the newsd command line that stand apart from the daemon: each reads local
// files and prints to stdout/stderr. main.cpp registers them with CLI11.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace newsd::app {

// `newsd parse [--format F] [--url URL] [--timezone TZ] FILE...`: one JSON record per line
// for the posts of each file. A file that cannot be read or parsed is named on stderr and the
// others are still processed. Exit status: 0 every file parsed, 1 some file did not, 78 an
// unknown format.
int parse_command(const std::vector<std::string>& files, const std::string& format_name,
                  const std::string& url, const std::string& timezone, const std::string& source);

// `newsd robots [--agent A] ROBOTS_FILE URL...`: per URL one line
// "allowed|disallowed <TAB> URL <TAB> the deciding rule (line N: text) or why none did".
// Exit status: 0 every URL allowed, 1 some URL disallowed, 2 the file cannot be read.
int robots_command(const std::string& agent, const std::string& file,
                   const std::vector<std::string>& urls);
inline constexpr const char* kRobotsHelp =
    "decide URLs against a robots.txt file (RFC 9309) and name the deciding rule; exit status "
    "0 when every URL is allowed, 1 when some URL is disallowed, 2 when the file cannot be read";

// `newsd import-opml FILE`: the OPML subscription list as a YAML `sources:` list. Exit
// status: 0 written, 78 the file is not a readable OPML document (file:line errors on
// stderr). Outlines that are skipped are named on stderr.
int import_opml_command(const std::string& file);

// `newsd state export --config FILE [--output FILE]`: the SQLite state under state_dir (of a
// stopped newsd) as JSON Lines; `newsd state import --config FILE [--input FILE] [--force]`:
// an export written into the state topic of state.backend: kafka (state/migrate.h). Exit
// status: 0 done; 1 the SQLite state cannot be read (or newsd still runs), the export is
// faulty or incomplete, or records were not acknowledged; 78 the configuration is invalid,
// the topic unfit, or (import without --force) the topic already holds state.
struct StateCommand {
  CLI::App* export_cmd = nullptr;
  CLI::App* import_cmd = nullptr;
  std::string config, file;
  bool force = false;
};
void add_state_command(CLI::App& app, StateCommand& cmd);
// The exit status of the state subcommand given, or nullopt when none was.
std::optional<int> run_state_command(const StateCommand& cmd);
inline constexpr const char* kStateHelp =
    "move the seen marks and poll states from SQLite to the Kafka state topic (export, then "
    "import), so that nothing is published again";
inline constexpr const char* kStateExportHelp =
    "write the SQLite state under state_dir as JSON Lines; stop newsd first (refused while a "
    "process has the database open)";
inline constexpr const char* kStateImportHelp =
    "write an export into the state topic of state.backend: kafka (checked and created as the "
    "daemon does); refused when the topic already holds state, unless --force";

}  // namespace newsd::app
