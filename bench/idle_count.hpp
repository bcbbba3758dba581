#pragma once
// Counting an idle ravaod's wake-ups (usb_idle_bench, idle_wakeups_bench).
//
// A wake-up is counted as a context switch: every thread of an idle ravaod
// sleeps in epoll_wait, poll or a futex and switches once per wake-up. The
// counts (voluntary + involuntary, /proc/PID/task/*/status) are read once the
// daemon has settled, and again `window` later; nothing talks to the daemon
// in between. Per thread: tid, name, the kernel function it sleeps in
// (wchan), switches.

#include <cstdio>

#include "bench_daemon.hpp"

namespace ravao::bench {

struct thread_delta {
  int tid;
  std::string name, wchan;
  std::int64_t switches;  // -1: the thread appeared or went during the window
};

struct idle_result {
  std::string name;
  double seconds = 0;
  std::int64_t total = 0;
  std::vector<thread_delta> threads;
  std::int64_t control = 0;  // switches caused by one `ravaoctl status` after the window

  double per_minute() const { return static_cast<double>(total) * 60.0 / seconds; }
};

inline std::int64_t sum_switches(const std::map<int, thread_switches>& m) {
  std::int64_t n = 0;
  for (const auto& [tid, t] : m) n += t.switches;
  return n;
}

inline std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

// Counts the daemon's context switches over `window` once it has settled;
// then, as a control of the method, those one `ravaoctl status` causes (must
// be > 0, or the counting sees nothing and the bench fails).
inline idle_result count_idle(std::string name, daemon_process& daemon, const fs::path& socket,
                              std::chrono::seconds window) {
  const int pid = daemon.pid();
  std::this_thread::sleep_for(2s);  // the 500 ms STATUS= coalescing timer and the last ravaoctl session end
  const auto before = task_switches(pid);
  const auto t0 = clock_type::now();
  std::this_thread::sleep_for(window);
  const auto after = task_switches(pid);
  const auto t1 = clock_type::now();
  idle_result r{std::move(name), std::chrono::duration<double>(t1 - t0).count(), 0, {}};
  for (const auto& [tid, a] : after) {
    const auto b = before.find(tid);
    const std::int64_t d = b == before.end() ? -1 : a.switches - b->second.switches;
    r.threads.push_back({tid, a.name, first_line(fmt::format("/proc/{}/task/{}/wchan", pid, tid)), d});
    if (d > 0) r.total += d;
  }
  for (const auto& [tid, b] : before)
    if (!after.contains(tid)) r.threads.push_back({tid, b.name, "(exited)", -1});
  ctl_status(socket);
  r.control = sum_switches(task_switches(pid)) - sum_switches(after);
  if (r.control <= 0) daemon.fail("a ravaoctl status left no context switch: the counting is broken");
  return r;
}

inline void print_idle(const idle_result& r) {
  std::printf("%-58s %6.1f s %8lld  %7.2f /s  %6.1f /min  (control: one ravaoctl status = %lld)\n", r.name.c_str(),
              r.seconds, static_cast<long long>(r.total), static_cast<double>(r.total) / r.seconds, r.per_minute(),
              static_cast<long long>(r.control));
  for (const auto& t : r.threads)
    std::printf("    tid %-7d %-14s %-35s %8s\n", t.tid, t.name.c_str(), t.wchan.c_str(),
                t.switches < 0 ? "-" : std::to_string(t.switches).c_str());
}

}  // namespace ravao::bench
