// ravao-receiver serve: HTTPS ingest until SIGTERM or SIGINT.

#include <cstdio>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>

#include "receiver/args.hpp"
#include "receiver/commands.hpp"
#include "receiver/private_files.hpp"
#include "receiver/server.hpp"
#include "common/supervise.hpp"
#include "common/tls_server.hpp"
#include "common/log.hpp"
#include "common/notify.hpp"

namespace ravao::receiver {
namespace asio = boost::asio;

namespace {

constexpr option_spec specs[] = {
    {"listen"}, {"cert"}, {"key"}, {"db"}, {"client-ca"}, {"tokens"}, {"bind-client-cn", false},
    {"base-path"}, {"fault", true, true}, {"timeout-seconds"}, {"max-connections"}, {"log-level"},
};

constexpr const char* help = R"(usage: ravao-receiver serve --listen ADDR:PORT --cert FILE --key FILE --db FILE [options]

Receives batches (POST BASE/v1/batches) and heartbeats (POST BASE/v1/heartbeats)
over HTTPS and stores them in a SQLite file. Prints "listening on ADDR:PORT" on
stdout once it accepts connections; one log line per request on stderr.
SIGTERM or SIGINT stop it.

  --listen ADDR:PORT      address to listen on, e.g. 127.0.0.1:8443, [::]:8443;
                          port 0 picks a free port (printed)
  --cert FILE             server certificate chain, PEM (certificate first)
  --key FILE              its private key, unencrypted PEM
  --db FILE               the receiver database, created when missing
  --client-ca FILE        require a client certificate chaining to these CAs
                          (mutual TLS); without it, no client certificate is asked
  --bind-client-cn        with --client-ca: the certificate's CN must equal the
                          request's gateway id (403 otherwise)
  --tokens FILE           require "Authorization: Bearer TOKEN": one token per line,
                          or "GATEWAY TOKEN" to bind a token to one gateway (403
                          for another); '#' comments and blank lines are skipped
  --base-path PATH        path prefix of both endpoints, e.g. /ravao (default: none)
  --fault SPEC            inject a fault (repeatable, composable):
                            lost-ack:N          the next N stored batches: commit,
                                                then close without replying
                            error-rate:P[:SEED] a fraction P (0..1) of batches get
                                                503/500/502 and are not stored
                            delay-ms:MS         every reply waits MS ms first
                            reset-mid-body:N    the next N batches: read part of
                                                the body, then reset the connection
                            unauthorized-once   the first batch after start: 401
                            throttle:N:SECONDS  the next N batches: 429 with
                                                Retry-After: SECONDS
  --timeout-seconds N     TLS handshake, idle keep-alive, reading a request and
                          writing a reply each time out after N s (default 30)
  --max-connections N     connections served at once (default 256)
  --log-level LEVEL       debug, info (default), notice, warning, error

Limits: a request body of at most 8 MiB as sent and 32 MiB after gunzip (413
beyond); 10,000 records per batch.
)";

// "127.0.0.1:8443", "[::1]:8443", "localhost:8443".
asio::ip::tcp::endpoint parse_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) throw usage_error(fmt::format("--listen {}: expected ADDR:PORT", text));
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) throw usage_error(fmt::format("--listen {}: \"{}\" is not an IP address", text, host));
  const auto port = parse_integer(std::string_view(text).substr(colon + 1), "--listen port", 0, 65535);
  return {address, static_cast<unsigned short>(port)};
}

log::level parse_level(const std::string& v) {
  if (v == "debug") return log::level::debug;
  if (v == "info") return log::level::info;
  if (v == "notice") return log::level::notice;
  if (v == "warning") return log::level::warning;
  if (v == "error") return log::level::error;
  throw usage_error(fmt::format("--log-level: unknown level \"{}\" (debug, info, notice, warning, error)", v));
}

int failure(const std::string& message) {
  std::fprintf(stderr, "ravao-receiver serve: %s\n", message.c_str());
  return 1;
}

}  // namespace

int serve_command(std::span<char*> args) {
  const options opts(specs, args);
  if (opts.help()) {
    std::fputs(help, stdout);
    return 0;
  }
  const auto listen_at = parse_listen(opts.required("listen"));
  tls_server_options tls{.cert_chain = opts.required("cert"), .key = opts.required("key"), .client_ca = {}};
  const std::string db_path = opts.required("db");
  if (auto ca = opts.get("client-ca")) tls.client_ca = *ca;
  server_options so;
  so.bind_client_cn = opts.flag("bind-client-cn");
  if (so.bind_client_cn && !tls.client_ca) throw usage_error("--bind-client-cn needs --client-ca");
  so.base_path = opts.get("base-path").value_or("");
  while (so.base_path.ends_with('/')) so.base_path.pop_back();
  if (!so.base_path.empty() && !so.base_path.starts_with('/')) {
    throw usage_error(fmt::format("--base-path {}: must start with /", so.base_path));
  }
  so.timeout = std::chrono::seconds(opts.integer("timeout-seconds", 30, 1, 3600));
  so.max_connections = static_cast<std::size_t>(opts.integer("max-connections", 256, 1, 100'000));
  fault_plan plan;
  for (const auto& spec : opts.all("fault")) {
    if (auto r = add_fault(plan, spec); !r) throw usage_error(r.error().context);
  }
  log::init(log::sink::stderr_text, parse_level(opts.get("log-level").value_or("info")));

  if (auto path = opts.get("tokens")) {
    auto tokens = load_tokens(*path);
    if (!tokens) return failure(tokens.error().message());
    so.tokens = std::move(*tokens);
  }
  auto ctx = make_server_context(tls);
  if (!ctx) return failure(ctx.error().message());
  if (auto ok = make_database_private(db_path); !ok) return failure(ok.error().message());
  auto db = database::open(db_path, database::mode::serve);
  if (!db) return failure(db.error().message());

  asio::io_context io;
  faults injected(plan);
  server srv(io.get_executor(), **ctx, **db, injected, std::move(so));
  asio::signal_set signals(io, SIGINT, SIGTERM);
  // A supervised task that cannot go on (the accept loop) stops the server;
  // the process then exits with 1 and systemd starts it again.
  bool failed = false;
  set_fatal_handler([&](std::string_view) {
    failed = true;
    srv.stop();
    signals.cancel();
  });
  auto bound = srv.listen(listen_at);
  if (!bound) return failure(bound.error().message());
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    log::info("receiver.stopping", "stopping", {{"signal", std::to_string(sig)}});
    notify::stopping();
    srv.stop();
  });
  const std::string where = bound->address().is_v6()
                                ? fmt::format("[{}]:{}", bound->address().to_string(), bound->port())
                                : fmt::format("{}:{}", bound->address().to_string(), bound->port());
  std::printf("listening on %s\n", where.c_str());
  std::fflush(stdout);
  log::info("receiver.listening", "listening", {{"address", where}, {"db", db_path},
            {"mtls", tls.client_ca ? "yes" : "no"}, {"tokens", opts.get("tokens") ? "yes" : "no"}});
  notify::ready();  // ravao-receiver.service is Type=notify
  io.run();
  set_fatal_handler({});  // it refers to this frame
  log::info("receiver.stopped", "stopped");
  return failed ? 1 : 0;
}

}  // namespace ravao::receiver
