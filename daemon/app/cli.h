// Subcommands of the newsd command line that stand apart from the daemon: each reads local
// files and prints to stdout/stderr. main.cpp registers them with CLI11.
#pragma once

#include <string>
#include <vector>

namespace newsd::app {

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

}  // namespace newsd::app
