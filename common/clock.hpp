#pragma once
// Time as a branch router knows it. Routers often boot without a real-time
// clock (at 1970 or the build date) until NTP answers, so every record carries
// wall time, the boot id, CLOCK_BOOTTIME and whether the kernel clock was
// synchronised: true times of a whole boot can be re-derived later.

#include <chrono>
#include <cstdint>
#include <string>

namespace ravao {

struct timestamp {
  std::int64_t wall_ms = 0;      // CLOCK_REALTIME, milliseconds since the epoch
  std::int64_t boottime_ns = 0;  // CLOCK_BOOTTIME: monotonic across suspend, from boot
  bool synced = false;           // adjtimex(): kernel clock not marked STA_UNSYNC
};

// The current time. Cheap: two clock_gettime calls and a cached sync flag
// that is refreshed at most once a second.
timestamp now();

// /proc/sys/kernel/random/boot_id, read once per process.
const std::string& boot_id();

// Whether the clock is synchronised: the kernel says so (adjtimex: not
// STA_UNSYNC), or the time-sync flag file exists (systemd-timesyncd creates
// /run/systemd/timesync/synchronized once it has set the clock; in a
// container the kernel's flag belongs to the host). Fresh on each call.
bool clock_synchronised();

// The flag file clock_synchronised() also accepts; empty: the kernel only.
// Set once at start (and on reload), before other threads read the clock.
void set_time_sync_flag(std::string path);

// Milliseconds from a to b by CLOCK_BOOTTIME (immune to wall-clock steps).
// Both must be from the same boot; callers compare boot ids first.
std::int64_t elapsed_ms(const timestamp& a, const timestamp& b);

// "2026-11-23 14:05:09" at the given UTC offset.
std::string format_local(std::int64_t wall_ms, std::chrono::minutes utc_offset);

// Days since 1970-01-01 of the local date at the given offset.
std::int64_t local_day(std::int64_t wall_ms, std::chrono::minutes utc_offset);

}  // namespace ravao
