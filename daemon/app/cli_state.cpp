// `newsd state export|import`: moving a SQLite state into the state topic (state/migrate.h,
// docs/state-topic.md "Migrating a SQLite state").
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "app/cli.h"
#include "app/state_open.h"
#include "config/config.h"
#include "core/log.h"
#include "state/migrate.h"
#include "state/topic_admin.h"

namespace newsd::app {
namespace {

constexpr int kExitConfig = 78;  // EX_CONFIG, as check-config and the daemon
constexpr int kExitFailure = 1;

// The configuration, with logging set up as it asks (the state module logs what it does to
// the topic); nullopt after printing its errors.
std::optional<config::Config> load(const std::string& path, bool require_kafka) {
  try {
    config::Config cfg = config::load_file(path, {.require_kafka = require_kafka});
    log::configure(log::format_from_string(cfg.log_format).value_or(log::Format::text));
    log::set_level(cfg.log_level);
    return cfg;
  } catch (const config::ConfigErrors& e) {
    std::cerr << e.what() << '\n';
    return std::nullopt;
  }
}

bool is_stdio(const std::string& file) {
  return file.empty() || file == "-";
}

int export_command(const std::string& config_path, const std::string& output) {
  const auto cfg = load(config_path, false);
  if (!cfg) return kExitConfig;
  // Written beside the output and renamed into place when complete: a file named `output`
  // is always a whole export.
  const std::string partial = output + ".partial";
  try {
    state::MigrationStats s;
    if (is_stdio(output)) {
      s = state::export_sqlite(cfg->state_dir, std::cout);
    } else {
      {
        std::ofstream out(partial, std::ios::binary | std::ios::trunc);
        if (!out) throw state::MigrationError("cannot create " + partial);
        s = state::export_sqlite(cfg->state_dir, out);
        out.close();
        if (!out) throw state::MigrationError("cannot write " + partial);
      }
      std::filesystem::rename(partial, output);
    }
    std::cerr << "exported " << s.marks << " seen marks and " << s.poll_states
              << " poll states from "
              << (std::filesystem::path(cfg->state_dir) / "newsd.sqlite3").string()
              << (is_stdio(output) ? "" : " to " + output) << '\n';
    return 0;
  } catch (const std::exception& e) {  // StoreError, MigrationError, filesystem_error
    if (!is_stdio(output)) std::filesystem::remove(partial);
    std::cerr << "newsd state export: " << e.what() << '\n';
    return kExitFailure;
  }
}

int import_command(const std::string& config_path, const std::string& input, bool force) {
  const auto cfg = load(config_path, true);
  if (!cfg) return kExitConfig;
  if (cfg->state.backend != "kafka") {
    std::cerr << config_path << ": state.backend is " << cfg->state.backend
              << "; newsd state import writes the state topic that state.backend: kafka reads, "
                 "so set it (with state.topic and state.partitions as newsd will run) first\n";
    return kExitConfig;
  }
  const state::KafkaStateOptions options = state_options(*cfg);
  state::ImportOptions import{.force = force, .progress = [](std::uint64_t records) {
                                std::cerr << records << " records written\n";
                              }};
  try {
    state::MigrationStats s;
    if (is_stdio(input)) {
      s = state::import_export(options, std::cin, import);
    } else {
      // A file is checked whole before anything is written: a faulty or truncated export
      // leaves the topic untouched.
      std::ifstream check(input, std::ios::binary);
      if (!check) throw state::MigrationError("cannot read " + input);
      state::read_export(check, options.partitions, {});
      std::ifstream in(input, std::ios::binary);
      s = state::import_export(options, in, import);
    }
    std::cerr << "imported " << s.marks << " seen marks and " << s.poll_states
              << " poll states into the state topic " << options.topic << " at " << options.brokers
              << '\n';
    return 0;
  } catch (const state::StateTopicError& e) {
    std::cerr << "newsd state import: " << e.what() << '\n';
    return kExitConfig;
  } catch (const std::exception& e) {  // MigrationError, StoreError
    std::cerr << "newsd state import: " << (is_stdio(input) ? "" : input + ": ") << e.what()
              << '\n';
    return kExitFailure;
  }
}

}  // namespace

void add_state_command(CLI::App& app, StateCommand& cmd) {
  auto* state = app.add_subcommand("state", kStateHelp);
  state->require_subcommand(1);
  cmd.export_cmd = state->add_subcommand("export", kStateExportHelp);
  cmd.export_cmd->add_option("--config", cmd.config, "configuration file (its state_dir)")
      ->required();
  cmd.export_cmd->add_option("--output", cmd.file, "file to write (default: standard output)");
  cmd.import_cmd = state->add_subcommand("import", kStateImportHelp);
  cmd.import_cmd
      ->add_option("--config", cmd.config,
                   "configuration file with state.backend: kafka (its kafka and state sections)")
      ->required();
  cmd.import_cmd->add_option("--input", cmd.file, "export to read (default: standard input)");
  cmd.import_cmd->add_flag("--force", cmd.force,
                           "import although the state topic already holds state");
}

std::optional<int> run_state_command(const StateCommand& cmd) {
  if (cmd.export_cmd && *cmd.export_cmd) return export_command(cmd.config, cmd.file);
  if (cmd.import_cmd && *cmd.import_cmd) return import_command(cmd.config, cmd.file, cmd.force);
  return std::nullopt;
}

}  // namespace newsd::app
