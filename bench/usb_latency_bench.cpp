// Scan-to-commit latency through the USB path beside the serial path, in the
// same run: one ravaod with a HID POS scanner (emulated, umockdev) at counter
// "usb" and a pty serial scanner at counter "serial". Scans alternate between
// the two, one at a time; each is timed from just before its HID reports are
// queued (USB) or its line is written (pty) until its scan.accepted line
// (logged after the commit) arrives on ravaod's piped stderr, as in
// scan_latency_bench. Every payload is a CCCD card with its own ID number, so
// none is a duplicate and each opens a visit.
//
// The USB figure includes the emulation: every URB submit and reap of ravaod's
// libusb is an ioctl that umockdev's preload forwards over a socket to this
// process, where the fake device answers it on umockdev's worker thread.
// Reported: p50/p90/p99/max per path and the usb/serial ratios.
// Usage: usb_latency_bench [samples_per_path=500] [warmup_per_path=50]
// (runs itself under LD_PRELOAD=libumockdev-preload.so.0 when started without it)

#include <linux/usbdevice_fs.h>
#include <sys/ioctl.h>

#include <atomic>
#include <cstdio>
#include <mutex>

#include "support/usb/scanner_devices.hpp"
#include "usb_bench.hpp"

using namespace ravao::bench;
namespace fu = ravao::test::usb;

namespace {

struct arrival {
  clock_type::time_point at;
  std::string counter;
  std::int64_t seq = -1;
  double daemon_us = 0;  // latency_us the daemon logs: frame received -> logged
};

struct arrivals {
  std::mutex mutex;
  std::vector<arrival> lines;
};

struct path_samples {
  std::vector<double> total_us, daemon_us, transport_us;  // transport = total - daemon's own
};

// The cost of one emulated ioctl: USBDEVFS_GET_CAPABILITIES on the device
// node from this process, forwarded by the preload over umockdev's socket to
// its worker thread and answered there, microseconds per call.
// Every URB submit and reap of ravaod pays at least this.
std::vector<double> emulated_ioctl_us(const fu::fake_usb_device& d, std::size_t calls) {
  const int fd = ::open(d.devnode().c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + d.devnode() + " under umockdev");
  std::vector<double> us;
  for (std::size_t i = 0; i < calls; ++i) {
    std::uint32_t caps = 0;
    const auto t0 = clock_type::now();
    const int rc = ::ioctl(fd, USBDEVFS_GET_CAPABILITIES, &caps);
    us.push_back(micros(clock_type::now() - t0));
    if (rc != 0) {
      ::close(fd);
      throw std::runtime_error("USBDEVFS_GET_CAPABILITIES failed on the emulated device");
    }
  }
  ::close(fd);
  return us;
}

// Every ioctl the emulated devices answer, by kind: counted by an emission
// hook on umockdev's "handle-ioctl" signal, on umockdev's worker thread.
struct ioctl_counts {
  std::atomic<std::uint64_t> submit{0}, reap{0}, other{0};
  struct snapshot {
    std::uint64_t submit, reap, other;
  };
  snapshot now() const { return {submit.load(), reap.load(), other.load()}; }
};

gboolean count_ioctl(GSignalInvocationHint*, guint n_values, const GValue* values, gpointer data) {
  if (n_values < 2) return TRUE;
  auto* counts = static_cast<ioctl_counts*>(data);
  auto* client = static_cast<UMockdevIoctlClient*>(g_value_get_object(&values[1]));
  const unsigned long request = umockdev_ioctl_client_get_request(client);
  if (request == USBDEVFS_SUBMITURB) ++counts->submit;
  else if (request == USBDEVFS_REAPURBNDELAY || request == USBDEVFS_REAPURB) ++counts->reap;
  else ++counts->other;
  return TRUE;  // stay installed
}

void print_row(std::string_view name, const std::vector<double>& v) {
  std::printf("%-46s %6zu %8.0f %8.0f %8.0f %8.0f\n", std::string(name).c_str(), v.size(), percentile(v, 50),
              percentile(v, 90), percentile(v, 99), percentile(v, 100));
}

}  // namespace

int main(int argc, char** argv) try {
  run_under_umockdev(argv);
  const std::size_t samples = argc > 1 ? std::stoul(argv[1]) : 500;
  const std::size_t warmup = argc > 2 ? std::stoul(argv[2]) : 50;

  temp_dir dir;
  // Outlives the testbed: the hook (installed below, never removed) writes
  // into it from umockdev's worker thread.
  ioctl_counts ioctls;
  // The testbed first: it sets $UMOCKDEV_DIR, which ravaod inherits. The
  // devices outlive the daemon (declared after them, destroyed first).
  fu::usb_testbed bed;
  bed.pollable_nodes = true;
  bed.add_root_hub();
  fu::fake_usb_device pos{fu::hid_pos_scanner(0x05e0, 0x1300, {.devnum = 2, .port_path = "2"})};
  bed.add(pos);
  pty_scanner tty(dir / "tty-serial");
  const auto ioctl_us = emulated_ioctl_us(pos, 1000);  // before ravaod opens the device
  g_signal_add_emission_hook(g_signal_lookup("handle-ioctl", umockdev_ioctl_base_get_type()), 0, count_ioctl,
                             &ioctls, nullptr);

  write_text(dir / "ravao.toml",
             config_head(dir.path(), 5000) +
                 counter_entry("usb", "kind = \"usb-hid\"\nusb_id = \"05e0:1300\"") +
                 counter_entry("serial", fmt::format("kind = \"serial\"\ndevice = \"{}\"\nbaud = 115200",
                                                     (dir / "tty-serial").string())));
  arrivals arr;
  daemon_process daemon(
      dir / "ravao.toml",
      [&](std::string_view line, clock_type::time_point at) {
        if (line.find(" scan.accepted:") == std::string_view::npos) return;
        std::lock_guard lock(arr.mutex);
        arr.lines.push_back({at, std::string(log_field(line, "counter")), log_int(line, "seq"),
                             static_cast<double>(log_int(line, "latency_us"))});
      },
      umockdev_child_env());
  daemon.wait_ready(2);
  wait_devices_online(daemon, dir / "ravaod.sock", {"s-usb", "s-serial"}, 30s);

  path_samples usb, serial;
  std::int64_t last_seq = 0;
  std::size_t scans = 0;
  ioctl_counts::snapshot ioctls_before{};
  for (std::size_t i = 0; i < warmup + samples; ++i) {
    if (i == warmup) ioctls_before = ioctls.now();
    for (const bool via_usb : {true, false}) {
      // Distinct ID numbers: no scan is a duplicate, each opens a visit.
      const std::string payload = cccd_payload(static_cast<std::uint32_t>(scans));
      const auto t0 = clock_type::now();
      if (via_usb) {
        fu::send(pos, fu::pos_reports(payload));
      } else if (!tty.send(payload + "\r\n", t0 + 10s)) {
        daemon.fail("pty write timed out");
      }
      ++scans;
      if (!daemon.wait_for([&](const log_counts& c) { return c.accepted >= scans; }, 10s))
        daemon.fail(fmt::format("scan {} ({}) not acknowledged within 10 s", scans - 1, via_usb ? "usb" : "serial"));
      std::lock_guard lock(arr.mutex);
      const arrival& a = arr.lines.at(scans - 1);
      const char* expected = via_usb ? "usb" : "serial";
      if (a.counter != expected || a.seq <= last_seq)
        daemon.fail(fmt::format("scan {} acknowledged as counter={} seq={}, expected counter={} seq>{}", scans - 1,
                                a.counter, a.seq, expected, last_seq));
      last_seq = a.seq;
      if (i < warmup) continue;
      path_samples& p = via_usb ? usb : serial;
      const double us = micros(a.at - t0);
      p.total_us.push_back(us);
      p.daemon_us.push_back(a.daemon_us);
      p.transport_us.push_back(us - a.daemon_us);
    }
  }
  const auto ioctls_after = ioctls.now();
  const auto store_seq = ctl_last_seq(dir / "ravaod.sock");
  const auto c = daemon.counts();
  daemon.stop();
  if (c.duplicate || c.rejected || c.dropped)
    daemon.fail(fmt::format("{} duplicate, {} rejected, {} dropped scans", c.duplicate, c.rejected, c.dropped));

  std::printf("usb_latency_bench: %zu samples per path after %zu warm-up, alternating usb/serial, folder %s\n",
              samples, warmup, dir.describe().c_str());
  std::printf("%-46s %6s %8s %8s %8s %8s\n", "measure (microseconds)", "n", "p50", "p90", "p99", "max");
  print_row("usb (emulated HID POS, 2 reports) -> committed", usb.total_us);
  print_row("  daemon latency_us (frame -> logged)", usb.daemon_us);
  print_row("  before the frame (reports, libusb, umockdev)", usb.transport_us);
  print_row("  one emulated ioctl (GET_CAPABILITIES, here)", ioctl_us);
  print_row("serial (pty) -> committed", serial.total_us);
  print_row("  daemon latency_us (frame -> logged)", serial.daemon_us);
  print_row("  before the frame (pty write, read)", serial.transport_us);
  const auto per_scan = [&](std::uint64_t a, std::uint64_t b) { return static_cast<double>(a - b) / static_cast<double>(samples); };
  std::printf("emulated ioctls per usb scan: %.1f SUBMITURB, %.1f REAPURBNDELAY, %.1f other\n",
              per_scan(ioctls_after.submit, ioctls_before.submit), per_scan(ioctls_after.reap, ioctls_before.reap),
              per_scan(ioctls_after.other, ioctls_before.other));
  const double ratio = percentile(usb.total_us, 99) / percentile(serial.total_us, 99);
  std::printf("ratio usb / serial: p99 %.2f, p50 %.2f; store.last_seq = %lld\n", ratio,
              percentile(usb.total_us, 50) / percentile(serial.total_us, 50), static_cast<long long>(store_seq));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "usb_latency_bench: %s\n", e.what());
  return 1;
}
