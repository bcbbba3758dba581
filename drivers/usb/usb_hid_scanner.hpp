#pragma once
// `kind = "usb-hid"`: a USB barcode scanner in keyboard or HID POS mode,
// driven through libusb (docs/usb-scanners.md). The bus assigns it the device
// its usb_match selects; it then claims the HID interface (detaching usbhid),
// reads the report descriptor, decides the mode (`auto`: from the
// descriptor), and reads input reports with one interrupt transfer at a time,
// decoded into scan lines handed to the same sink as every other source.
//
// Faults: unplug (NO_DEVICE or the hotplug "left" event) -> offline until the
// bus assigns a device again; stall -> clear halt and continue; permission
// denied or busy -> error state naming the fix, retried every
// retry_interval while the device is present (a refusal while udev may still
// be applying its rules, usb_bus::udev_may_be_settling, is retried within
// moments and is no error); unusable descriptors -> error
// state, not retried until the device is plugged in again.
//
// Ownership: the daemon holds the source; a running device session
// (coroutine) holds it too until the session ends. stop() detaches from the
// bus and cancels the transfer; the session then releases the interface,
// reattaches usbhid and closes the handle. Thread: the loop thread.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>
#include <string>

#include "drivers/scanner_source.hpp"
#include "drivers/usb/device_ref.hpp"
#include "drivers/usb/usb_bus.hpp"

namespace ravao::usb {

class usb_transfer;

class usb_hid_scanner final : public scanner_source,
                              public usb_client,
                              public std::enable_shared_from_this<usb_hid_scanner> {
 public:
  usb_hid_scanner(scanner_config cfg, const driver_context& ctx, scanner_sink sink,
                  std::chrono::milliseconds retry_interval = std::chrono::milliseconds(2000));
  void start() override;
  void stop() override;

  std::string usb_name() const override { return "scanner " + cfg_.id; }
  const usb_match& usb_criteria() const override { return cfg_.usb; }
  std::uint8_t usb_interface_class() const override { return 3; }
  void on_usb_arrived(libusb_device* dev, const usb_device_info& info) override;
  void on_usb_left() override;

 private:
  struct opened;  // a claimed interface and its decoder
  boost::asio::awaitable<void> run();
  void reset(std::string_view error);  // after run() threw: the device goes back to pending_, offline
  boost::asio::awaitable<void> serve(libusb_device* dev, usb_device_info info);
  // retry: false when the device itself is unusable (not worth retrying until replugged).
  result<std::unique_ptr<opened>> open_device(libusb_device* dev, const usb_device_info& info, bool& retry);
  boost::asio::awaitable<std::string> read_reports(opened& o);
  void set_state(device_state s, std::string_view reason);

  scanner_config cfg_;
  boost::asio::any_io_executor ex_;
  usb_bus* bus_;
  std::string bus_error_;
  scanner_sink sink_;
  std::chrono::milliseconds retry_interval_;
  boost::asio::steady_timer retry_;  // waits between attempts; cancelled by stop() and on_usb_left()
  device_ref pending_;  // assigned, not yet served
  usb_device_info pending_info_;
  device_ref serving_;  // the device serve() runs on; given back to pending_ by reset()
  bool present_ = false;   // the device being served is still plugged in
  bool running_ = false;   // run() is active
  bool attached_ = false;  // registered with the bus
  bool stopped_ = false;
  usb_transfer* transfer_ = nullptr;  // the read in flight (owned by serve()), for cancel
  device_state state_ = device_state::starting;
  std::string reason_;
};

}  // namespace ravao::usb
