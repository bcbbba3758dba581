// Footprint, every figure unsealed beside sealed in one run:
// - idle resident memory of ravaod after start-up (2, 8 and 16 pty counters,
//   nothing scanning): unsealed without sync; sealed with [sync] configured
//   (public_key, url, certificates) against a running ravao-receiver, the
//   clock declared synchronised and the first heartbeat sent: the state of a
//   real branch between scans. VmRSS, RssAnon, RssFile, Pss and USS
//   (Private_Clean + Private_Dirty, smaps_rollup).
// - disk bytes written per scan (/proc/PID/io write_bytes) at a slow rate
//   (one scan every `interval_ms`, so each is its own transaction) and in a
//   burst (16 counters writing at once, group commits);
// - a bare SQLite single-row commit in the same folder, measured the same
//   way (this process's own write_bytes), for comparison.
// Goals: RSS < 8 MiB; < 8 KiB written per scan.
// Usage: footprint_bench [slow_scans=750] [interval_ms=20] [burst_per_counter=2000]

#include <cstdio>

#include "bare_sqlite.hpp"
#include "bench_daemon.hpp"
#include "receiver_process.hpp"

using namespace ravao::bench;

namespace {

struct memory {
  std::int64_t rss_kb = 0, anon_kb = 0, file_kb = 0, pss_kb = 0;
  std::int64_t uss_kb = 0;  // Private_Clean + Private_Dirty: what ravaod's exit would free
};

// What the daemons of one mode share: the provincial key and, sealed, a
// receiver with its certificates in `dir`.
struct mode {
  bool sealed;
  temp_dir dir;
  std::string pub;
  std::unique_ptr<receiver> server;

  explicit mode(bool s) : sealed(s) {
    if (!sealed) return;
    run_tool({"pki", "--out", (dir / "pki").string(), "--client", "bd-bench"});
    pub = province_key(dir.path());
    server = std::make_unique<receiver>(dir.path());
    write_text(dir / "clock-synced", "");
  }

  // A fresh folder's config: sealed modes have [sync] against the receiver
  // when `with_sync`, else only the public key.
  std::string config(const fs::path& at, int counters, int duplicate_window_ms, bool with_sync) const {
    if (!sealed) return daemon_config(at, counters, duplicate_window_ms);
    if (!with_sync) return daemon_config(at, counters, duplicate_window_ms, pub);
    return daemon_config(at, counters, duplicate_window_ms) + sync_section(dir.path(), server->port, pub);
  }
};

memory idle_memory(const mode& m, int counters) {
  temp_dir dir;
  write_text(dir / "ravao.toml", m.config(dir.path(), counters, 5000, true));
  std::vector<std::unique_ptr<pty_scanner>> ptys;
  for (int i = 0; i < counters; ++i) ptys.push_back(std::make_unique<pty_scanner>(dir / fmt::format("tty-{}", i)));
  daemon_process daemon(dir / "ravao.toml");
  daemon.wait_ready(static_cast<std::size_t>(counters));
  ctl_status(dir / "ravaod.sock");  // the control path has been used once
  if (m.sealed) {  // the uploader has connected and sent its first heartbeat
    const auto end = clock_type::now() + 20s;
    const auto reached = [&] {
      const auto o = ctl_json(dir / "ravaod.sock", {"sync"}).as_object();
      const auto* v = o.if_contains("last_heartbeat_wall_ms");
      const auto* w = o.if_contains("last_success_wall_ms");
      return (v && v->is_int64()) || (w && w->is_int64());
    };
    while (!reached()) {
      if (clock_type::now() > end) daemon.fail("the uploader did not reach the receiver in 20 s");
      std::this_thread::sleep_for(50ms);
    }
  }
  std::this_thread::sleep_for(1s);
  const int pid = daemon.pid();
  memory mem{proc_field(pid, "status", "VmRSS"), proc_field(pid, "status", "RssAnon"),
             proc_field(pid, "status", "RssFile"), proc_field(pid, "smaps_rollup", "Pss"),
             proc_field(pid, "smaps_rollup", "Private_Clean") + proc_field(pid, "smaps_rollup", "Private_Dirty")};
  daemon.stop();
  return mem;
}

double slow_rate(const mode& m, std::size_t scans, std::chrono::milliseconds interval) {
  temp_dir dir;
  write_text(dir / "ravao.toml", m.config(dir.path(), 2, 5000, false));
  pty_scanner scanner(dir / "tty-0");
  pty_scanner idle(dir / "tty-1");
  daemon_process daemon(dir / "ravao.toml");
  daemon.wait_ready(2);
  std::this_thread::sleep_for(500ms);
  const std::int64_t before = proc_field(daemon.pid(), "io", "write_bytes");
  auto next = clock_type::now();
  for (std::size_t i = 0; i < scans; ++i) {
    const auto n = static_cast<std::uint32_t>(i);
    if (!scanner.send((i % 2 == 0 ? cccd_payload(n) : opaque_payload(n)) + "\r\n", clock_type::now() + 10s))
      daemon.fail("pty write timed out");
    if (!daemon.wait_for([&](const log_counts& c) { return c.accepted > i; }, 10s))
      daemon.fail(fmt::format("scan {} not acknowledged within 10 s", i));
    next += interval;
    std::this_thread::sleep_until(next);
  }
  const std::int64_t after = proc_field(daemon.pid(), "io", "write_bytes");
  daemon.stop();
  return static_cast<double>(after - before) / static_cast<double>(scans);
}

// 16 counters at once (scan_throughput_bench's burst, smaller): bytes per
// acknowledged scan, from the first byte written to the last ack.
double burst(const mode& m, std::uint32_t per_counter) {
  constexpr int counters = 16;
  temp_dir dir;
  write_text(dir / "ravao.toml", m.config(dir.path(), counters, 0, false));
  std::vector<std::unique_ptr<pty_scanner>> ptys;
  for (int i = 0; i < counters; ++i) ptys.push_back(std::make_unique<pty_scanner>(dir / fmt::format("tty-{}", i)));
  daemon_process daemon(dir / "ravao.toml");
  daemon.wait_ready(counters);
  const std::int64_t before = proc_field(daemon.pid(), "io", "write_bytes");
  const std::size_t total = std::size_t{per_counter} * counters;
  bool failed = false;
  write_burst(ptys, per_counter, clock_type::now() + 120s, failed);
  if (failed) daemon.fail("a pty did not take its burst in 120 s");
  if (!daemon.wait_for([&](const log_counts& c) { return c.accepted + c.duplicate + c.rejected >= total; }, 120s))
    daemon.fail("the burst was not acknowledged in 120 s");
  const std::int64_t after = proc_field(daemon.pid(), "io", "write_bytes");
  const auto accepted = daemon.counts().accepted;
  daemon.stop();
  return static_cast<double>(after - before) / static_cast<double>(accepted);
}

double bare_bytes_per_commit(std::size_t commits) {
  temp_dir dir;
  bare_sqlite bare(dir / "bare.db");
  const std::int64_t before = proc_field(::getpid(), "io", "write_bytes");
  for (std::size_t i = 0; i < commits; ++i) bare.commit_one(cccd_payload(static_cast<std::uint32_t>(i)), 0);
  return static_cast<double>(proc_field(::getpid(), "io", "write_bytes") - before) / static_cast<double>(commits);
}

const char* verdict(bool met) { return met ? "met" : "MISSED"; }

}  // namespace

int main(int argc, char** argv) try {
  const std::size_t scans = argc > 1 ? std::stoul(argv[1]) : 750;
  const std::chrono::milliseconds interval(argc > 2 ? std::stoi(argv[2]) : 20);
  const auto per_counter = static_cast<std::uint32_t>(argc > 3 ? std::stoul(argv[3]) : 2000);

  struct figures {
    memory idle[3];
    double slow = 0, burst = 0;
  } f[2];
  const int counters[3] = {2, 8, 16};
  for (int s = 0; s < 2; ++s) {
    const mode m(s == 1);
    for (int i = 0; i < 3; ++i) f[s].idle[i] = idle_memory(m, counters[i]);
    f[s].slow = slow_rate(m, scans, interval);
    f[s].burst = burst(m, per_counter);
  }
  const double bare = bare_bytes_per_commit(scans);

  std::printf("footprint_bench: folder %s; sealed = [sync] public_key; idle sealed also has [sync] url "
              "(connected to ravao-receiver)\n",
              temp_dir().describe().c_str());
  std::printf("%-16s %7s %7s %7s %7s %7s | %7s %7s %7s %7s %7s\n", "idle ravaod (KiB)", "VmRSS", "RssAnon",
              "RssFile", "Pss", "USS", "VmRSS", "RssAnon", "RssFile", "Pss", "USS");
  std::printf("%-16s %39s | %39s\n", "", "unsealed, no sync", "sealed, sync configured");
  for (int i = 0; i < 3; ++i) {
    const memory& u = f[0].idle[i];
    const memory& s = f[1].idle[i];
    const auto row = [](const memory& x) {
      return fmt::format("{:7} {:7} {:7} {:7} {:7}", x.rss_kb, x.anon_kb, x.file_kb, x.pss_kb, x.uss_kb);
    };
    std::printf("  %2d counters%3s %s | %s  (goal VmRSS < 8192, sealed: %s)\n", counters[i], "", row(u).c_str(),
                row(s).c_str(), verdict(s.rss_kb < 8192));
  }
  std::printf("%-52s %10s %10s\n", "disk bytes written per scan (write_bytes)", "unsealed", "sealed");
  std::printf("  slow: %zu scans, one every %lld ms %*s %10.0f %10.0f  (goal < 8192, sealed: %s)\n", scans,
              static_cast<long long>(interval.count()), 14, "", f[0].slow, f[1].slow, verdict(f[1].slow < 8192));
  std::printf("  burst: 16 counters x %u scans %*s %10.0f %10.0f  (goal < 8192, sealed: %s)\n", per_counter, 18, "",
              f[0].burst, f[1].burst, verdict(f[1].burst < 8192));
  std::printf("  bare SQLite 1-row commit (same folder) %*s %10.0f\n", 12, "", bare);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "footprint_bench: %s\n", e.what());
  return 1;
}
