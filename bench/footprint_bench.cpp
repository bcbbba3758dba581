// Footprint: idle resident memory of ravaod after start-up (VmRSS, with 2, 8
// and 16 pty counters, nothing scanning), and disk bytes written per scan at
// a slow rate (one scan every 20 ms, so each is its own transaction), from
// /proc/PID/io write_bytes. A bare SQLite single-row commit in the same
// folder is measured the same way (this process's own write_bytes) for
// comparison. Goals: RSS < 8 MiB; < 8 KiB written per scan.
// Usage: footprint_bench [slow_scans=750] [interval_ms=20]

#include <cstdio>

#include "bare_sqlite.hpp"
#include "bench_daemon.hpp"

using namespace ravao::bench;

namespace {

struct memory {
  int counters;
  std::int64_t rss_kb, anon_kb, file_kb, pss_kb;
};

memory idle_memory(int counters) {
  temp_dir dir;
  write_text(dir / "ravao.toml", daemon_config(dir.path(), counters, 5000));
  std::vector<std::unique_ptr<pty_scanner>> ptys;
  for (int i = 0; i < counters; ++i) ptys.push_back(std::make_unique<pty_scanner>(dir / fmt::format("tty-{}", i)));
  daemon_process daemon(dir / "ravao.toml");
  daemon.wait_ready(static_cast<std::size_t>(counters));
  ctl_status(dir / "ravaod.sock");  // the control path has been used once
  std::this_thread::sleep_for(1s);
  const int pid = daemon.pid();
  memory m{counters, proc_field(pid, "status", "VmRSS"), proc_field(pid, "status", "RssAnon"),
           proc_field(pid, "status", "RssFile"), proc_field(pid, "smaps_rollup", "Pss")};
  daemon.stop();
  return m;
}

struct disk_use {
  std::size_t scans;
  double daemon_bytes_per_scan, bare_bytes_per_commit;
  std::int64_t rss_after_kb;
};

disk_use slow_rate(std::size_t scans, std::chrono::milliseconds interval) {
  temp_dir dir;
  write_text(dir / "ravao.toml", daemon_config(dir.path(), 2, 5000));
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
  const std::int64_t rss_after = proc_field(daemon.pid(), "status", "VmRSS");
  daemon.stop();

  bare_sqlite bare(dir / "bare.db");
  const std::int64_t self_before = proc_field(::getpid(), "io", "write_bytes");
  for (std::size_t i = 0; i < scans; ++i) bare.commit_one(cccd_payload(static_cast<std::uint32_t>(i)), 0);
  const std::int64_t self_after = proc_field(::getpid(), "io", "write_bytes");
  return {scans, static_cast<double>(after - before) / static_cast<double>(scans),
          static_cast<double>(self_after - self_before) / static_cast<double>(scans), rss_after};
}

}  // namespace

int main(int argc, char** argv) try {
  const std::size_t scans = argc > 1 ? std::stoul(argv[1]) : 750;
  const std::chrono::milliseconds interval(argc > 2 ? std::stoi(argv[2]) : 20);
  std::vector<memory> mem;
  for (int n : {2, 8, 16}) mem.push_back(idle_memory(n));
  const disk_use disk = slow_rate(scans, interval);

  std::printf("footprint_bench: folder %s\n", temp_dir().describe().c_str());  // same base as the runs
  std::printf("%-34s %10s %10s %10s %10s\n", "idle ravaod (KiB)", "VmRSS", "RssAnon", "RssFile", "Pss");
  for (const auto& m : mem)
    std::printf("  %2d counters%21s %10lld %10lld %10lld %10lld  (goal < 8192: %s)\n", m.counters, "",
                static_cast<long long>(m.rss_kb), static_cast<long long>(m.anon_kb),
                static_cast<long long>(m.file_kb), static_cast<long long>(m.pss_kb),
                m.rss_kb < 8192 ? "met" : "MISSED");
  std::printf("%-52s %10s\n", "disk writes, slow rate (1 scan / interval)", "bytes");
  std::printf("  ravaod write_bytes per scan (%zu scans, every %lld ms) %10.0f  (goal < 8192: %s)\n",
              disk.scans, static_cast<long long>(interval.count()), disk.daemon_bytes_per_scan,
              disk.daemon_bytes_per_scan < 8192 ? "met" : "MISSED");
  std::printf("  bare SQLite write_bytes per 1-row commit %22.0f\n", disk.bare_bytes_per_commit);
  std::printf("  ravaod VmRSS after the slow scans (KiB) %23lld\n", static_cast<long long>(disk.rss_after_kb));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "footprint_bench: %s\n", e.what());
  return 1;
}
