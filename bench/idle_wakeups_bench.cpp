// Idle wake-ups of the whole ravaod as the demo configures it (one scanner,
// a file printer), without sync and with sync to ravao-receiver on loopback
// (mutual TLS, clock synchronised, one record uploaded and the first
// heartbeat sent before counting). Goal (issue 16): an idle daemon with sync
// configured does not wake once a second; what remains are its timers at
// their configured intervals (the 30 s visit expiry pass, the 5 s STATUS=
// refresh, the heartbeat every [sync] heartbeat_seconds; no watchdog here,
// nothing sets WATCHDOG_USEC).
// Wake-ups are counted as in bench/idle_count.hpp (context switches of every
// thread over the window), printed per thread and per minute.
// Usage: idle_wakeups_bench [seconds=60]

#include <cstdio>

#include "receiver_process.hpp"
#include "idle_count.hpp"

using namespace ravao::bench;

namespace {

// One pty scanner at a toggle counter printing to a file printer, as
// config/demo.toml; sealing on; `sync`: a [sync] section or none.
std::string demo_like_config(const fs::path& dir, const std::string& public_key, const std::string& sync) {
  std::string cfg = daemon_config(dir, 1, 2000);
  cfg.replace(cfg.find("mode = \"toggle\"\n"), 16, "mode = \"toggle\"\nprinter = \"slips\"\n");
  cfg += fmt::format("\n[[printer]]\nid = \"slips\"\nkind = \"file\"\npath = \"{}/slips\"\npaper_width_mm = 80\n",
                     dir.string());
  return cfg + (sync.empty() ? fmt::format("\n[sync]\npublic_key = \"{}\"\n", public_key) : sync);
}

std::int64_t field(const boost::json::value& v, std::string_view k) { return v.at(k).to_number<std::int64_t>(); }

idle_result idle_daemon(std::string name, bool with_sync, std::chrono::seconds window) {
  temp_dir dir;
  run_tool({"pki", "--out", (dir / "pki").string(), "--client", "bd-bench"});
  const std::string pub = province_key(dir.path());
  std::optional<receiver> recv;
  if (with_sync) recv.emplace(dir.path());
  write_text(dir / "clock-synced", "");
  write_text(dir / "ravao.toml",
             demo_like_config(dir.path(), pub, with_sync ? sync_section(dir.path(), recv->port, pub) : ""));
  pty_scanner scanner(dir / "tty-0");
  daemon_process daemon(dir / "ravao.toml");
  daemon.wait_ready(1);
  const auto socket = dir / "ravaod.sock";
  // One visitor, so the store, the uploader and its TLS connection have all
  // done their first work; then idle.
  if (!scanner.send(cccd_payload(1) + "\r", clock_type::now() + 10s)) daemon.fail("cannot write the scan");
  const auto end = clock_type::now() + 60s;
  while (true) {
    const auto s = ctl_json(socket, {"sync"});
    const bool done = field(s, "last_seq") >= 1 &&
                      (!with_sync || (field(s, "acked_seq") >= 1 && !s.at("last_heartbeat_wall_ms").is_null()));
    if (done) break;
    if (clock_type::now() > end) daemon.fail("the scan was not recorded (and uploaded) within 60 s");
    std::this_thread::sleep_for(100ms);
  }
  auto r = count_idle(std::move(name), daemon, socket, window);
  daemon.stop();
  return r;
}

}  // namespace

int main(int argc, char** argv) try {
  const std::chrono::seconds window(argc > 1 ? std::stoi(argv[1]) : 60);
  std::vector<idle_result> results;
  results.push_back(idle_daemon("1. demo-like (scanner + file printer), sync off", false, window));
  results.push_back(idle_daemon("2. the same with sync to ravao-receiver (TLS, idle)", true, window));
  std::printf("idle_wakeups_bench: idle ravaod, context switches of all its threads over %lld s\n",
              static_cast<long long>(window.count()));
  std::printf("%-58s %8s %8s  %10s\n", "case / thread (wchan: where it sleeps)", "window", "switches", "wake-ups");
  for (const auto& r : results) print_idle(r);
  // Once a second on any thread would be >= 60/min on its own.
  const double synced = results[1].per_minute();
  std::printf("goal (sync configured, no once-a-second wake-up: < 60/min in all): %.1f/min: %s\n", synced,
              synced < 60 ? "met" : "MISSED");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "idle_wakeups_bench: %s\n", e.what());
  return 1;
}
