// Idle wake-ups of ravaod with USB devices attached, against serial-only
// baselines. Goal: an idle daemon does not wake up beyond its timers (the
// watchdog, absent here since nothing sets WATCHDOG_USEC, and the 30 s visit
// expiry pass), i.e. ~0 wake-ups per second: no polling of libusb or of the
// devices.
//
// Wake-ups counted as in bench/idle_count.hpp. Cases:
//   1. one pty serial scanner, ravaod without umockdev's preload (production);
//   2. the same under the preload (what the preload itself costs);
//   3. emulated USB devices (umockdev): a HID POS scanner, a keyboard-wedge
//      scanner and a printer-class printer, all claimed by ravaod.
// Usage: usb_idle_bench [seconds=20]
// (runs itself under LD_PRELOAD=libumockdev-preload.so.0 when started without it)

#include <cstdio>

#include "idle_count.hpp"
#include "support/usb/scanner_devices.hpp"
#include "usb_bench.hpp"

using namespace ravao::bench;
namespace fu = ravao::test::usb;

namespace {

// Cases 1 and 2: one pty serial scanner.
idle_result serial_only(std::string name, std::string_view preload, std::chrono::seconds window) {
  temp_dir dir;
  pty_scanner tty(dir / "tty-serial");
  write_text(dir / "ravao.toml",
             config_head(dir.path(), 5000) +
                 counter_entry("serial", fmt::format("kind = \"serial\"\ndevice = \"{}\"\nbaud = 115200",
                                                     (dir / "tty-serial").string())));
  daemon_process daemon(dir / "ravao.toml", {}, {{"LD_PRELOAD", std::string(preload)}});
  daemon.wait_ready(1);
  wait_devices_online(daemon, dir / "ravaod.sock", {"s-serial"}, 30s);
  auto r = count_idle(std::move(name), daemon, dir / "ravaod.sock", window);
  daemon.stop();
  return r;
}

// Case 3: emulated HID POS scanner, keyboard scanner and printer.
idle_result usb_devices(std::string name, std::chrono::seconds window) {
  temp_dir dir;
  fu::usb_testbed bed;  // sets $UMOCKDEV_DIR, inherited by ravaod
  bed.pollable_nodes = true;
  bed.add_root_hub();
  fu::fake_usb_device pos{fu::hid_pos_scanner(0x05e0, 0x1300, {.devnum = 2, .port_path = "2"})};
  fu::fake_usb_device wedge{fu::keyboard_scanner(0x0c2e, 0x0b61, {.devnum = 3, .port_path = "3"})};
  fu::fake_usb_device printer{fu::printer(0x04b8, 0x0202, {.devnum = 4, .port_path = "4"})};
  bed.add(pos);
  bed.add(wedge);
  bed.add(printer);
  write_text(dir / "ravao.toml",
             config_head(dir.path(), 5000) +
                 counter_entry("usb", "kind = \"usb-hid\"\nusb_id = \"05e0:1300\"", "printer = \"p1\"\n") +
                 counter_entry("kbd", "kind = \"usb-hid\"\nmode = \"keyboard\"\nusb_id = \"0c2e:0b61\"") +
                 "\n[[printer]]\nid = \"p1\"\nkind = \"usb\"\nusb_id = \"04b8:0202\"\n");
  daemon_process daemon(dir / "ravao.toml", {}, umockdev_child_env());
  daemon.wait_ready(2);
  wait_devices_online(daemon, dir / "ravaod.sock", {"s-usb", "s-kbd", "p1"}, 30s);
  if (!pos.claimed(0) || !wedge.claimed(0) || !printer.claimed(0))
    daemon.fail("online, but an emulated device's interface is not claimed");
  auto r = count_idle(std::move(name), daemon, dir / "ravaod.sock", window);
  daemon.stop();
  return r;
}

}  // namespace

int main(int argc, char** argv) try {
  run_under_umockdev(argv);
  const std::chrono::seconds window(argc > 1 ? std::stoi(argv[1]) : 20);
  std::vector<idle_result> results;
  results.push_back(serial_only("1. serial (pty), no preload", "", window));
  results.push_back(serial_only("2. serial (pty), under umockdev's preload", umockdev_preload, window));
  results.push_back(usb_devices("3. usb: HID POS + keyboard scanner + printer (umockdev)", window));

  std::printf("usb_idle_bench: idle ravaod, context switches of all its threads over %lld s\n",
              static_cast<long long>(window.count()));
  std::printf("%-58s %8s %8s  %10s\n", "case / thread (wchan: where it sleeps)", "window", "switches", "wake-ups");
  for (const auto& r : results) print_idle(r);
  const double usb_rate = static_cast<double>(results[2].total) / results[2].seconds;
  // One expiry pass (every 30 s) costs a few switches: loop and committer.
  std::printf("goal (no wake-ups beyond the timers, ~0/s; <= 0.5/s allows an expiry pass): usb %.2f/s: %s\n",
              usb_rate, usb_rate <= 0.5 ? "met" : "MISSED");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "usb_idle_bench: %s\n", e.what());
  return 1;
}
