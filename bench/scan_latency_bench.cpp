// Scan-to-commit latency: one scan at a time written to a pty that ravaod
// reads as a serial scanner, timed until its scan.accepted line (logged after
// the commit) arrives on the piped stderr. Each scan is interleaved with a
// bare SQLite single-row commit (WAL, synchronous=FULL) in the same folder,
// so both see the same disk at the same moment. Two runs, unsealed then
// sealed (a provincial public key: personal data sealed per record), each
// with its own bare baseline. Goal: scan p99 <= 2x bare p99, sealed.
// Usage: scan_latency_bench [samples=2000] [warmup=200]

#include <cstdio>
#include <mutex>

#include "bare_sqlite.hpp"
#include "bench_daemon.hpp"
#include "common/seal.hpp"

using namespace ravao::bench;

namespace {

struct arrivals {
  std::mutex mutex;
  std::vector<clock_type::time_point> at;
  std::vector<double> daemon_us;  // latency_us the daemon logs: frame received -> logged
};

void print_row(std::string_view name, const std::vector<double>& v) {
  std::printf("%-44s %8zu %10.0f %10.0f %10.0f\n", std::string(name).c_str(), v.size(), percentile(v, 50),
              percentile(v, 99), percentile(v, 100));
}

struct samples_of {
  std::vector<double> bare_us, scan_us, cccd_us, opaque_us, daemon_us;
  std::int64_t last_seq = 0;
  std::string folder;
};

// One daemon, sealed (a provincial public key: every record's personal data
// sealed) or not, `samples` scans after `warmup`, each after a bare commit.
samples_of run(bool sealed, std::size_t samples, std::size_t warmup) {
  temp_dir dir;
  write_text(dir / "ravao.toml",
             daemon_config(dir.path(), 1, 5000, sealed ? ravao::seal::to_text(ravao::seal::generate().pub) : ""));
  pty_scanner scanner(dir / "tty-0");
  bare_sqlite bare(dir / "bare.db");
  arrivals arr;
  daemon_process daemon(dir / "ravao.toml", [&](std::string_view line, clock_type::time_point at) {
    if (line.find(" scan.accepted:") == std::string_view::npos) return;
    std::lock_guard lock(arr.mutex);
    arr.at.push_back(at);
    arr.daemon_us.push_back(static_cast<double>(log_int(line, "latency_us")));
  });
  daemon.wait_ready(1);

  samples_of out;
  out.folder = dir.describe();
  for (std::size_t i = 0; i < warmup + samples; ++i) {
    const auto b0 = clock_type::now();
    bare.commit_one(cccd_payload(static_cast<std::uint32_t>(i)), static_cast<std::int64_t>(i));
    const auto b1 = clock_type::now();

    // Distinct payloads: no scan is a duplicate. CCCD scans open a visit
    // (visit row + record), opaque ones write one record.
    const bool cccd = i % 2 == 0;
    const std::string payload =
        (cccd ? cccd_payload(static_cast<std::uint32_t>(i)) : opaque_payload(static_cast<std::uint32_t>(i))) + "\r\n";
    const auto t0 = clock_type::now();
    if (!scanner.send(payload, t0 + 10s)) daemon.fail("pty write timed out");
    if (!daemon.wait_for([&](const log_counts& c) { return c.accepted > i; }, 10s))
      daemon.fail(fmt::format("scan {} not acknowledged within 10 s", i));
    if (i < warmup) continue;
    std::lock_guard lock(arr.mutex);
    const double us = micros(arr.at[i] - t0);
    out.bare_us.push_back(micros(b1 - b0));
    out.scan_us.push_back(us);
    (cccd ? out.cccd_us : out.opaque_us).push_back(us);
    out.daemon_us.push_back(arr.daemon_us[i]);
  }
  out.last_seq = ctl_last_seq(dir / "ravaod.sock");
  daemon.stop();
  return out;
}

}  // namespace

int main(int argc, char** argv) try {
  const std::size_t samples = argc > 1 ? std::stoul(argv[1]) : 2000;
  const std::size_t warmup = argc > 2 ? std::stoul(argv[2]) : 200;
  const samples_of runs[2] = {run(false, samples, warmup), run(true, samples, warmup)};
  std::printf("scan_latency_bench: %zu samples after %zu warm-up per run, folders %s, %s\n", samples, warmup,
              runs[0].folder.c_str(), runs[1].folder.c_str());
  std::printf("%-44s %8s %10s %10s %10s\n", "measure (microseconds)", "n", "p50", "p99", "max");
  for (const auto& r : runs) {
    const bool sealed = &r == &runs[1];
    std::printf("%s\n", sealed ? "sealed ([sync] public_key)" : "unsealed");
    print_row("bare SQLite commit (1 INSERT, WAL, FULL)", r.bare_us);
    print_row("scan -> committed (pty write -> log line)", r.scan_us);
    print_row("  cccd, visit opened", r.cccd_us);
    print_row("  opaque, event recorded", r.opaque_us);
    print_row("  daemon latency_us (frame read -> logged)", r.daemon_us);
    const double ratio = percentile(r.scan_us, 99) / percentile(r.bare_us, 99);
    std::printf("p99 ratio scan / bare: %.2f (goal <= 2.00%s: %s); store.last_seq = %lld\n", ratio,
                sealed ? ", sealed" : "", ratio <= 2.0 ? "met" : "MISSED", static_cast<long long>(r.last_seq));
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "scan_latency_bench: %s\n", e.what());
  return 1;
}
