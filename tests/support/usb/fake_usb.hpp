#pragma once
// Emulated USB devices for libusb-under-umockdev tests (docs/usb-testing.md).
//
// fake_usb_device: the device model (descriptors, kernel-driver binding,
// queued IN data, captured OUT data, injected failures). All public methods
// are thread-safe: the test thread calls them, the umockdev worker thread
// (where the ioctl handler runs) calls them too.
//
// usb_testbed: owns the UMockdevTestbed; adds/removes devices (sysfs + the
// /dev/bus/usb/BBB/DDD node) and attaches one UMockdevIoctlBase per device.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <umockdev.h>

namespace ravao::test::usb {

using bytes = std::vector<std::uint8_t>;

// ---- descriptor builders (USB 2.0 ch. 9, HID 1.11 6.2.1) -------------------
struct endpoint_spec {
  std::uint8_t address;     // 0x81 = IN 1
  std::uint8_t attributes;  // 2 = bulk, 3 = interrupt
  std::uint16_t max_packet = 64;
  std::uint8_t interval = 0;
};

struct interface_spec {
  std::uint8_t cls, subclass, protocol;
  std::vector<endpoint_spec> endpoints;
  bytes hid_report_descriptor;  // non-empty: emit a HID descriptor (class 3)
  std::string kernel_driver;    // "usbhid", "usblp", "" = none bound
};

struct device_spec {
  std::uint16_t vid, pid, bcd_device = 0x0100;
  std::uint8_t dev_class = 0;
  std::string manufacturer, product, serial;
  std::vector<interface_spec> interfaces;
  // topology
  int busnum = 1;
  int devnum = 2;
  std::string port_path = "2";  // "2" -> sysfs name 1-2; "1.4" -> 1-1.4
  std::string device_id_1284;   // printer class GET_DEVICE_ID answer
};

// device descriptor + one full configuration (what sysfs "descriptors" holds)
bytes build_descriptors(const device_spec& s);

// ---- device model -----------------------------------------------------------
struct urb_failure {
  std::uint8_t endpoint;
  int status;  // negative errno put into urb->status at reap: -EPIPE, -EPROTO...
};

class fake_usb_device {
 public:
  explicit fake_usb_device(device_spec spec);
  ~fake_usb_device();
  fake_usb_device(const fake_usb_device&) = delete;
  fake_usb_device& operator=(const fake_usb_device&) = delete;

  const device_spec& spec() const { return spec_; }
  std::string sysfs_name() const;  // "1-2"
  std::string devnode() const;     // "/dev/bus/usb/001/002"

  // test-side API
  void queue_in(std::uint8_t ep, bytes data);   // interrupt/bulk IN data
  void fail_next(std::uint8_t ep, int status);  // the waiting IN URB on ep, else the next URB, completes with status
  bytes take_out(std::uint8_t ep);              // bytes captured from OUT URBs
  int clear_halt_count(std::uint8_t ep) const;
  bool kernel_driver_bound(int ifno) const;
  bool claimed(int ifno) const;
  std::size_t urbs_in_flight() const;
  // Unplug: every in-flight URB completes with -ENODEV, every fd opened so
  // far is dead (ENODEV) forever, like usbfs after disconnect.
  void unplug();
  void replug();  // new opens work again (old fds stay dead)

  // Replace the regular-file dev node umockdev created by a FIFO whose
  // POLLOUT tracks "an URB is reapable", like real usbfs. Makes libusb's
  // device fd epoll-able (asio) and stops the event loop busy-spinning.
  void make_pollable(const std::string& node_path_in_testbed);

  // handler side (umockdev worker thread)
  gboolean handle_ioctl(UMockdevIoctlClient* client);
  void client_connected(UMockdevIoctlClient* client);
  UMockdevIoctlBase* ioctl_handler() const { return handler_; }

 private:
  struct urb_ref {
    UMockdevIoctlData* urb;  // struct usbdevfs_urb (client memory mirror)
    UMockdevIoctlData* buf;  // urb->buffer
    std::uint8_t type, ep;
  };
  gboolean handle_ioctl_locked(UMockdevIoctlClient* client);
  void update_ready();                 // locked
  bool alive(UMockdevIoctlClient* c);  // locked
  void complete_urb(urb_ref u, int status, const std::uint8_t* data, int len);  // locked
  void try_fill_in_urbs();                                                      // locked
  bool handle_control(urb_ref& u);                                              // locked
  static void unref(urb_ref& u);

  device_spec spec_;
  bytes descriptors_;
  UMockdevIoctlBase* handler_;
  mutable std::mutex mu_;
  int generation_ = 0;
  bool unplugged_ = false;
  std::map<UMockdevIoctlClient*, int> client_gen_;
  std::map<int, std::string> bound_;  // ifno -> kernel driver ("usbfs" when claimed)
  std::set<int> claimed_;
  std::deque<urb_ref> pending_in_;    // IN URBs waiting for queued data
  std::deque<urb_ref> done_;          // reapable
  std::map<std::uint8_t, std::deque<bytes>> in_data_;
  std::map<std::uint8_t, bytes> out_data_;
  std::map<std::uint8_t, int> fail_;
  std::map<std::uint8_t, int> clear_halts_;
  int ready_fd_ = -1;  // our end of the FIFO dev node (-1: regular file node)
  bool armed_ = false;
};

// ---- testbed ----------------------------------------------------------------
class usb_testbed {
 public:
  usb_testbed();
  bool pollable_nodes = false;  // see fake_usb_device::make_pollable  // must exist before libusb_init (sets $UMOCKDEV_DIR)
  ~usb_testbed();
  void add_root_hub(int busnum = 1);
  // attach ioctl handler, then add sysfs + node; emits "add" uevent
  void add(fake_usb_device& d);
  // uevent "remove" (libusb hotplug thread sees it), then delete sysfs + node
  void remove(fake_usb_device& d);
  std::string syspath(const fake_usb_device& d) const;  // "/sys/devices/.../1-2"
  UMockdevTestbed* raw() const { return tb_; }

 private:
  UMockdevTestbed* tb_;
  std::set<std::string> attached_;
};

}  // namespace ravao::test::usb
