// A 64-bit time_t for this file's calls into glibc, whatever the target's
// ABI: on Debian 12 armhf (32-bit time_t) clock_gettime then reads the wall
// clock past 2038-01-19 (glibc >= 2.34 maps it to clock_gettime64), where
// the 32-bit call fails with EOVERFLOW. Safe in this one file: the timespec
// and timex it fills go to glibc only (which has both ABIs), never to
// another library or across the header, which speaks int64 milliseconds
// and nanoseconds (docs/cross-build.md "The year 2038").
#ifndef _TIME_BITS
#define _FILE_OFFSET_BITS 64
#define _TIME_BITS 64
#endif

#include "common/clock.hpp"

#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>

#include <fmt/format.h>

namespace ravao {
namespace {

std::int64_t read_clock_ns(clockid_t id) {
  struct timespec ts {};
  ::clock_gettime(id, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

namespace {
std::mutex flag_mutex;
std::string flag_path;  // guarded by flag_mutex
// now()'s cached sync flag: refreshed at most once a second.
std::atomic<std::int64_t> sync_checked_at{-1'000'000'000'000};
std::atomic<bool> sync_cached{false};
}  // namespace

void set_time_sync_flag(std::string path) {
  {
    std::lock_guard lock(flag_mutex);
    flag_path = std::move(path);
  }
  sync_checked_at.store(-1'000'000'000'000, std::memory_order_relaxed);  // look again at the next now()
}

bool clock_synchronised() {
  // adjtimex fails with EPERM under systemd's ProtectClock= (the packaged
  // unit sets it): then only the flag file can tell.
  struct timex tx {};
  const int state = ::adjtimex(&tx);
  if (state != -1 && state != TIME_ERROR && (tx.status & STA_UNSYNC) == 0) return true;
  std::lock_guard lock(flag_mutex);
  return !flag_path.empty() && ::access(flag_path.c_str(), F_OK) == 0;
}

timestamp now() {
  // The sync flag only changes when NTP steps in; one adjtimex per second is
  // plenty and keeps the scan path to two clock reads.
  auto& checked_at = sync_checked_at;
  auto& synced = sync_cached;
  timestamp t;
  t.boottime_ns = read_clock_ns(CLOCK_BOOTTIME);
  t.wall_ms = read_clock_ns(CLOCK_REALTIME) / 1'000'000;
  if (t.boottime_ns - checked_at.load(std::memory_order_relaxed) > 1'000'000'000) {
    synced.store(clock_synchronised(), std::memory_order_relaxed);
    checked_at.store(t.boottime_ns, std::memory_order_relaxed);
  }
  t.synced = synced.load(std::memory_order_relaxed);
  return t;
}

const std::string& boot_id() {
  static const std::string id = [] {
    std::string s;
    if (std::FILE* f = std::fopen("/proc/sys/kernel/random/boot_id", "re")) {
      char buf[64] = {};
      if (std::fgets(buf, sizeof buf, f)) s = buf;
      std::fclose(f);
    }
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s.empty() ? std::string("unknown") : s;
  }();
  return id;
}

std::int64_t elapsed_ms(const timestamp& a, const timestamp& b) {
  return (b.boottime_ns - a.boottime_ns) / 1'000'000;
}

std::int64_t local_day(std::int64_t wall_ms, std::chrono::minutes utc_offset) {
  return floor_div(wall_ms + utc_offset.count() * 60'000, 86'400'000);
}

std::string format_local(std::int64_t wall_ms, std::chrono::minutes utc_offset) {
  const std::int64_t local_ms = wall_ms + utc_offset.count() * 60'000;
  const std::int64_t days = floor_div(local_ms, 86'400'000);
  const std::int64_t sec_of_day = floor_div(local_ms - days * 86'400'000, 1000);
  const std::chrono::sys_days d{std::chrono::days{days}};
  const std::chrono::year_month_day ymd{d};
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     sec_of_day / 3600, (sec_of_day / 60) % 60, sec_of_day % 60);
}

}  // namespace ravao
