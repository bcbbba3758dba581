#pragma once
// Shared pieces of the USB benchmarks (usb_*_bench.cpp): running under
// umockdev's preload library, configs with emulated USB devices, and waiting
// for `ravaoctl devices` to show them online. The emulated devices are the
// test bed of tests/support/usb (docs/usb-testing.md); this process owns the
// testbed and answers the devices' ioctls on umockdev's worker thread, while
// ravaod (a child under the same preload) drives them through the real libusb.

#include <cstring>
#include <initializer_list>

#include "bench_daemon.hpp"

namespace ravao::bench {

inline constexpr const char* umockdev_preload = "libumockdev-preload.so.0";

// The testbed needs umockdev's preload library in this process (usb_testbed
// refuses to start without it, and the "add" uevents are only emitted under
// it). Started without it, the bench runs itself again with it prepended to
// LD_PRELOAD, so `usb_latency_bench` and
// `LD_PRELOAD=libumockdev-preload.so.0 usb_latency_bench` are the same run.
// Call first in main(), before any thread exists.
inline void run_under_umockdev(char** argv) {
  const char* current = std::getenv("LD_PRELOAD");
  if (current && std::strstr(current, "libumockdev-preload.so")) return;
  const std::string value = current && *current ? fmt::format("{}:{}", umockdev_preload, current) : umockdev_preload;
  ::setenv("LD_PRELOAD", value.c_str(), 1);
  ::execv("/proc/self/exe", argv);
  throw std::runtime_error(fmt::format("cannot run again under {}: {}", umockdev_preload, std::strerror(errno)));
}

// What ravaod's environment must hold to see the emulated devices: the
// preload (set explicitly, not left to inheritance). $UMOCKDEV_DIR, set by the
// testbed's constructor, is inherited.
inline std::vector<std::pair<std::string, std::string>> umockdev_child_env() {
  const char* current = std::getenv("LD_PRELOAD");
  return {{"LD_PRELOAD", current ? current : umockdev_preload}};
}

// The [site], [store], [control] and [visits] head of a config in `dir`.
inline std::string config_head(const fs::path& dir, int duplicate_window_ms) {
  return fmt::format(
      "[site]\nid = \"bd-bench\"\nname = \"Bưu điện Gia Lai\"\n\n[store]\npath = \"{0}/ravao.db\"\n\n"
      "[control]\nsocket = \"{0}/ravaod.sock\"\n\n[visits]\nduplicate_window_ms = {1}\n",
      dir.string(), duplicate_window_ms);
}

// One [[scanner]] + [[counter]] pair; `scanner_keys` are the scanner's lines
// after id (kind, device or usb_id...), `counter_keys` extra counter lines.
inline std::string counter_entry(std::string_view counter, std::string_view scanner_keys,
                                 std::string_view counter_keys = "") {
  return fmt::format(
      "\n[[scanner]]\nid = \"s-{0}\"\n{1}\n\n[[counter]]\nid = \"{0}\"\nname = \"Quầy {0}\"\nscanner = \"s-{0}\"\n"
      "mode = \"entry\"\n{2}",
      counter, scanner_keys, counter_keys);
}

// `ravaoctl devices`: the state of the entry with this id ("" when absent).
inline std::string device_state(const boost::json::value& devices, std::string_view id) {
  for (const auto& d : devices.as_array()) {
    const auto& o = d.as_object();
    if (const auto* i = o.if_contains("id"); i && i->is_string() && i->as_string() == id)
      return std::string(o.at("state").as_string());
  }
  return {};
}

// Polls `ravaoctl devices` until every id is "online"; fails the bench after
// `timeout` with the last answer.
inline void wait_devices_online(daemon_process& daemon, const fs::path& socket,
                                std::initializer_list<std::string_view> ids, std::chrono::milliseconds timeout) {
  const auto end = clock_type::now() + timeout;
  std::string last;
  while (clock_type::now() < end) {
    try {
      const auto devices = ctl_json(socket, {"devices"});
      last = boost::json::serialize(devices);
      if (std::ranges::all_of(ids, [&](std::string_view id) { return device_state(devices, id) == "online"; }))
        return;
    } catch (const std::exception& e) {
      last = e.what();  // the socket is not up yet
    }
    std::this_thread::sleep_for(50ms);
  }
  daemon.fail("devices not online in time; ravaoctl devices: " + last);
}

}  // namespace ravao::bench
