// ravao-receiver serve: HTTPS ingest until SIGTERM or SIGINT; SIGHUP reads
// --tokens and --deny again.

#include <malloc.h>
#include <openssl/ssl.h>
#include <sys/resource.h>

#include <charconv>
#include <cstdio>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include "receiver/args.hpp"
#include "receiver/listen_args.hpp"
#include "receiver/identity.hpp"
#include "receiver/commands.hpp"
#include "receiver/private_files.hpp"
#include "receiver/pg/connection.hpp"
#include "receiver/report.hpp"
#include "receiver/server.hpp"
#include "common/supervise.hpp"
#include "common/tls_server.hpp"
#include "common/log.hpp"
#include "common/notify.hpp"

namespace ravao::receiver {
namespace asio = boost::asio;

namespace {

constexpr option_spec specs[] = {
    {"listen"}, {"cert"}, {"key"}, {"db"}, {"client-ca"}, {"tokens"}, {"deny"},
    {"base-path"}, {"fault", true, true}, {"timeout-seconds"}, {"handshake-timeout-seconds"},
    {"request-timeout-seconds"}, {"max-connections"}, {"max-sessions"}, {"max-handshakes"},
    {"queue-timeout-seconds"}, {"max-body-mib"}, {"max-connections-per-address"}, {"log-level"},
    {"db-connections"}, {"db-queue"}, {"retain-days"}, {"pg-insert"},
    {"per-gateway-in-flight"}, {"per-gateway-rate"}, {"per-gateway-burst"},
};

constexpr const char* help = R"(usage: ravao-receiver serve --listen ADDR:PORT --cert FILE --key FILE --db FILE|URL [options]

Receives batches (POST BASE/v1/batches) and heartbeats (POST BASE/v1/heartbeats)
over HTTPS and stores them in a SQLite file, or in PostgreSQL when --db is a
postgresql:// URL. Prints "listening on ADDR:PORT" on
stdout once it accepts connections; one log line per request on stderr.
Every request is bound to one gateway: the one its client certificate names
(CN) and/or its bearer token belongs to; it may send only that gateway's
batches and heartbeats (403 otherwise). At least one of --client-ca and
--tokens is required. SIGTERM or SIGINT stop it; SIGHUP reads --tokens and
--deny again (a file that does not read keeps the previous lists).

  --listen ADDR:PORT      address to listen on, e.g. 127.0.0.1:8443, [::]:8443;
                          port 0 picks a free port (printed)
  --cert FILE             server certificate chain, PEM (certificate first)
  --key FILE              its private key, unencrypted PEM
  --db FILE|URL           the receiver database, created when missing: a SQLite
                          file, or postgresql://USER@HOST/DB (libpq URL; the
                          database must exist, its tables are created)
  --db-connections N      database connections (threads) storing at once
                          (default 1 for SQLite, 4 for PostgreSQL)
  --db-queue N            requests waiting for one of them (default 64); more
                          get 503 with Retry-After (2 s; under load, the
                          time the sessions ahead take, up to 25 s)
  --retain-days N         drop records received more than N days ago, at start
                          and every hour (PostgreSQL: whole day partitions);
                          default 0: keep everything
  --pg-insert copy|values how PostgreSQL loads a batch: COPY (default) or
                          multi-row INSERT
  --client-ca FILE        require a client certificate chaining to these CAs
                          (mutual TLS); its subject CN is the gateway id
  --tokens FILE           require "Authorization: Bearer TOKEN": one "GATEWAY TOKEN"
                          line per token; '#' comments and blank lines are skipped
  --deny FILE             refuse (403) what it lists, one per line:
                          "sha256:FINGERPRINT" or "serial:HEX" (a client
                          certificate), "gateway:ID" (its certificates and tokens)
  --base-path PATH        path prefix of both endpoints, e.g. /ravao (default: none)
  --fault SPEC            inject a fault (repeatable, composable):
                            lost-ack:N          the next N stored batches: commit,
                                                then close without replying
                            error-rate:P[:SEED] a fraction P (0..1) of batches get
                                                503/500/502 and are not stored
                            delay-ms:MS         every reply waits MS ms first
                            unknown-type:TYPE   batches with a record of TYPE: 422
                                                "unknown record type" for those
                                                records (an older receiver)
                            reset-mid-body:N    the next N batches: read part of
                                                the body, then reset the connection
                            unauthorized-once   the first batch after start: 401
                            throttle:N:SECONDS  the next N batches: 429 with
                                                Retry-After: SECONDS
  --handshake-timeout-seconds N
                          the TLS handshake, and each request's header once its
                          first byte arrived, within N s (default 10); so is the
                          first request of a connection
  --request-timeout-seconds N
                          a whole request (header, body, decoding) within N s
                          (default 60)
  --timeout-seconds N     an idle keep-alive connection waits N s for its next
                          request; a reply is written within N s (default 30)
  --max-connections N     connections accepted at once, waiting ones included
                          (default 20000); at the cap, accepting pauses until
                          one ends
  --max-sessions N        connections with a TLS session at once (default
                          2000); the others wait for one in arrival order,
                          holding only their socket
  --max-handshakes N      TLS handshakes at once (default 256)
  --queue-timeout-seconds N
                          a connection that waited N s for a session (default
                          30) is served only to answer 503 with Retry-After
  --max-body-mib N        request bodies held at once, in MiB (default 32):
                          by announced length while read, by their decoded
                          records' size once decoded, until stored; a
                          request over it gets 503 with Retry-After from its
                          header, before its body is read
  --max-connections-per-address N
                          connections from one peer address at once (default
                          16); more are accepted and closed
  --per-gateway-in-flight N
                          requests of one gateway (its certificate or token)
                          under way at once (default 4; 0: no limit); more get
                          429 with Retry-After: 1 before their body is read
  --per-gateway-rate R    requests a second one gateway may send on average, a
                          decimal (default 50; 0: no limit); more get 429 with
                          Retry-After until it may send again
  --per-gateway-burst N   requests one gateway may send at once after a quiet
                          spell (default 100)
  --log-level LEVEL       debug, info (default), notice, warning, error

Limits (413 beyond): a batch of at most 8 MiB as sent and 8 MiB after gunzip,
10,000 records and 500,000 JSON values; a heartbeat of at most 64 KiB as sent,
after gunzip and as stored, and 8,192 JSON values.
)";

// Each SIGHUP reads --tokens and --deny again, until `hangups` is cancelled.
// A file that does not read leaves the lists in force as they were.
void reload_on_sighup(asio::signal_set& hangups, identities& ids) {
  hangups.async_wait([&hangups, &ids](const boost::system::error_code& ec, int) {
    if (ec) return;
    if (auto r = ids.reload(); !r) {
      log::error("receiver.reload_failed", "SIGHUP: the lists in force are kept", {{"error", r.error().message()}});
    } else {
      log::notice("receiver.reloaded", "SIGHUP: --tokens and --deny read again",
                  {{"tokens", std::to_string(ids.token_count())}, {"denied", std::to_string(ids.denied_count())}});
    }
    reload_on_sighup(hangups, ids);
  });
}

// At start and every hour until `timer` is cancelled: records received more
// than `days` days ago are dropped, on the store pool (a full pool skips one round).
void apply_retention_hourly(asio::steady_timer& timer, store_pool& pool, std::int64_t days) {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  const std::int64_t cutoff = now - days * 86'400'000;
  pool.post([cutoff](store& s) {
    if (auto r = s.apply_retention(cutoff); !r) {
      log::error("receiver.retention_failed", r.error().message(), {{"error", r.error().message()}});
    } else {
      log::info("receiver.retention_applied", "old records dropped", {{"cutoff", iso_utc(cutoff)}});
    }
  });
  timer.expires_after(std::chrono::hours(1));
  timer.async_wait([&timer, &pool, days](const boost::system::error_code& ec) {
    if (!ec) apply_retention_hourly(timer, pool, days);
  });
}

// --per-gateway-rate: requests a second, a decimal number >= 0 ("0.5": one every two seconds).
double parse_rate(const std::string& text) {
  double v = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !(v >= 0) || v > 1'000'000) {
    throw usage_error(fmt::format("--per-gateway-rate {}: expected a number of requests a second, 0 to 1000000", text));
  }
  return v;
}

// Each connection is a descriptor: the soft limit (1,024 by default) is
// raised to the hard one (systemd's default: 524,288), so --max-connections,
// not the limit, decides how many are served. Logged when it stays lower.
void raise_descriptor_limit(std::size_t wanted) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < wanted + 64) {
    log::warning("receiver.descriptor_limit", "the descriptor limit is below --max-connections: accept() will fail with EMFILE first",
                 {{"limit", std::to_string(lim.rlim_cur)}, {"max_connections", std::to_string(wanted)}});
  }
}

// glibc's allocator as a server with bursts of large buffers needs it
// (docs/receiver.md "Memory"): a request's buffers (its gzip body, the
// inflated text, the decoded records: hundreds of KiB each) come from mmap
// and go back to the system when freed, where glibc's sliding threshold
// would soon take them from the heap and keep the peak; and two arenas
// instead of one per thread, so memory freed on one thread serves the
// next request on another. Skipped when GLIBC_TUNABLES is set: the
// operator's tuning wins. Storm at 10,000 x 1,000: 312 -> 266 MiB peak.
void tune_allocator() {
  if (const char* t = std::getenv("GLIBC_TUNABLES"); t && *t) return;
  (void)::mallopt(M_ARENA_MAX, 2);
  (void)::mallopt(M_MMAP_THRESHOLD, 128 * 1024);  // fixed: no sliding threshold
  (void)::mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
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
  tune_allocator();
  const auto listen_at = parse_listen(opts.required("listen"));
  tls_server_options tls{.cert_chain = opts.required("cert"), .key = opts.required("key"), .client_ca = {}};
  const std::string db_path = opts.required("db");
  if (auto ca = opts.get("client-ca")) tls.client_ca = *ca;
  identity_files who{.client_certificates = tls.client_ca.has_value(), .tokens = {}, .deny = {}};
  if (auto t = opts.get("tokens")) who.tokens = *t;
  if (auto d = opts.get("deny")) who.deny = *d;
  server_options so;
  so.base_path = opts.get("base-path").value_or("");
  while (so.base_path.ends_with('/')) so.base_path.pop_back();
  if (!so.base_path.empty() && !so.base_path.starts_with('/')) {
    throw usage_error(fmt::format("--base-path {}: must start with /", so.base_path));
  }
  so.idle_timeout = std::chrono::seconds(opts.integer("timeout-seconds", 30, 1, 3600));
  so.handshake_timeout = std::chrono::seconds(opts.integer("handshake-timeout-seconds", 10, 1, 3600));
  so.request_timeout = std::chrono::seconds(opts.integer("request-timeout-seconds", 60, 1, 3600));
  so.max_connections = static_cast<std::size_t>(opts.integer("max-connections", 20'000, 1, 1'000'000));
  so.max_sessions = static_cast<std::size_t>(opts.integer("max-sessions", 2'000, 1, 1'000'000));
  so.max_handshakes = static_cast<std::size_t>(opts.integer("max-handshakes", 256, 1, 100'000));
  so.queue_timeout = std::chrono::seconds(opts.integer("queue-timeout-seconds", 30, 1, 3600));
  so.max_body_bytes = static_cast<std::size_t>(opts.integer("max-body-mib", 32, 1, 65'536)) * 1024 * 1024;
  so.max_connections_per_address =
      static_cast<std::size_t>(opts.integer("max-connections-per-address", 16, 1, 100'000));
  so.per_gateway.in_flight = static_cast<std::size_t>(opts.integer("per-gateway-in-flight", 4, 0, 100'000));
  so.per_gateway.rate = parse_rate(opts.get("per-gateway-rate").value_or("50"));
  so.per_gateway.burst = static_cast<double>(opts.integer("per-gateway-burst", 100, 1, 1'000'000));
  const auto connections = opts.integer("db-connections", is_postgresql_url(db_path) ? 4 : 1, 1, 256);
  const auto queue = static_cast<std::size_t>(opts.integer("db-queue", 64, 0, 100'000));
  const auto retain_days = opts.integer("retain-days", 0, 0, 100'000);
  const std::string insert = opts.get("pg-insert").value_or("copy");
  if (insert != "copy" && insert != "values") {
    throw usage_error(fmt::format("--pg-insert {}: expected copy or values", insert));
  }
  const auto how = insert == "copy" ? insert_method::copy : insert_method::values;
  fault_plan plan;
  for (const auto& spec : opts.all("fault")) {
    if (auto r = add_fault(plan, spec); !r) throw usage_error(r.error().context);
  }
  if (!who.client_certificates && !who.tokens) {
    throw usage_error("give --client-ca and/or --tokens: every request must be bound to a gateway");
  }
  log::init(log::sink::stderr_text, parse_level(opts.get("log-level").value_or("info")));

  raise_descriptor_limit(so.max_connections);
  auto ctx = make_server_context(tls);
  if (!ctx) return failure(ctx.error().message());
  // No session resumption: ravaod makes a full handshake on each new
  // connection (and keeps it alive), so session tickets (two per TLS 1.3
  // handshake, each the session with the client's certificate, encrypted)
  // and a session cache (a TLS 1.2 session keeps that certificate) would
  // only cost CPU during a storm of handshakes and memory after it.
  SSL_CTX_set_session_cache_mode((*ctx)->native_handle(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets((*ctx)->native_handle(), 0);
  SSL_CTX_set_options((*ctx)->native_handle(), SSL_OP_NO_TICKET);
  auto ids = identities::load(who);
  if (!ids) return failure(ids.error().message());
  if (!is_postgresql_url(db_path)) {
    if (auto ok = make_database_private(db_path); !ok) return failure(ok.error().message());
  }
  std::vector<std::unique_ptr<store>> stores;
  for (std::int64_t i = 0; i < connections; ++i) {
    auto db = open_store(db_path, store_mode::serve, how);
    if (!db) return failure(db.error().message());
    stores.push_back(std::move(*db));
  }
  store_pool pool(std::move(stores), queue);

  asio::io_context io;
  faults injected(plan);
  server srv(io.get_executor(), **ctx, pool, injected, *ids, std::move(so));
  asio::steady_timer retention(io);
  if (retain_days > 0) apply_retention_hourly(retention, pool, retain_days);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::signal_set hangups(io, SIGHUP);
  // A supervised task that cannot go on (the accept loop) stops the server;
  // the process then exits with 1 and systemd starts it again.
  bool failed = false;
  set_fatal_handler([&](std::string_view) {
    failed = true;
    srv.stop();
    signals.cancel();
    hangups.cancel();
    retention.cancel();
  });
  auto bound = srv.listen(listen_at);
  if (!bound) return failure(bound.error().message());
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    log::info("receiver.stopping", "stopping", {{"signal", std::to_string(sig)}});
    notify::stopping();
    srv.stop();
    hangups.cancel();
    retention.cancel();
  });
  reload_on_sighup(hangups, *ids);
  const std::string where = endpoint_text(*bound);
  std::printf("listening on %s\n", where.c_str());
  std::fflush(stdout);
  log::info("receiver.listening", "listening", {{"address", where}, {"db", pg::redacted(db_path)},
            {"mtls", tls.client_ca ? "yes" : "no"}, {"tokens", std::to_string(ids->token_count())},
            {"denied", std::to_string(ids->denied_count())}});
  notify::ready();  // ravao-receiver.service is Type=notify
  io.run();
  set_fatal_handler({});  // it refers to this frame
  log::info("receiver.stopped", "stopped");
  return failed ? 1 : 0;
}

}  // namespace ravao::receiver
