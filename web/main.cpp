// ravao-web: the counter console (docs/console.md). Serves the pages and the
// HTTP API over HTTPS and talks to ravaod only through its control socket.
//
//   ravao-web [--config FILE] [--log-level LEVEL]   serve
//   ravao-web --check-config FILE                    validate and exit
//   ravao-web [--config FILE] user ...               accounts (web/auth)
//   ravao-web --version | --help

#include <sys/stat.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "common/log.hpp"
#include "common/notify.hpp"
#include "common/supervise.hpp"
#include "common/tls_server.hpp"
#include "web/api.hpp"
#include "web/auth/user_command.hpp"
#include "web/certificate.hpp"
#include "web/config.hpp"
#include "web/registration.hpp"
#include "web/server.hpp"

namespace {

namespace asio = boost::asio;
using namespace ravao;
using namespace ravao::web;

constexpr std::string_view help_text =
    "usage: ravao-web [--config FILE] [--log-level LEVEL]   serve the counter console\n"
    "       ravao-web --check-config FILE                    check a configuration and exit\n"
    "       ravao-web [--config FILE] user COMMAND ...       manage accounts (below)\n"
    "       ravao-web --version | --help\n"
    "\n"
    "  --config FILE      the configuration (default /etc/ravao/web.toml; absent: defaults)\n"
    "  --log-level LEVEL  debug, info (default), notice, warning, error\n"
    "\n";

int usage_error(std::string_view message) {
  std::fprintf(stderr, "ravao-web: %.*s (see ravao-web --help)\n", static_cast<int>(message.size()), message.data());
  return 2;
}

std::optional<log::level> parse_level(std::string_view v) {
  if (v == "debug") return log::level::debug;
  if (v == "info") return log::level::info;
  if (v == "notice") return log::level::notice;
  if (v == "warning") return log::level::warning;
  if (v == "error") return log::level::error;
  return std::nullopt;
}

// The configuration named, or the default file, or (no file at the default
// path) the defaults.
result<web_config> read_config(const std::optional<std::string>& path) {
  if (path) return load_web_config(*path);
  std::error_code ec;
  if (!std::filesystem::exists(default_config_path, ec)) return web_config{};
  return load_web_config(std::string(default_config_path));
}

// Every 5 s: users.json read again when another process changed it (the
// sessions of accounts disabled or changed end), and timed-out sessions
// dropped. Runs until `stopped`.
asio::awaitable<void> maintain_accounts(account_store& accounts, session_table& sessions, const bool& stopped) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  bool reported = false;
  while (!stopped) {
    auto changed = accounts.refresh();
    if (!changed && !reported) {
      log::error("web.accounts_unreadable", "users.json does not read: the accounts in memory are kept",
                 {{"error", changed.error().message()}});
    }
    reported = !changed;
    if (changed) {
      for (const auto& name : *changed) {
        if (const auto n = sessions.remove_user(name); n > 0) {
          log::info("web.sessions_ended", "the account changed: its sessions ended",
                    {{"user", name}, {"sessions", std::to_string(n)}});
        }
      }
    }
    sessions.expire(session_table::clock::now());
    timer.expires_after(std::chrono::seconds(5));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

result<asio::ip::tcp::endpoint> endpoint_of(const listen_address& a) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(a.host, ec);
  if (ec) return fail(errc::invalid_argument, fmt::format("{}: not an IP address", a.text()));
  return asio::ip::tcp::endpoint(address, a.port);
}

int serve(const web_config& config) {
  if (::mkdir(config.state_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    log::error("web.failed", fmt::format("cannot create {}: {}", config.state_dir.string(), std::strerror(errno)));
    return 1;
  }
  auto files = ensure_certificate(config);
  if (!files) {
    log::error("web.failed", "no certificate: " + files.error().message());
    return 1;
  }
  auto fingerprint = certificate_fingerprint(files->certificate);
  if (!fingerprint) {
    log::error("web.failed", fingerprint.error().message());
    return 1;
  }
  if (files->created) {
    log::notice("web.certificate_created", "a self-signed certificate was made: staff check its fingerprint",
                {{"certificate", files->certificate.string()}, {"fingerprint", *fingerprint}});
  }
  auto tls = receiver::make_server_context({.cert_chain = files->certificate, .key = files->key, .client_ca = {}});
  if (!tls) {
    log::error("web.failed", tls.error().message());
    return 1;
  }
  auto accounts = account_store::open(config.state_dir / "users.json");
  if (!accounts) {
    log::error("web.failed", accounts.error().message());
    return 1;
  }
  const auto https_at = endpoint_of(config.listen);
  const auto http_at = endpoint_of(config.http_listen);
  if (!https_at || !http_at) {
    log::error("web.failed", (https_at ? http_at.error() : https_at.error()).message());
    return 1;
  }

  asio::io_context io;
  asio::thread_pool verifier(2);  // Argon2id checks, off the network thread
  control_client control(io.get_executor(), config.control_socket);
  session_table sessions(session_policy{.idle = config.session_idle, .absolute = config.session_max, .max_sessions = 512});
  login_throttle throttle;
  api handler(io.get_executor(), control, *accounts, sessions, throttle, verifier);
  web_server server(io.get_executor(), **tls, handler, control);
  bool stopped = false;
  std::optional<registration> reg;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  const auto stop_all = [&] {
    stopped = true;
    server.stop();
    if (reg) reg->stop();
    signals.cancel();
  };
  bool failed = false;
  set_fatal_handler([&](std::string_view) {
    failed = true;
    stop_all();
  });
  auto bound = server.listen(*https_at);
  if (!bound) {
    log::error("web.failed", bound.error().message());
    set_fatal_handler({});
    return 1;
  }
  std::printf("listening on %s\n", listen_address{bound->address().to_string(), bound->port()}.text().c_str());
  if (config.redirect_http) {
    auto plain = server.listen_redirect(*http_at, bound->port());
    if (!plain) {
      log::error("web.failed", plain.error().message());
      set_fatal_handler({});
      return 1;
    }
    std::printf("redirecting on %s\n", listen_address{plain->address().to_string(), plain->port()}.text().c_str());
  }
  std::fflush(stdout);
  const std::string url = console_url(config, bound->port());
  reg.emplace(io.get_executor(), control, url, *fingerprint);
  reg->start();
  supervision upkeep;
  upkeep.task = "web.accounts";
  upkeep.stopped = [&stopped] { return stopped; };
  spawn_supervised(io.get_executor(), std::move(upkeep),
                   [&] { return maintain_accounts(*accounts, sessions, stopped); });
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    log::info("web.stopping", "stopping", {{"signal", std::to_string(sig)}});
    notify::stopping();
    stop_all();
  });
  log::info("web.started", "the console is serving",
            {{"listen", listen_address{bound->address().to_string(), bound->port()}.text()}, {"url", url},
             {"fingerprint", *fingerprint}, {"control_socket", config.control_socket.string()},
             {"version", RAVAO_VERSION}});
  notify::ready();
  io.run();
  verifier.join();
  set_fatal_handler({});
  log::info("web.stopped", "stopped");
  return failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  std::optional<std::string> config_path;
  log::level level = log::level::info;
  std::vector<std::string_view> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto a = args[i];
    const bool has_value = i + 1 < args.size();
    if (!rest.empty()) {
      // After "user": only --config is ours, the rest belongs to the command.
      if (a == "--config" && has_value) {
        config_path = std::string(args[++i]);
      } else {
        rest.push_back(a);
      }
      continue;
    }
    if (a == "--help" || a == "-h") {
      std::fputs(help_text.data(), stdout);
      const auto users = user_command_usage();
      std::fwrite(users.data(), 1, users.size(), stdout);
      return 0;
    }
    if (a == "--version") {
      std::printf("ravao-web %s\n", RAVAO_VERSION);
      return 0;
    }
    if (a == "--check-config") {
      if (!has_value) return usage_error("--check-config needs a FILE");
      auto c = load_web_config(std::string(args[i + 1]));
      if (!c) {
        std::fprintf(stderr, "%s\n", c.error().context.c_str());
        return 1;
      }
      std::printf("%s: ok\n", std::string(args[i + 1]).c_str());
      return 0;
    }
    if (a == "--config" || a == "-c") {
      if (!has_value) return usage_error("--config needs a FILE");
      config_path = std::string(args[++i]);
    } else if (a == "--log-level") {
      if (!has_value || !parse_level(args[i + 1])) return usage_error("--log-level needs debug, info, notice, warning or error");
      level = *parse_level(args[++i]);
    } else if (a == "user") {
      rest.push_back(a);
    } else {
      return usage_error(fmt::format("unknown argument \"{}\"", a));
    }
  }
  auto config = read_config(config_path);
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().context.c_str());
    return 1;
  }
  if (!rest.empty()) {
    // The accounts' folder (systemd's StateDirectory= makes it for the
    // service; an admin's first `user add` may come before the first start).
    if (::mkdir(config->state_dir.c_str(), 0700) != 0 && errno != EEXIST) {
      std::fprintf(stderr, "ravao-web user: cannot create %s: %s\n", config->state_dir.c_str(), std::strerror(errno));
      return 1;
    }
    const std::vector<std::string_view> user_args(rest.begin() + 1, rest.end());
    return run_user_command(user_args, config->state_dir / "users.json");
  }
  log::init(log::sink::automatic, level);
  return serve(*config);
}
