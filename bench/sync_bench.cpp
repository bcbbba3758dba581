// Sync drain: a backlog of N records (default 1,000,000, as a long outage
// leaves behind) uploaded by ravaod to ravao-receiver over mutual TLS on
// loopback. Reports the drain rate (records acknowledged per second, from
// the clock being declared synchronised to an empty queue) and ravaod's peak
// resident memory (VmHWM) while draining. Goals: >= 50,000 records/s;
// <= 40 MiB.
// Usage: sync_bench [records=1000000] [batch_max_records=5000]

#include <cstdio>
#include <iostream>

#include "bench_daemon.hpp"
#include "bench_receiver.hpp"
#include "bench_util.hpp"
#include "tests/support/backlog.hpp"

using namespace ravao::bench;

int main(int argc, char** argv) {
  const std::int64_t records = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  const int batch = argc > 2 ? std::atoi(argv[2]) : 5000;
  temp_dir dir;
  const std::string pub = make_receiver_keys(dir.path(), "bd-bench");
  receiver recv(dir.path());

  write_text(dir / "ravao.toml",
             daemon_config(dir.path(), 1, 5000) +
                 receiver_sync_section(dir.path(), recv, pub,
                                       fmt::format("batch_max_records = {}\nbatch_max_kilobytes = 4096\n"
                                                   "heartbeat_seconds = 3600\n", batch)));
  pty_scanner scanner(dir / "tty-0");
  const auto fill_start = clock_type::now();
  ravao::test::fill_backlog(dir / "ravao.db", records, pub, "c0");
  const double fill_s = std::chrono::duration<double>(clock_type::now() - fill_start).count();
  std::printf("backlog: %lld records written in %.1f s; store %.1f MiB\n", static_cast<long long>(records), fill_s,
              static_cast<double>(fs::file_size(dir / "ravao.db")) / (1 << 20));

  daemon_process daemon(dir / "ravao.toml");
  daemon.wait_ready(1);
  const auto socket = dir / "ravaod.sock";
  const std::int64_t idle_kib = proc_field(daemon.pid(), "status", "VmHWM");
  write_text(dir / "clock-synced", "");
  const auto t0 = clock_type::now();
  std::int64_t depth = records;
  while (depth > 0) {
    std::this_thread::sleep_for(100ms);
    depth = ctl_json(socket, {"sync"}).at("depth").to_number<std::int64_t>();
    if (clock_type::now() - t0 > 30min) daemon.fail("backlog not drained in 30 minutes");
  }
  const double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  const std::int64_t peak_kib = proc_field(daemon.pid(), "status", "VmHWM");
  const auto s = ctl_json(socket, {"sync"});
  daemon.stop();
  const double rate = static_cast<double>(records) / secs;
  std::printf("drain: %lld records in %.2f s = %.0f records/s (batches of %d, %lld batches, %lld duplicates)\n",
              static_cast<long long>(records), secs, rate, batch,
              static_cast<long long>(s.at("batches_sent").to_number<std::int64_t>()),
              static_cast<long long>(s.at("duplicates").to_number<std::int64_t>()));
  std::printf("ravaod VmHWM: %.1f MiB idle before the drain, %.1f MiB peak while draining\n", static_cast<double>(idle_kib) / 1024.0,
              static_cast<double>(peak_kib) / 1024.0);
  std::printf("goal >= 50,000 records/s: %s; goal <= 40 MiB: %s\n", rate >= 50'000 ? "met" : "MISSED",
              peak_kib <= 40 * 1024 ? "met" : "MISSED");
  return 0;
}
