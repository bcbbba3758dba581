// Sustained durable scans per second: 16 pty counters (alternately toggle and
// entry) scanned at once, one writer thread per pty writing as fast as the
// tty lets it (a full pty blocks the writer: back-pressure). Timed from the
// first byte written to the last scan.accepted line. Also reports disk bytes
// written per scan in this burst (/proc/PID/io write_bytes) and the group
// commit batch sizes inferred from the log. Goal: >= 20,000 scans/s.
// With seal=1 (default) the daemon has a provincial public key and seals
// every card's personal data (docs/privacy.md); seal=0 keeps none.
// Usage: scan_throughput_bench [scans_per_counter=20000] [counters=16] [seal=1]

#include <cstdio>
#include <mutex>

#include "bench_daemon.hpp"
#include "common/seal.hpp"

using namespace ravao::bench;

namespace {

// Log lines of one commit are written back to back after the commit; a gap
// longer than `gap` between two acknowledgements starts a new batch. Rough:
// batches logged back to back merge, and a reader thread descheduled inside
// a batch splits it (docs/benchmarks.md cross-checks with fdatasync counts).
std::vector<double> infer_batches(const std::vector<clock_type::time_point>& at, clock_type::duration gap) {
  std::vector<double> sizes;
  double n = 0;
  for (std::size_t i = 0; i < at.size(); ++i) {
    if (i > 0 && at[i] - at[i - 1] > gap) {
      sizes.push_back(n);
      n = 0;
    }
    ++n;
  }
  if (n > 0) sizes.push_back(n);
  return sizes;
}

}  // namespace

int main(int argc, char** argv) try {
  const std::uint32_t per_counter = argc > 1 ? static_cast<std::uint32_t>(std::stoul(argv[1])) : 20'000;
  const int counters = argc > 2 ? std::stoi(argv[2]) : 16;
  const bool sealed = argc > 3 ? std::stoi(argv[3]) != 0 : true;
  const std::size_t total = static_cast<std::size_t>(per_counter) * static_cast<std::size_t>(counters);
  temp_dir dir;
  // duplicate_window_ms = 0: a toggle pair is two scans seconds apart in
  // real life; here they are microseconds apart and must not be duplicates.
  write_text(dir / "ravao.toml",
             daemon_config(dir.path(), counters, 0, sealed ? ravao::seal::to_text(ravao::seal::generate().pub) : ""));
  std::vector<std::unique_ptr<pty_scanner>> ptys;
  for (int i = 0; i < counters; ++i) ptys.push_back(std::make_unique<pty_scanner>(dir / fmt::format("tty-{}", i)));

  std::mutex mutex;
  std::vector<clock_type::time_point> acks;
  acks.reserve(total);
  int odd_lines = 0;  // duplicate, rejected or dropped scans, first few shown
  daemon_process daemon(dir / "ravao.toml", [&](std::string_view line, clock_type::time_point at) {
    std::lock_guard lock(mutex);
    if (line.find(" scan.accepted:") != std::string_view::npos) acks.push_back(at);
    else if (line.find(" scan.") != std::string_view::npos && ++odd_lines <= 5)
      std::fprintf(stderr, "  log: %.*s\n", static_cast<int>(line.size()), line.data());
  });
  daemon.wait_ready(static_cast<std::size_t>(counters));
  const std::int64_t seq0 = ctl_last_seq(dir / "ravaod.sock");
  const std::int64_t written0 = proc_field(daemon.pid(), "io", "write_bytes");

  const auto deadline = clock_type::now() + 300s;
  bool write_failed = false;
  const clock_type::time_point first_byte = write_burst(ptys, per_counter, deadline, write_failed);
  const auto all_written = clock_type::now();
  const bool done = daemon.wait_for(
      [&](const log_counts& c) { return c.accepted + c.duplicate + c.rejected + c.dropped >= total; },
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()));
  const log_counts c = daemon.counts();
  std::this_thread::sleep_for(200ms);  // lets the status totals catch up
  const std::int64_t written1 = proc_field(daemon.pid(), "io", "write_bytes");
  const std::int64_t records = ctl_last_seq(dir / "ravaod.sock") - seq0;
  daemon.stop();

  std::lock_guard lock(mutex);
  if (acks.empty()) throw std::runtime_error("no scan was acknowledged");
  const double secs = std::chrono::duration<double>(acks.back() - first_byte).count();
  const double rate = static_cast<double>(acks.size()) / secs;
  const auto batches = infer_batches(acks, 200us);
  std::printf("scan_throughput_bench: %d counters x %u scans, folder %s%s\n", counters, per_counter,
              dir.describe().c_str(), done ? "" : " (DEADLINE HIT: incomplete)");
  std::printf("%-46s %14s\n", "measure", "value");
  std::printf("%-46s %14s\n", "personal data sealed ([sync] public_key)", sealed ? "yes" : "no");
  std::printf("%-46s %14zu\n", "scans written", total);
  std::printf("%-46s %14zu\n", "acknowledged (scan.accepted)", c.accepted);
  std::printf("%-46s %4zu / %4zu / %4zu\n", "duplicate / rejected / dropped", c.duplicate, c.rejected, c.dropped);
  std::printf("%-46s %14lld\n", "records committed (store.last_seq delta)", static_cast<long long>(records));
  std::printf("%-46s %14.2f\n", "writers done after (s)", std::chrono::duration<double>(all_written - first_byte).count());
  std::printf("%-46s %14.2f\n", "first byte -> last ack (s)", secs);
  std::printf("%-46s %14.0f  (goal >= 20000: %s)\n", "durable scans per second", rate, rate >= 20000 ? "met" : "MISSED");
  std::printf("%-46s %14.0f\n", "disk bytes written per scan (write_bytes)",
              static_cast<double>(written1 - written0) / static_cast<double>(c.accepted));
  std::printf("%-46s %14zu\n", "inferred batches (ack gap > 200 us)", batches.size());
  std::printf("%-46s %5.0f %5.0f %5.0f %5.0f\n", "inferred batch size mean / p50 / p90 / max",
              static_cast<double>(acks.size()) / static_cast<double>(batches.size()), percentile(batches, 50),
              percentile(batches, 90), percentile(batches, 100));
  return done && c.dropped == 0 && !write_failed ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "scan_throughput_bench: %s\n", e.what());
  return 1;
}
