#include "common/notify.hpp"

#include <time.h>

#include <string>

#include <fmt/format.h>
#include <systemd/sd-daemon.h>

namespace ravao::notify {

void ready() { sd_notify(0, "READY=1"); }

void status(std::string_view line) {
  std::string msg = "STATUS=";
  for (char c : line) msg += (c == '\n' ? ' ' : c);
  sd_notify(0, msg.c_str());
}

void watchdog() { sd_notify(0, "WATCHDOG=1"); }

void reloading() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  const auto usec = static_cast<unsigned long long>(ts.tv_sec) * 1'000'000ULL +
                    static_cast<unsigned long long>(ts.tv_nsec) / 1000ULL;
  sd_notify(0, fmt::format("RELOADING=1\nMONOTONIC_USEC={}", usec).c_str());
}

void stopping() { sd_notify(0, "STOPPING=1"); }

std::optional<std::chrono::microseconds> watchdog_interval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec / 2);
}

}  // namespace ravao::notify
