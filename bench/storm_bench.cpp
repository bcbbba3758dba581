// The reconnect storm (issue 15, docs/province-scale.md "The reconnect
// storm"): N gateways (default 10,000) come back at the same moment after
// an outage, each with a backlog of R records (default 100; the issue's
// 10,000,000 is R = 1,000), and upload it to one ravao-receiver on
// PostgreSQL as ravaod does: a heartbeat, then batches of at most B records
// (default 2,000, ravaod's batch_max_records), one request at a time on a
// keep-alive mTLS connection, each gateway with its own client certificate
// and source address (127.1.x.y), obeying Retry-After on 429 and 503.
//
// One process, one thread, Boost.Asio coroutines: N connections at once.
// The records are a real gateway's (a store filled and read back by the
// daemon's store code, each record sealed on its own), gzipped per request
// at level 1 as ravaod does; every gateway sends the same records under its
// own stream id. The certificates (`ravao-receiver pki --fleet N`) are made
// once and cached in RAVAO_STORM_CACHE (build/storm-cache).
//
// Prints: records/s end to end (first connect to the last record
// acknowledged), the drain time, request latency p50/p99/max, the client's
// loop lag (it runs at nice -5, RAVAO_STORM_CLIENT_NICE), the
// receiver's peak RSS (VmHWM), replies by status, connections that failed
// (refused, reset, closed without a reply: "refused without Retry-After"),
// and per-stream counts read back from PostgreSQL: lost and duplicated.
// Usage: storm_bench [gateways=10000] [records_per_gateway=100] [batch=2000]
//                    [extra serve arguments...]

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <pwd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "bench_util.hpp"
#include "common/gzip.hpp"
#include "receiver_process.hpp"
#include "store/store_reader.hpp"
#include "tests/support/backlog.hpp"

using namespace ravao::bench;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr const char* pg_bin = "/usr/lib/postgresql/15/bin";

int shell(const std::string& cmd) { return std::system(cmd.c_str()); }

std::string shell_out(const std::string& cmd) {
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  std::string out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  ::pclose(p);
  return out;
}

// PostgreSQL 15 in DIR/pg as `nobody` (tests/support/postgres_server's way),
// fsync on as in production. Stopped at destruction.
struct postgres {
  fs::path dir;
  std::string as;
  explicit postgres(const fs::path& d) : dir(d / "pg") {
    fs::create_directories(dir);
    if (::geteuid() == 0) {
      const passwd* nobody = ::getpwnam("nobody");
      ::chown(d.c_str(), nobody->pw_uid, nobody->pw_gid);
      ::chown(dir.c_str(), nobody->pw_uid, nobody->pw_gid);
      as = "runuser -u nobody -- ";
    }
    if (shell(fmt::format("{}{}/initdb -D {}/data -A trust -U ravao -E UTF8 --locale=C --no-instructions >/dev/null",
                          as, pg_bin, dir.string())) != 0) {
      throw std::runtime_error("initdb failed");
    }
    const auto opts = fmt::format("-k {} -c listen_addresses='' -c max_connections=100 -c shared_buffers=256MB",
                                  dir.string());
    if (shell(fmt::format("{}{}/pg_ctl -D {}/data -l {}/pg.log -w -o \"{}\" start >/dev/null", as, pg_bin,
                          dir.string(), dir.string(), opts)) != 0) {
      throw std::runtime_error("pg_ctl start failed");
    }
  }
  ~postgres() { shell(fmt::format("{}{}/pg_ctl -D {}/data -m fast -w stop >/dev/null", as, pg_bin, dir.string())); }
  std::string url() const { return fmt::format("postgresql://ravao@/postgres?host={}", dir.string()); }
  std::string query(const std::string& sql) const {
    return shell_out(fmt::format("{}/psql -h {} -U ravao -d postgres -At -F ' ' -c \"{}\"", pg_bin, dir.string(), sql));
  }
};

// `serve` on PostgreSQL with mutual TLS; its log (warnings and worse, unless
// `extra` sets --log-level) in DIR/receiver.log.
std::vector<std::string> serve_on_postgresql(const fs::path& pki, const std::string& url,
                                             const std::vector<std::string>& extra) {
  std::vector<std::string> args{"serve", "--listen", "127.0.0.1:0", "--cert", (pki / "server.pem").string(),
                                "--key", (pki / "server.key").string(), "--db", url,
                                "--client-ca", (pki / "ca.pem").string()};
  if (std::ranges::find(extra, "--log-level") == extra.end()) args.insert(args.end(), {"--log-level", "warning"});
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

struct identity {
  X509* cert = nullptr;
  EVP_PKEY* key = nullptr;
};

identity load_identity(const fs::path& cert, const fs::path& key) {
  identity id;
  if (std::FILE* f = std::fopen(cert.c_str(), "r")) {
    id.cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
    std::fclose(f);
  }
  if (std::FILE* f = std::fopen(key.c_str(), "r")) {
    id.key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
    std::fclose(f);
  }
  if (!id.cert || !id.key) throw std::runtime_error("cannot read " + cert.string());
  return id;
}

struct tally {
  std::vector<double> latency_ms;  // every request that got a reply
  std::vector<double> loop_lag_ms;  // how late a 100 ms timer of the client's own loop fired
  std::map<unsigned, std::int64_t> replies;
  std::map<std::string, std::int64_t> connection_errors;  // by step and reason
  // A 5xx/429 without Retry-After, a connection dropped before its reply, or
  // one that failed to connect or handshake: "refused without Retry-After".
  std::int64_t unanswered_refusals = 0;
  std::int64_t keepalive_resends = 0;  // requests sent again at once after an idle close (as ravaod does)
  std::int64_t acknowledged = 0;
  int gateways_done = 0;
  int gateways_failed = 0;
  clock_type::time_point last_ack;
};

struct storm {
  asio::io_context& io;
  asio::ssl::context& tls;
  int port;
  const std::vector<std::string>& batches;  // records_json of each batch, in order
  const std::vector<std::int64_t>& batch_sizes;
  std::int64_t last_seq;
  tally t;

  using stream_type = beast::ssl_stream<beast::tcp_stream>;

  std::string body_of(int gw, std::size_t b) const {
    std::string body = fmt::format(R"({{"protocol":1,"gateway":"gw-storm-{}","stream":"{:032x}","sent":)"
                                   R"({{"wall_ms":1795420800000,"boot_id":"boot-a","boottime_ns":500000000000,)"
                                   R"("clock_synced":true}},"records":)", gw, gw + 1);
    body += batches[b];
    body += '}';
    return ravao::gzip::compress(body, 1);
  }
  std::string heartbeat_of(int gw) const {
    return ravao::gzip::compress(fmt::format(
        R"({{"protocol":1,"gateway":"gw-storm-{}","stream":"{:032x}","version":"0.1.0","sent":)"
        R"({{"wall_ms":1795420800000,"boot_id":"boot-a","boottime_ns":500000000000,"clock_synced":true}},)"
        R"("queue":{{"depth":{},"last_seq":{}}}}})", gw, gw + 1, last_seq, last_seq), 1);
  }

  asio::awaitable<std::unique_ptr<stream_type>> connect(int gw, const identity& id) {
    auto s = std::make_unique<stream_type>(beast::tcp_stream(io), tls);
    auto& sock = beast::get_lowest_layer(*s).socket();
    boost::system::error_code ec;
    sock.open(tcp::v4(), ec);
    const auto source = asio::ip::make_address_v4(fmt::format("127.1.{}.{}", gw / 250, gw % 250 + 1));
    if (!ec) sock.bind(tcp::endpoint(source, 0), ec);
    if (ec) throw std::runtime_error("bind " + source.to_string() + ": " + ec.message());
    SSL_use_certificate(s->native_handle(), id.cert);
    SSL_use_PrivateKey(s->native_handle(), id.key);
    // SNI (SSL_set_tlsext_host_name is a macro with a C cast).
    SSL_ctrl(s->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>("localhost"));
    s->set_verify_callback(asio::ssl::host_name_verification("localhost"));
    beast::get_lowest_layer(*s).expires_after(120s);
    co_await beast::get_lowest_layer(*s).async_connect(tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"),
                                                                      static_cast<unsigned short>(port)),
                                                       asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      ++t.connection_errors["connect: " + ec.message()];
      co_return nullptr;
    }
    co_await s->async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      ++t.connection_errors["handshake: " + ec.message()];
      co_return nullptr;
    }
    co_return s;
  }

  // One gateway's catch-up, as ravaod's uploader does it.
  asio::awaitable<void> gateway(int gw, identity id) {
    std::unique_ptr<stream_type> s;
    asio::steady_timer wait(io);
    std::size_t next = 0;  // batch index; heartbeat first (as after ravaod's start)
    bool heartbeat_done = false;
    int failures = 0;
    bool resent = false;  // this request already went again on a new connection
    while (next < batches.size()) {
      const bool reused = s != nullptr;
      if (!s) s = co_await connect(gw, id);
      std::chrono::milliseconds retry_in{0};
      if (s) {
        http::request<http::string_body> req{http::verb::post, heartbeat_done ? "/v1/batches" : "/v1/heartbeats", 11};
        req.set(http::field::host, "localhost");
        req.set(http::field::content_type, "application/json");
        req.set(http::field::content_encoding, "gzip");
        req.set("Ravao-Protocol", "1");
        req.body() = heartbeat_done ? body_of(gw, next) : heartbeat_of(gw);
        req.keep_alive(true);
        req.prepare_payload();
        boost::system::error_code ec;
        const auto started = clock_type::now();
        beast::get_lowest_layer(*s).expires_after(120s);
        co_await http::async_write(*s, req, asio::redirect_error(asio::use_awaitable, ec));
        beast::flat_buffer buffer;
        http::response_parser<http::string_body> parser;
        parser.body_limit(boost::none);
        const bool write_failed = static_cast<bool>(ec);
        if (!ec) co_await http::async_read(*s, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        const auto rep = parser.release();
        if (ec && reused && !resent && (write_failed || (!parser.got_some() && ec != beast::error::timeout))) {
          // A kept connection the receiver closed while it was idle: as
          // ravaod's uploader does (daemon/sync/uploader.cpp, exchange),
          // the request goes again at once on a new connection, once.
          // Not a refusal: the receiver answered the last request and may
          // close an idle connection (RFC 9112, 9.6).
          ++t.keepalive_resends;
          resent = true;
          s.reset();
          continue;
        }
        if (ec) {
          ++t.connection_errors["request: " + ec.message()];
          ++t.unanswered_refusals;
          s.reset();
          retry_in = std::chrono::milliseconds(std::min(1000 << std::min(failures++, 5), 30'000));
        } else {
          t.latency_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - started).count());
          const unsigned status = rep.result_int();
          ++t.replies[status];
          resent = false;
          if (status == 200) {
            failures = 0;
            if (!heartbeat_done) {
              heartbeat_done = true;
            } else {
              t.acknowledged += batch_sizes[next];
              t.last_ack = clock_type::now();
              ++next;
            }
          } else if (status == 429 || status == 503) {
            const auto ra = rep[http::field::retry_after];
            if (ra.empty()) ++t.unanswered_refusals;
            retry_in = std::chrono::seconds(ra.empty() ? 5 : std::stoll(std::string(ra)));
          } else {
            std::fprintf(stderr, "gw-storm-%d: %u %s\n", gw, status, rep.body().c_str());
            ++t.gateways_failed;
            co_return;
          }
          if (!rep.keep_alive()) s.reset();
        }
      } else {
        ++t.unanswered_refusals;  // a connection refused, reset or timed out before any reply
        retry_in = std::chrono::milliseconds(std::min(1000 << std::min(failures++, 5), 30'000));
      }
      if (retry_in.count() > 0) {
        wait.expires_after(retry_in);
        boost::system::error_code ec;
        co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
    }
    ++t.gateways_done;
  }

  // The client's own event loop, sampled: a 100 ms timer and how late it
  // fires. A loop seconds late stands for 10,000 gateways answering the
  // receiver seconds late, which gateways on their own CPUs do not.
  asio::awaitable<void> lag_probe(int gateways) {
    asio::steady_timer tick(io);
    while (t.gateways_done + t.gateways_failed < gateways) {
      const auto due = clock_type::now() + 100ms;
      tick.expires_at(due);
      boost::system::error_code ec;
      co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      t.loop_lag_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - due).count());
    }
  }
};

// A process's CPU time (user + system) in seconds, from /proc/PID/stat.
double cpu_seconds(int pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Every live process named "postgres" (the bench's server: its backends live
// as long as the receiver's connections).
double postgres_cpu_seconds() {
  double total = 0;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream comm(e.path() / "comm");
    std::string c;
    std::getline(comm, c);
    if (c == "postgres") total += cpu_seconds(std::stoi(name));
  }
  return total;
}

void raise_descriptor_limit() {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &lim);
}

}  // namespace

int main(int argc, char** argv) {
  const int gateways = argc > 1 ? std::atoi(argv[1]) : 10'000;
  const std::int64_t per_gateway = argc > 2 ? std::atoll(argv[2]) : 100;
  const std::size_t batch = argc > 3 ? static_cast<std::size_t>(std::atoll(argv[3])) : 2000;
  std::vector<std::string> extra;
  for (int i = 4; i < argc; ++i) extra.emplace_back(argv[i]);
  raise_descriptor_limit();
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < static_cast<rlim_t>(gateways) + 64) {
    std::fprintf(stderr, "RLIMIT_NOFILE %lu is below %d gateways\n", static_cast<unsigned long>(lim.rlim_cur), gateways);
    return 1;
  }

  // The fleet's certificates, made once per size.
  const fs::path pki = fs::path(RAVAO_STORM_CACHE) / fmt::format("pki-{}", gateways);
  if (!fs::exists(pki / "fleet" / fmt::format("gw-storm-{}.key", gateways - 1))) {
    const auto t0 = clock_type::now();
    run_tool({"pki", "--out", pki.string(), "--client", "gw-storm", "--fleet", std::to_string(gateways), "--days",
              "3650", "--force"});
    std::printf("pki: %d client certificates made in %.1f s (cached in %s)\n", gateways,
                std::chrono::duration<double>(clock_type::now() - t0).count(), pki.c_str());
  }
  std::vector<identity> ids;
  for (int g = 0; g < gateways; ++g) {
    const auto base = pki / "fleet" / fmt::format("gw-storm-{}", g);
    ids.push_back(load_identity(base.string() + ".pem", base.string() + ".key"));
  }

  // One gateway's backlog, written and read back by the daemon's store code.
  temp_dir dir;
  const std::string pub = province_key(dir.path());
  ravao::test::fill_backlog(dir / "gateway.db", per_gateway, pub, "c0", true);
  std::vector<std::string> batches;
  std::vector<std::int64_t> sizes;
  {
    auto reader = ravao::store_reader::open(dir / "gateway.db");
    if (!reader) throw std::runtime_error(reader.error().message());
    std::int64_t after = 0;
    for (;;) {
      auto b = reader->read_upload_batch(after, batch, 64 << 20);
      if (!b) throw std::runtime_error(b.error().message());
      if (b->seqs.empty()) break;
      after = b->seqs.back();
      sizes.push_back(static_cast<std::int64_t>(b->seqs.size()));
      batches.push_back(std::move(b->records_json));
    }
  }
  const std::int64_t total = per_gateway * gateways;
  std::printf("storm: %d gateways x %lld records = %lld records, batches of <= %zu (%zu per gateway, %.0f bytes per "
              "record as JSON)\n", gateways, static_cast<long long>(per_gateway), static_cast<long long>(total), batch,
              batches.size(), static_cast<double>(batches.front().size()) / static_cast<double>(sizes.front()));

  postgres pg(dir.path());
  receiver recv(dir.path(), serve_on_postgresql(pki, pg.url(), extra), 30s);
  asio::io_context io(1);
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.load_verify_file((pki / "ca.pem").string());
  tls.set_verify_mode(asio::ssl::verify_peer);
  storm s{io, tls, recv.port, batches, sizes, per_gateway, {}};
  // The client stands for thousands of machines with a CPU each, but shares
  // this one's two cores with the receiver and PostgreSQL: at nice 0 it got
  // a third of a core where it needed half, and its loop lagged by up to
  // 12 s, so gateways answered handshakes and sent requests later than the
  // receiver's deadlines allow (docs/province-scale.md, "Session 29"). It
  // runs at nice -5 (RAVAO_STORM_CLIENT_NICE; the receiver and PostgreSQL,
  // started above, keep 0): its CPU time is the same, it gets it sooner.
  // setpriority on 0 sets this thread only: the one the client runs on.
  const char* nice_env = std::getenv("RAVAO_STORM_CLIENT_NICE");
  const int client_nice = nice_env ? std::atoi(nice_env) : -5;
  if (::setpriority(PRIO_PROCESS, 0, client_nice) != 0) {
    std::printf("client: cannot set nice %d (%s): it runs at %d\n", client_nice, std::strerror(errno),
                ::getpriority(PRIO_PROCESS, 0));
  }
  const auto t0 = clock_type::now();
  for (int g = 0; g < gateways; ++g) asio::co_spawn(io, s.gateway(g, ids[static_cast<std::size_t>(g)]), asio::detached);
  asio::co_spawn(io, s.lag_probe(gateways), asio::detached);
  io.run();
  const double secs = std::chrono::duration<double>(s.t.last_ack - t0).count();
  const std::int64_t hwm_kib = proc_field(recv.pid, "status", "VmHWM");
  const double receiver_cpu = cpu_seconds(recv.pid);
  const double postgres_cpu = postgres_cpu_seconds();
  rusage self{};
  ::getrusage(RUSAGE_SELF, &self);
  const double bench_cpu = static_cast<double>(self.ru_utime.tv_sec + self.ru_stime.tv_sec) +
                           static_cast<double>(self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e6;

  std::printf("drained: %lld records acknowledged in %.1f s = %.0f records/s end to end (%d gateways done, %d failed)\n",
              static_cast<long long>(s.t.acknowledged), secs, static_cast<double>(s.t.acknowledged) / secs,
              s.t.gateways_done, s.t.gateways_failed);
  std::printf("10,000,000 records at this rate: %.0f s (extrapolated)\n",
              1e7 / (static_cast<double>(s.t.acknowledged) / secs));
  std::printf("request latency (every reply): p50 %.0f ms, p99 %.0f ms, max %.0f ms over %zu requests\n",
              percentile(s.t.latency_ms, 50), percentile(s.t.latency_ms, 99), percentile(s.t.latency_ms, 100),
              s.t.latency_ms.size());
  {
    const double per_record = 1e6 / static_cast<double>(std::max<std::int64_t>(s.t.acknowledged, 1));
    std::printf("CPU: receiver %.1f s (%.1f us/record), PostgreSQL %.1f s (%.1f us/record), bench %.1f s (%.1f "
                "us/record); %.0f of the %.0f core-seconds of the drain\n",
                receiver_cpu, receiver_cpu * per_record, postgres_cpu, postgres_cpu * per_record, bench_cpu,
                bench_cpu * per_record, receiver_cpu + postgres_cpu + bench_cpu,
                secs * static_cast<double>(std::thread::hardware_concurrency()));
  }
  std::printf("client loop lag (nice %d): p50 %.0f ms, p99 %.0f ms, max %.0f ms\n", ::getpriority(PRIO_PROCESS, 0),
              percentile(s.t.loop_lag_ms, 50), percentile(s.t.loop_lag_ms, 99), percentile(s.t.loop_lag_ms, 100));
  std::printf("receiver peak RSS (VmHWM): %.1f MiB; bench CPU %.1f s\n", static_cast<double>(hwm_kib) / 1024.0,
              bench_cpu);
  std::string replies;
  for (const auto& [status, n] : s.t.replies) replies += fmt::format(" {}={}", status, n);
  std::printf("replies:%s\n", replies.c_str());
  std::int64_t conn_errors = 0;
  for (const auto& [what, n] : s.t.connection_errors) {
    std::printf("connection error: %s x %lld\n", what.c_str(), static_cast<long long>(n));
    conn_errors += n;
  }
  std::printf("connection errors: %lld; refused without Retry-After: %lld; requests sent again at once after the "
              "receiver closed an idle keep-alive connection (as ravaod does): %lld\n",
              static_cast<long long>(conn_errors), static_cast<long long>(s.t.unanswered_refusals),
              static_cast<long long>(s.t.keepalive_resends));

  // The receiver's own account of the connections it ended (with --log-level info).
  const std::string ended = shell_out(fmt::format(
      "grep -h -e receiver.handshake_failed -e receiver.session_queue_timeout -e receiver.handshake_queue_timeout -e receiver.session_closed -e 'receiver.request.*incomplete' {} | "
      "grep -o -e 'receiver[.a-z_]*' -e 'reason=\"[^\"]*\"' -e 'reason=[a-z_]*' | paste -sd' ' | sed 's/ receiver/\\nreceiver/g' | "
      "sort | uniq -c", (dir.path() / "receiver.log").string()));
  if (ended.find("receiver") != std::string::npos) std::printf("receiver log (connections it ended):\n%s", ended.c_str());

  // Every stream counted in PostgreSQL: each must hold seqs 1..R once.
  const std::string rows = pg.query("SELECT count(*), sum(n), sum(n - d), sum(d), min(d), max(lo), max(hi) FROM "
                                    "(SELECT stream, count(*) AS n, count(DISTINCT seq) AS d, min(seq) AS lo, "
                                    "max(seq) AS hi FROM records GROUP BY stream) s");
  long long streams = 0, stored = 0, duplicated = 0, distinct = 0, min_distinct = 0, lo = 0, hi = 0;
  std::sscanf(rows.c_str(), "%lld %lld %lld %lld %lld %lld %lld", &streams, &stored, &duplicated, &distinct,
              &min_distinct, &lo, &hi);
  const long long lost = total - distinct;
  std::printf("PostgreSQL: %lld streams, %lld rows, %lld distinct (stream, seq); lost %lld, duplicated %lld; "
              "fewest in a stream %lld (expected %lld)\n", streams, stored, distinct, lost, duplicated, min_distinct,
              static_cast<long long>(per_gateway));
  const bool ok = streams == gateways && lost == 0 && duplicated == 0 && min_distinct == per_gateway &&
                  s.t.gateways_failed == 0 && s.t.unanswered_refusals == 0;
  std::printf("%s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
