// ravao-receiver trace-serve: the trace API over HTTPS with the health
// department's client certificates, on the tracing host (docs/tracing.md,
// "The HTTPS API"), until SIGTERM or SIGINT; SIGHUP reads --deny again.

#include <cstdio>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>

#include "common/log.hpp"
#include "common/notify.hpp"
#include "common/supervise.hpp"
#include "common/tls_server.hpp"
#include "receiver/args.hpp"
#include "receiver/commands.hpp"
#include "receiver/listen_args.hpp"
#include "receiver/private_files.hpp"
#include "receiver/trace_server.hpp"

namespace ravao::receiver {
namespace asio = boost::asio;

namespace {

constexpr option_spec specs[] = {
    {"listen"},          {"cert"},           {"key"},         {"client-ca"},        {"deny"},
    {"db"},              {"secret-key"},     {"trace-db"},    {"base-path"},        {"max-body-bytes"},
    {"rate-burst"},      {"rate-per-minute"}, {"max-waiting"}, {"max-connections"}, {"timeout-seconds"},
    {"handshake-timeout-seconds"},           {"request-timeout-seconds"},           {"log-level"},
};

constexpr const char* help = R"(usage: ravao-receiver trace-serve --listen ADDR:PORT --cert FILE --key FILE --client-ca FILE
                                  --db STORE --secret-key FILE --trace-db FILE [options]

The trace API (docs/tracing.md, "The HTTPS API") for the health department:
POST BASE/v1/trace with a JSON request (case, legal_basis, id_number or slip,
from, to, margin_minutes, counter_only, utc_offset, requested_by), answered
as JSON or CSV (Accept: text/csv or ?format=csv), the same answer as the
trace command's. Runs where the secret key is, never beside serve. Only
client certificates with the trace role (pki --trace-client) chaining to
--client-ca are served; a gateway's certificate gets 403. Every request,
refused ones included, is an audit entry whose operator is the
certificate's subject. Prints "listening on ADDR:PORT" once it accepts
connections. SIGTERM or SIGINT stop it; SIGHUP reads --deny again.

  --listen ADDR:PORT      address to listen on; port 0 picks a free port
  --cert FILE             server certificate chain, PEM
  --key FILE              its private key (TLS), unencrypted PEM
  --client-ca FILE        the CAs of the department's client certificates (required)
  --deny FILE             certificates refused (403): "sha256:FINGERPRINT" or
                          "serial:HEX" lines, as serve's --deny
  --db STORE              the receiver's store (a copy or replica), read only:
                          a SQLite file or a postgresql:// URL
  --secret-key FILE       the provincial secret key (keygen --out)
  --trace-db FILE         the trace file: index and audit log (created if missing)
  --base-path PATH        path prefix, e.g. /ravao (default: none)
  --max-body-bytes N      larger requests get 413 (default 16384)
  --rate-burst N          requests per client certificate at once (default 10)
  --rate-per-minute N     and sustained (default 30); more get 429 with Retry-After
  --max-waiting N         traces waiting for the one worker (default 16); more get 503
  --max-connections N     connections at once (default 64)
  --handshake-timeout-seconds N  the TLS handshake and a request's header (default 5)
  --request-timeout-seconds N    a request's body (default 30)
  --timeout-seconds N     an idle keep-alive connection; writing a reply (default 30)
  --log-level LEVEL       debug, info (default), notice, warning, error
)";

int failure(const std::string& message) {
  std::fprintf(stderr, "ravao-receiver trace-serve: %s\n", message.c_str());
  return 1;
}

void reload_on_sighup(asio::signal_set& hangups, trace_server& srv, const std::optional<std::string>& deny) {
  hangups.async_wait([&hangups, &srv, &deny](const boost::system::error_code& ec, int) {
    if (ec) return;
    if (deny) {
      if (auto d = load_deny_list(*deny); !d) {
        log::error("trace_api.reload_failed", "SIGHUP: the --deny list in force is kept", {{"error", d.error().message()}});
      } else {
        log::notice("trace_api.reloaded", "SIGHUP: --deny read again",
                    {{"denied", std::to_string(d->fingerprints.size() + d->serials.size())}});
        srv.set_deny(std::move(*d));
      }
    }
    reload_on_sighup(hangups, srv, deny);
  });
}

}  // namespace

int trace_serve_command(std::span<char*> args) {
  const options opts(specs, args);
  if (opts.help()) {
    std::fputs(help, stdout);
    return 0;
  }
  const auto listen_at = parse_listen(opts.required("listen"));
  const tls_server_options tls{.cert_chain = opts.required("cert"), .key = opts.required("key"),
                               .client_ca = opts.required("client-ca")};
  const std::string db = opts.required("db"), trace_db = opts.required("trace-db");
  const auto deny_path = opts.get("deny");
  trace_server_options so;
  so.base_path = opts.get("base-path").value_or("");
  while (so.base_path.ends_with('/')) so.base_path.pop_back();
  if (!so.base_path.empty() && !so.base_path.starts_with('/'))
    throw usage_error(fmt::format("--base-path {}: must start with /", so.base_path));
  so.max_body_bytes = static_cast<std::size_t>(opts.integer("max-body-bytes", 16 * 1024, 256, 1 << 20));
  so.rate_burst = static_cast<double>(opts.integer("rate-burst", 10, 1, 10'000));
  so.rate_per_minute = static_cast<double>(opts.integer("rate-per-minute", 30, 1, 1'000'000));
  so.max_waiting = static_cast<std::size_t>(opts.integer("max-waiting", 16, 1, 10'000));
  so.max_connections = static_cast<std::size_t>(opts.integer("max-connections", 64, 1, 10'000));
  so.idle_timeout = std::chrono::seconds(opts.integer("timeout-seconds", 30, 1, 3600));
  so.handshake_timeout = std::chrono::seconds(opts.integer("handshake-timeout-seconds", 5, 1, 3600));
  so.request_timeout = std::chrono::seconds(opts.integer("request-timeout-seconds", 30, 1, 3600));
  log::init(log::sink::stderr_text, parse_level(opts.get("log-level").value_or("info")));

  auto keys = read_secret_key(opts.get("secret-key"), "--secret-key");
  if (!keys) return failure(keys.error().message());
  auto ctx = make_server_context(tls);
  if (!ctx) return failure(ctx.error().message());
  deny_list deny;
  if (deny_path) {
    auto d = load_deny_list(*deny_path);
    if (!d) return failure(d.error().message());
    deny = std::move(*d);
  }
  if (auto ok = make_database_private(trace_db); !ok) return failure(ok.error().message());
  auto desk = trace_desk::open(*keys, db, trace_db);
  if (!desk) return failure(desk.error().message());

  asio::io_context io;
  trace_server srv(io.get_executor(), **ctx, std::move(*desk), std::move(deny), std::move(so));
  // The backlog indexed before the first request, so that it does not pay for it.
  auto indexed = srv.index_now("trace-serve");
  if (!indexed) return failure(indexed.error().message());
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::signal_set hangups(io, SIGHUP);
  bool failed = false;
  set_fatal_handler([&](std::string_view) {
    failed = true;
    srv.stop();
    signals.cancel();
    hangups.cancel();
  });
  auto bound = srv.listen(listen_at);
  if (!bound) return failure(bound.error().message());
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    log::info("trace_api.stopping", "stopping", {{"signal", std::to_string(sig)}});
    notify::stopping();
    srv.stop();
    hangups.cancel();
  });
  reload_on_sighup(hangups, srv, deny_path);
  const std::string where = endpoint_text(*bound);
  std::printf("listening on %s\n", where.c_str());
  std::fflush(stdout);
  log::info("trace_api.listening", "listening",
            {{"address", where}, {"indexed", std::to_string(indexed->read)}});
  notify::ready();
  io.run();
  set_fatal_handler({});
  log::info("trace_api.stopped", "stopped");
  return failed ? 1 : 0;
}

}  // namespace ravao::receiver
