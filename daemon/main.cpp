// ravaod: the ravao gateway daemon. Usage: ravaod --help.

#include <csignal>
#include <cstdio>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <sqlite3.h>

#include "app.hpp"
#include "config/udev_rules.hpp"
#include "common/log.hpp"
#include "common/log_events.hpp"
#include "common/supervise.hpp"

namespace {

constexpr std::string_view default_config = "/etc/ravao/ravao.toml";

void usage(std::FILE* to) {
  std::fprintf(to,
               "usage: ravaod [--config FILE]        run the daemon (default %s)\n"
               "       ravaod --check-config FILE    validate FILE: prints FILE:LINE: message per error\n"
               "       ravaod --print-config-keys    every configuration key, as Markdown\n"
               "       ravaod --print-log-events     every log event of every ravao program, as Markdown\n"
               "       ravaod --print-udev-rules [FILE]\n"
               "                                     udev rules for the USB scanners and printers FILE names\n"
               "                                     (default: the --config file); an invalid FILE: its\n"
               "                                     FILE:LINE: messages on stderr, exit 1\n"
               "       ravaod --version\n"
               "options: --log-level debug|info|notice|warning|error   --log-target auto|stderr|journal\n",
               default_config.data());
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ravao;
  // A closed stderr pipe (ravaod | tee, a log shipper restarting) must not
  // kill the daemon; writes then just fail.
  std::signal(SIGPIPE, SIG_IGN);
  std::string config_path(default_config);
  std::string check_path;
  bool print_udev_rules = false;
  std::string udev_rules_path;  // empty: the --config file
  log::level level = log::level::info;
  log::sink target = log::sink::automatic;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "ravaod: %s needs a value\n", argv[i]);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--config" || a == "-c") config_path = value();
    else if (a == "--check-config") check_path = value();
    else if (a == "--print-udev-rules") {
      print_udev_rules = true;
      // The file is optional (the permission error names the bare flag):
      // without it, the --config file.
      if (i + 1 < argc && argv[i + 1][0] != '-') udev_rules_path = argv[++i];
    }
    else if (a == "--print-log-events") {
      std::fputs(log::describe_log_events().c_str(), stdout);
      return 0;
    } else if (a == "--print-config-keys") {
      std::fputs(describe_config_keys().c_str(), stdout);
      return 0;
    } else if (a == "--version") {
      std::printf("ravaod %s\n", RAVAO_VERSION);
      return 0;
    } else if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    } else if (a == "--log-level") {
      const std::string v = value();
      if (v == "debug") level = log::level::debug;
      else if (v == "info") level = log::level::info;
      else if (v == "notice") level = log::level::notice;
      else if (v == "warning") level = log::level::warning;
      else if (v == "error") level = log::level::error;
      else { std::fprintf(stderr, "ravaod: unknown log level \"%s\"\n", v.c_str()); return 2; }
    } else if (a == "--log-target") {
      const std::string v = value();
      if (v == "auto") target = log::sink::automatic;
      else if (v == "stderr") target = log::sink::stderr_text;
      else if (v == "journal") target = log::sink::journal;
      else { std::fprintf(stderr, "ravaod: unknown log target \"%s\"\n", v.c_str()); return 2; }
    } else {
      std::fprintf(stderr, "ravaod: unknown argument \"%s\"\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }

  if (!check_path.empty()) {
    // Exactly the validation start-up runs; nothing printed when valid.
    auto cfg = load_config(check_path);
    if (cfg) return 0;
    for (const auto& d : cfg.error()) std::printf("%s\n", d.to_string().c_str());
    return 1;
  }

  if (print_udev_rules) {
    // Exactly the validation start-up runs. The rules go to stdout, so the
    // problems go to stderr and never into a redirected rules file.
    auto cfg = load_config(udev_rules_path.empty() ? config_path : udev_rules_path);
    if (!cfg) {
      for (const auto& d : cfg.error()) std::fprintf(stderr, "%s\n", d.to_string().c_str());
      return 1;
    }
    std::fputs(udev_rules(*cfg).c_str(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  }

  log::init(target, level);
  auto cfg = load_config(config_path);
  if (!cfg) {
    for (const auto& d : cfg.error()) {
      log::error("config.invalid", d.to_string(), {{"file", d.file}, {"line", std::to_string(d.line)}});
    }
    return 1;
  }
  if (sqlite3_threadsafe() == 0) {
    log::critical("daemon.failed", "SQLite was built without thread support");
    return 1;
  }
  try {
    boost::asio::io_context io(1);
    app daemon(io, std::move(*cfg));
    // A supervised task that cannot go on (common/supervise.hpp): a clean
    // stop, then exit code 1 (app::stop_failed).
    set_fatal_handler([&daemon](std::string_view why) { daemon.stop_failed(std::string(why)); });
    if (auto r = daemon.start(); !r) {
      log::critical("daemon.failed", r.error().message());
      return 1;
    }
    io.run();
    set_fatal_handler({});
    return daemon.exit_code();
  } catch (const std::exception& ex) {
    log::critical("daemon.crashed", ex.what());
    return 1;
  }
  return 0;
}
