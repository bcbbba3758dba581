#pragma once
// The USB bus as the daemon sees it: one libusb context on the io_context
// (libusb_events), hotplug, and the assignment of devices to the configured
// scanners and printers (clients).
//
// Assignment (docs/usb-scanners.md, "Which device goes to which counter"):
// a device is offered to the attached clients that want its interface class
// and whose usb_match accepts it; the most precise match wins (port path >
// serial > vendor:product > any), then the client attached first. A client
// holds at most one device and a device goes to at most one client; a device
// no client matches is never opened (it may be the staff's keyboard), except
// to read its serial number when a client's criteria name one and the rest of
// them match.
//
// Thread: everything on the executor's thread. Hotplug callbacks are posted
// to the loop, so clients never run inside libusb's event handling.
// Lifetime: the bus outlives its clients and lives until io_context::run()
// has returned (posted hotplug events refer to it); the daemon creates it
// once, at the first USB device in the configuration.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "drivers/usb/interface_claim.hpp"
#include "drivers/usb/libusb_events.hpp"
#include "drivers/usb/usb_device.hpp"

struct libusb_context;
struct libusb_device;
struct libusb_device_handle;

namespace ravao::usb {

// A configured scanner or printer, as the bus sees it.
class usb_client {
 public:
  virtual std::string usb_name() const = 0;  // "scanner s1", for logs and `ravaoctl devices`
  virtual const usb_match& usb_criteria() const = 0;
  virtual std::uint8_t usb_interface_class() const = 0;  // 3 (HID) or 7 (printer)
  // The device is now this client's; the bus keeps a reference on it until
  // on_usb_left() or detach(). The client opens it through usb_bus::open.
  virtual void on_usb_arrived(libusb_device* dev, const usb_device_info& info) = 0;
  // The device was unplugged; close its handle (transfers already failed
  // with NO_DEVICE or will).
  virtual void on_usb_left() = 0;

 protected:
  ~usb_client() = default;
};

class usb_bus;

// A device a driver opened through usb_bus::open and the interface it
// claimed; released (kernel driver back) and closed on destruction. Move-only.
struct opened_handle {
  usb_bus* bus = nullptr;
  libusb_device_handle* handle = nullptr;
  interface_claim claim;

  opened_handle() = default;
  opened_handle(const opened_handle&) = delete;
  opened_handle& operator=(const opened_handle&) = delete;
  ~opened_handle();
};

class usb_bus {
 public:
  // libusb_init and hotplug registration; fails where there is no USB (no
  // /dev/bus/usb) or libusb has no hotplug support on this system.
  static result<std::unique_ptr<usb_bus>> open(boost::asio::any_io_executor ex);
  ~usb_bus();
  usb_bus(const usb_bus&) = delete;
  usb_bus& operator=(const usb_bus&) = delete;

  // Adds a client; present devices are offered to it from the loop (posted).
  void attach(usb_client& c);
  // Removes a client; the bus never calls it again. Its device, if any, is
  // offered to the other clients. The client closes its own handle.
  void detach(usb_client& c);

  // libusb_open, counted (shutdown waits for every handle to close) and with
  // an operator-facing error (describe_error) on failure.
  result<libusb_device_handle*> open(libusb_device* dev, const usb_device_info& d);
  void close(libusb_device_handle* h);

  // Whether a refused open() of DEV may still be udev at work: the device
  // arrived less than udev_grace ago. libusb can announce a device before
  // udev has given its node the group and mode of the rules (libusb issues
  // 718 and 1586; at boot, ravaod may enumerate before udev's coldplug is
  // done): the clients then try again within moments and report nothing.
  bool udev_may_be_settling(libusb_device* dev) const;
  void set_udev_grace(std::chrono::milliseconds g) { udev_grace_ = g; }  // 10 s unless set

  // A client's waits between refused opens while udev may be settling:
  // 50 ms, doubling up to 1 s; nothing once the refusal is to be reported
  // (not a permission error, or the device arrived too long ago).
  class settle_backoff {
   public:
    std::optional<std::chrono::milliseconds> next(const usb_bus& bus, libusb_device* dev, const error& e) {
      if (e.code != std::errc::permission_denied || !bus.udev_may_be_settling(dev)) return std::nullopt;
      return std::exchange(step_, std::min(step_ * 2, std::chrono::milliseconds(1000)));
    }

   private:
    std::chrono::milliseconds step_{50};
  };

  // Stops hotplug and, as soon as every handle from open() is closed, stops
  // watching libusb so io_context::run() can return. If handles are still
  // open after `grace` (a transfer the kernel never gives back), it stops
  // watching anyway and calls `gave_up`: the caller must then stop the
  // io_context (sessions waiting for those transfers would keep it running).
  void shutdown(std::chrono::milliseconds grace, std::function<void()> gave_up);

  struct device_entry {
    usb_device_info info;
    std::string owner;  // usb_name() of the client holding it, or ""
  };
  std::vector<device_entry> devices() const;  // present devices except hubs, in bus order

  int open_handle_count() const { return open_handles_; }  // handles from open() not yet closed
  libusb_context* context() const { return ctx_; }
  libusb_events& events() { return *events_; }

 private:
  struct present {
    libusb_device* dev;  // referenced while present
    usb_device_info info;
    usb_client* owner = nullptr;
    bool serial_read = false;
    // Handles from open() on this device. A device whose client detached is
    // offered again only once they are closed: the next client would find the
    // interface still claimed (busy) otherwise.
    int open_handles = 0;
    bool releasing = false;
    std::chrono::steady_clock::time_point arrived = std::chrono::steady_clock::now();
  };

  usb_bus(boost::asio::any_io_executor ex, libusb_context* ctx);
  void on_hotplug(libusb_device* dev, bool arrived);  // posted from libusb's callback
  void assign();  // offers every unowned device to the clients without one
  void read_serial(present& p);
  void maybe_finish_shutdown();

  boost::asio::any_io_executor ex_;
  libusb_context* ctx_;
  std::unique_ptr<libusb_events> events_;
  int hotplug_handle_ = 0;
  bool hotplug_registered_ = false;
  std::vector<usb_client*> clients_;  // attach order = precedence among equal precision
  std::vector<present> devices_;
  std::map<libusb_device_handle*, libusb_device*> handles_;  // from open(), until close()
  int open_handles_ = 0;
  bool shutting_down_ = false;
  std::chrono::milliseconds udev_grace_{10000};
  boost::asio::steady_timer grace_timer_;
};

}  // namespace ravao::usb
