#pragma once
// systemd's notification protocol (sd_notify): READY=1, STATUS=, WATCHDOG=1,
// RELOADING=1, STOPPING=1. Without $NOTIFY_SOCKET every call is a no-op, so
// ravaod runs the same in a terminal and under systemd.

#include <chrono>
#include <optional>
#include <string_view>

namespace ravao::notify {

void ready();
void status(std::string_view line);
void watchdog();
void reloading();  // also sends MONOTONIC_USEC, as systemd 253+ expects
void stopping();

// Half the WATCHDOG_USEC systemd asked for (the interval to ping at), or
// nullopt when no watchdog is set for this process.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace ravao::notify
