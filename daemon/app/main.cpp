// newsd: wires the stages together and implements the command line (DESIGN.md, Interfaces).

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <system_error>
#include <thread>

#include "app/cli.h"
#include "app/cluster_run.h"
#include "app/memory.h"
#include "app/notify.h"
#include "app/state_open.h"
#include "config/config.h"
#include "config/reference.h"
#include "core/build_info.h"
#include "core/log.h"
#include "dedupe/seen_store.h"
#include "fetch/curl_client.h"
#include "metrics/http_server.h"
#include "metrics/metrics.h"
#include "parse/parser.h"
#include "publish/kafka_stats.h"
#include "publish/publisher.h"
#include "schedule/engine.h"
#include "schedule/pruning.h"
#include "state/kafka_options.h"
#include "status/admin_token.h"
#include "status/board.h"
#include "status/client.h"
#include "status/routes.h"

namespace {

using namespace newsd;

constexpr int kExitConfig = 78;  // EX_CONFIG
constexpr int kExitFailure = 1;

int check_config(const std::string& path) {
  try {
    const auto cfg = config::load_file(path);
    std::cout << path << ": ok (" << cfg.sources.size() << " sources)\n";
    return 0;
  } catch (const config::ConfigErrors& e) {
    std::cerr << e.what() << '\n';
    return kExitConfig;
  }
}

// The daemon and `once`: one io_context drives timers, signals and all HTTP I/O.
// `commit`: with the stdout sink, mark printed posts seen (a dry run otherwise).
int serve(const std::string& config_path, bool once, const std::string& sink, bool commit) {
  const config::LoadOptions load_options{.require_kafka = sink != "stdout"};
  config::Config cfg;
  try {
    cfg = config::load_file(config_path, load_options);
  } catch (const config::ConfigErrors& e) {
    std::cerr << e.what() << '\n';
    return kExitConfig;
  }
  // A large config's YAML tree (~30 MB for 10,000 sources) is freed by now but stays
  // resident: return it before the libraries and stages below touch memory of their own.
  app::release_free_memory();
  log::configure(log::format_from_string(cfg.log_format).value_or(log::Format::text));
  log::set_level(cfg.log_level);
  auto log = log::get("main");
  boost::asio::io_context io;
  app::Notify notify(io);
  try {
    metrics::Metrics metrics;
    // Posts and their seen marks in one transaction of the publisher's producer; a dry run
    // has no producer (and config checks that the store is the Kafka one).
    const bool exactly_once = sink != "stdout" && cfg.kafka.delivery == "exactly_once";
    // Made before the store, which may write through its producer and must go first.
    std::unique_ptr<publish::Publisher> publisher;
    if (sink == "stdout") {
      publisher = publish::make_stdout(io, std::cout);
    } else {
      publish::KafkaOptions kafka;
      kafka.brokers = cfg.kafka.brokers;
      kafka.properties = cfg.kafka.properties;
      // Broker state, RTT and queue gauges come from librdkafka's statistics.
      kafka.properties.try_emplace("statistics.interval.ms", "5000");
      kafka.on_statistics = [&metrics](std::string_view j) {
        publish::export_statistics(j, metrics);
      };
      if (exactly_once) {
        kafka.transactional_id = app::transactional_id(cfg);
        if (const auto t = app::transaction_timeout(cfg))
          kafka.properties["transaction.timeout.ms"] = std::to_string(t->count());
      }
      publisher = publish::make_kafka(io, kafka);
    }
    // Several instances: each partition's state is restored when the group assigns it.
    const bool shared = cfg.cluster && !once;
    app::OpenedStore opened = app::open_store(cfg, *publisher, metrics, shared);
    auto& store = opened.store;
    // A producer or group member that failed for good: stop at once, systemd starts a fresh
    // instance.
    const auto stop_now = [log](const std::string& why) {
      log->critical("{}", why);
      log->flush();
      std::_Exit(kExitFailure);
    };
    std::optional<app::StoreWatch> watch;
    if (opened.kafka)
      // A fenced producer cannot commit again: what its open transaction holds is lost by
      // design (the restarted instance publishes it again), so stop at once and let systemd
      // start a fresh instance, which fences whichever of the two is the zombie.
      watch.emplace(io, *opened.kafka, metrics, [stop_now](const std::string& why) {
        stop_now("the state store's producer failed for good, stopping: " + why +
                 (why.find("fenced") != std::string::npos
                      ? " (another instance uses the same kafka.transactional_id, or the "
                        "coordinator aborted a transaction older than transaction.timeout.ms: "
                        "a broker failover that took longer)"
                      : ""));
      });
    auto http = fetch::make_curl_client(io);
    // Not in `once`: a single pass should not spend its time forgetting old posts.
    schedule::SeenPruner pruner(io, *store, metrics.seen_pruned.Add({}),
                                {.retention = cfg.retention});

    auto options_for = [&](const config::Config& c) {
      schedule::Options opts;
      opts.topic_template = c.kafka.topic;
      opts.http = c.http;
      opts.max_in_flight = c.kafka.max_in_flight;
      opts.once = once;
      opts.commit = sink != "stdout" || commit;
      opts.per_source_labels = c.metrics.per_source_labels;
      opts.exactly_once = exactly_once;
      if (exactly_once) opts.state_flush_delay = c.kafka.transaction_interval;
      // A dry run prints records only; unparseable documents are logged and counted.
      if (sink != "stdout") opts.dead_letter_topic = c.kafka.dead_letter_topic;
      // Feed parsing off the loop, by default one thread per core (at most 4): the loop
      // keeps fetching and acknowledging meanwhile. The pool is made once, at start-up.
      opts.parse_threads = cfg.parse_threads > 0
                               ? cfg.parse_threads
                               : std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 4);
      return opts;
    };
    // The operator's view: per-source records from the engine's poll reports, served on the
    // metrics listener (read-only) and on the admin listener (with the actions). It outlives
    // the engine, which reports to it.
    status::Board board;
    const status::Now now = [] { return std::chrono::system_clock::now(); };
    // The engine keeps the only copy of the sources (10,000 of them are megabytes).
    schedule::Engine engine(io, std::move(cfg.sources), *http, *store, *publisher, metrics,
                            options_for(cfg));
    cfg.sources.clear();
    engine.set_listener(&board);
    // Several instances: only the sources of the state partitions the group gives this one.
    std::optional<app::ClusterRun> cluster;
    if (shared && opened.kafka)
      // The member was fenced (another process with its cluster.instance, or its own rejoin
      // after a coordinator's loss): it can no longer tell what this instance owns.
      cluster.emplace(io, cfg, engine, *opened.kafka, metrics,
                      [stop_now](const std::string& why) { stop_now("stopping: " + why); });
    // Hand back what start-up freed, and keep doing so for what bursts of work free.
    app::release_free_memory();
    boost::asio::steady_timer trim(io);
    std::function<void()> arm_trim = [&] {
      trim.expires_after(std::chrono::seconds(10));
      trim.async_wait([&](boost::system::error_code ec) {
        if (ec) return;
        app::release_free_memory();
        arm_trim();
      });
    };
    if (!once) arm_trim();

    std::unique_ptr<metrics::HttpServer> admin;
    std::unique_ptr<metrics::HttpServer> server;
    // Counting the seen-store walks a whole index (20 ms per million entries, on the loop):
    // probes asking every few seconds get a count at most a minute old.
    std::optional<std::chrono::steady_clock::time_point> counted;
    if (!once) {
      server = std::make_unique<metrics::HttpServer>(
          io, cfg.metrics.listen, metrics,
          [&publisher, &metrics, &store, &engine, &counted, &cluster] {
            const bool kafka = publisher->reachable();
            metrics.kafka_reachable.Add({}).Set(kafka ? 1 : 0);
            const auto now = std::chrono::steady_clock::now();
            if (!counted || now - *counted >= std::chrono::minutes(1)) {
              metrics.seen_entries.Add({}).Set(double(store->size()));
              counted = now;
            }
            metrics::Readiness r;
            r.ready = kafka && publisher->fatal_error().empty() && (!cluster || cluster->ready());
            r.detail = std::string("state: ok\nkafka: ") + (kafka ? "reachable" : "unreachable");
            if (cluster) r.detail += "\n" + cluster->detail();
            if (!publisher->fatal_error().empty())
              r.detail += "\nkafka fatal: " + publisher->fatal_error();
            // Paused polls wait for Kafka; they resume by themselves and lose nothing.
            r.detail += "\npaused sources: " + std::to_string(engine.paused_sources());
            return r;
          },
          metrics::ServerOptions{.routes = status::read_routes(board, now)});
      log->info("metrics on http://{}:{}/metrics",
                cfg.metrics.listen.substr(0, cfg.metrics.listen.rfind(':')), server->port());
      if (!cfg.admin.listen.empty()) {
        status::Actions actions{[&engine](const std::string& n) { return engine.poll_now(n); },
                                [&engine](const std::string& n) { return engine.pause(n); },
                                [&engine](const std::string& n) { return engine.resume(n); }};
        const std::string token = status::read_token(cfg.admin.token_file);
        admin = std::make_unique<metrics::HttpServer>(
            io, cfg.admin.listen, metrics,
            [&publisher] {
              const bool kafka = publisher->reachable();
              return metrics::Readiness{kafka, kafka ? "kafka: reachable" : "kafka: unreachable"};
            },
            metrics::ServerOptions{
                .purpose = "the admin listener",
                .routes = status::admin_routes(board, std::move(actions), token, now),
                .writable = true});
        log->info("admin actions on http://{}:{}/api/v1/sources ({})",
                  cfg.admin.listen.substr(0, cfg.admin.listen.rfind(':')), admin->port(),
                  token.empty() ? "no token" : "bearer token required");
      }
    }

    boost::asio::steady_timer deadline(io);
    int signals_seen = 0;
    boost::asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
    std::function<void()> wait_signal;
    auto shutdown = [&] {
      notify.stopping("stopping: letting polls under way finish");
      if (cluster)  // the partitions are released (polls end, marks durable) before leaving
        cluster->leave([&engine] { engine.stop(); });
      else
        engine.stop();
      // In-flight polls get a bounded time to end; the rest is re-polled at next start.
      deadline.expires_after(std::chrono::seconds(30));
      deadline.async_wait([&](boost::system::error_code ec) {
        if (!ec) {
          log->warn("polls still under way after 30s; stopping anyway");
          io.stop();
        }
      });
    };
    // SIGHUP: a valid new config replaces the sources (state kept); an invalid one is
    // rejected and the running one stays. Kafka, state and metrics settings need a restart.
    // The file is read on a thread of its own: yaml-cpp takes about a second for 10,000
    // sources, which on the loop would hold up every fetch and delivery report. A SIGHUP
    // while a read is under way asks for one more read after it (the file may have changed
    // again); one arriving after SIGTERM is dropped.
    bool reading = false;
    bool read_again = false;
    std::thread reader;
    struct JoinAtExit {
      std::thread& t;
      ~JoinAtExit() {
        if (t.joinable()) t.join();
      }
    } join_reader{reader};
    std::function<void()> reload;
    auto apply = [&](std::optional<config::Config> loaded, const std::string& error) {
      reading = false;
      if (signals_seen > 0) {
        log->info("reload dropped: stopping");
        return;
      }
      if (!loaded) {
        log->error("reload rejected, the running configuration stays:\n{}", error);
        metrics.config_reloads.Add({{"result", "failure"}}).Increment();
      } else {
        config::Config& next = *loaded;
        if (next.kafka.brokers != cfg.kafka.brokers ||
            next.kafka.properties != cfg.kafka.properties || next.state_dir != cfg.state_dir ||
            next.metrics.listen != cfg.metrics.listen || next.state != cfg.state ||
            next.kafka.delivery != cfg.kafka.delivery)
          log->warn(
              "reload: kafka, state_dir, state and metrics settings take effect at the next "
              "restart; sources, http settings and retention apply now");
        log::set_level(next.log_level);
        const std::size_t count = next.sources.size();
        const auto sum = engine.reconfigure(std::move(next.sources), options_for(next));
        if (cluster) cluster->sources_changed();
        log->info("reload: {} sources ({} added, {} removed, {} changed, {} unchanged)", count,
                  sum.added, sum.removed, sum.changed, sum.unchanged);
        cfg.http = next.http;
        cfg.kafka.topic = next.kafka.topic;
        cfg.kafka.max_in_flight = next.kafka.max_in_flight;
        cfg.log_level = next.log_level;
        cfg.retention = next.retention;
        pruner.set_retention(next.retention);
        metrics.config_reloads.Add({{"result", "success"}}).Increment();
      }
      if (read_again) {
        read_again = false;
        reload();
        return;
      }
      notify.ready("polling " + std::to_string(engine.source_count()) + " sources");
    };
    // Runs on the reader thread: reads only the file, then hands the result to the loop.
    const auto read_config = [&io, &config_path, &load_options, &apply] {
      std::optional<config::Config> loaded;
      std::string error;
      try {
        loaded = config::load_file(config_path, load_options);
      } catch (const config::ConfigErrors& e) {
        error = e.what();
      } catch (const std::exception& e) {
        error = e.what();
      }
      // Not run if the loop has stopped meanwhile: the read is simply forgotten.
      boost::asio::post(io,
                        [&apply, loaded = std::move(loaded), error = std::move(error)]() mutable {
                          apply(std::move(loaded), error);
                        });
    };
    reload = [&] {
      if (reading) {
        read_again = true;
        return;
      }
      reading = true;
      notify.reloading();
      if (reader.joinable()) reader.join();  // the last read, ended: its result was posted
      try {
        reader = std::thread(read_config);
      } catch (const std::system_error& e) {  // no thread to be had: the old config stays
        reading = false;
        log->error("reload rejected, cannot start reading the configuration: {}", e.what());
        metrics.config_reloads.Add({{"result", "failure"}}).Increment();
        notify.ready("polling " + std::to_string(engine.source_count()) + " sources");
      }
    };
    wait_signal = [&] {
      signals.async_wait([&](boost::system::error_code ec, int sig) {
        if (ec) return;
        if (sig == SIGHUP) {
          if (signals_seen == 0) reload();
        } else if (++signals_seen == 1) {
          log->info("signal {}: draining and stopping", sig);
          shutdown();
        } else {
          log->warn("second signal: exiting now");
          store->flush();  // what was acknowledged stays seen; a quick local commit
          std::_Exit(0);
        }
        wait_signal();
      });
    };
    wait_signal();

    engine.on_idle([&] {
      pruner.stop();
      if (watch) watch->stop();
      deadline.cancel();
      trim.cancel();
      signals.cancel();
      if (server) server->stop();
      if (admin) admin->stop();
      http->shutdown();
      io.stop();
    });
    engine.start();
    if (!once) {
      pruner.start();
      notify.ready("polling " + std::to_string(engine.source_count()) + " sources");
      notify.start([&] {
        return "polling " + std::to_string(engine.source_count()) + " sources; " +
               std::to_string(engine.delivered()) + " posts delivered, " +
               std::to_string(engine.failed_polls()) + " failed polls";
      });
      log->info("polling {} sources; publishing to {} ({})", engine.source_count(),
                sink == "stdout" ? "stdout" : cfg.kafka.brokers, cfg.kafka.topic);
      log->debug("allocator: {}", app::allocator_name());
    }
    io.run();
    if (watch) watch->update();

    const bool failed = engine.failed_polls() > 0 || publisher->in_flight() > 0;
    if (once)
      log->info("once: {} posts delivered, {} failed polls", engine.delivered(),
                engine.failed_polls());
    return once && failed ? kExitFailure : 0;
  } catch (const state::StateTopicError& e) {  // an unfit state topic or broker
    log->critical("{}", e.what());
    return kExitConfig;
  } catch (const std::exception& e) {
    log->critical("{}", e.what());
    return kExitFailure;
  }
}

}  // namespace

int main(int argc, char** argv) {
  // A state file that hits a size limit must fail the write (counted, retried: nothing is
  // lost), not kill the daemon; likewise a peer closing a socket.
  std::signal(SIGXFSZ, SIG_IGN);
  std::signal(SIGPIPE, SIG_IGN);
  app::tune_allocator();
  CLI::App app{"newsd: a streaming news-ingest daemon (sources -> normalized JSON -> Kafka)"};
  app.require_subcommand(0, 1);
  app.set_version_flag(
      "--version",
      "newsd " + std::string(build::version()) + " (commit " + std::string(build::commit()) + ")",
      "print the version and the commit of the build, then exit");
  std::string config_path;
  app.add_option("--config", config_path, "configuration file (runs the daemon)");

  auto* run = app.add_subcommand("run", "run the daemon");
  run->add_option("--config", config_path, "configuration file")->required();

  std::string check_path;
  auto* check = app.add_subcommand("check-config", "validate a configuration file");
  check->add_option("file", check_path, "configuration file")->required();

  // Hidden: prints docs/configuration.md as the key tables make it.
  auto* reference = app.add_subcommand("config-reference")->group("");

  std::string sink = "kafka";
  bool commit = false;
  auto* once = app.add_subcommand("once", "poll every source once, wait for delivery, exit");
  once->add_option("--config", config_path, "configuration file")->required();
  once->add_option("--sink", sink,
                   "where records go; stdout needs no kafka: section and is a dry run: it "
                   "records nothing as seen, so the next run prints the same posts again")
      ->check(CLI::IsMember({"kafka", "stdout"}));
  once->add_flag("--commit", commit,
                 "with --sink stdout: record printed posts as seen, so the next run prints only "
                 "new or changed ones (cron-style use)");

  std::vector<std::string> files;
  std::string format = "auto", url, timezone = "UTC", source = "local";
  auto* parse_cmd = app.add_subcommand("parse", "print the records found in local files");
  parse_cmd->add_option("--format", format,
                        "auto, rss, rdf, atom, jsonfeed, jekyll, html, text, sitemap");
  parse_cmd->add_option("--url", url, "the URL the files were fetched from");
  parse_cmd->add_option("--timezone", timezone, "zone for times without an offset");
  parse_cmd->add_option("--source", source, "source name to put in the records");
  parse_cmd->add_option("files", files, "files to parse")->required();

  std::string agent = "newsd", robots_file;
  std::vector<std::string> robots_urls;
  auto* robots_cmd = app.add_subcommand("robots", app::kRobotsHelp);
  robots_cmd->add_option("--agent", agent, "crawler name or User-Agent (default newsd)");
  robots_cmd->add_option("robots_file", robots_file, "a robots.txt file")->required();
  robots_cmd->add_option("urls", robots_urls, "URLs or paths to decide")->required();

  std::string opml_file;
  auto* opml_cmd = app.add_subcommand(
      "import-opml",
      "print an OPML subscription list as sources (source_files also reads .opml files as they "
      "are)");
  opml_cmd->add_option("file", opml_file, "OPML file")->required();

  app::StateCommand state_cmd;
  app::add_state_command(app, state_cmd);
  bool status_json = false;
  auto* status_cmd = app.add_subcommand(
      "status",
      "print the running daemon's sources, failing ones first (its status API at the "
      "configuration's metrics.listen); exit status 0 when none is failing, 1 when some are, "
      "2 when the daemon cannot be reached, 78 when the configuration cannot be read");
  status_cmd->add_option("--config", config_path, "configuration file")
      ->default_str("/etc/newsd/newsd.yaml");
  status_cmd->add_flag("--json", status_json, "print the status API's document of every source");

  CLI11_PARSE(app, argc, argv);

  if (*check) return check_config(check_path);
  if (*reference) return std::cout << config::reference(), 0;
  if (*robots_cmd) return app::robots_command(agent, robots_file, robots_urls);
  if (*opml_cmd) return app::import_opml_command(opml_file);
  if (const auto rc = app::run_state_command(state_cmd)) return *rc;
  if (*parse_cmd) return app::parse_command(files, format, url, timezone, source);
  if (*status_cmd)
    return status::status_command(config_path.empty() ? "/etc/newsd/newsd.yaml" : config_path,
                                  status_json);
  if (*once) return serve(config_path, true, sink, commit);
  if (*run || !config_path.empty()) return serve(config_path, false, "kafka", true);
  std::cerr << app.help();
  return kExitConfig;
}
