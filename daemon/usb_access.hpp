#pragma once
// The USB bus, opened at the first configured USB device (a daemon with only
// serial scanners never touches libusb). Shared by the counters' scanners
// and the printers; `ravaoctl devices` lists what it sees.
//
// Loop thread only. Owned by app and declared before every service that
// starts devices: the bus must outlive its clients.

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "drivers/scanner_source.hpp"
#include "drivers/usb/usb_bus.hpp"

namespace ravao {

class usb_access {
 public:
  explicit usb_access(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}

  // What a driver needs to start; opens the bus on the first call for a
  // configuration with a USB device (usb.unavailable logged if it cannot).
  driver_context drivers(const config& c);
  // A reload may bring the fix (permissions, a udev rule): try again at the
  // next USB device when the bus could not be opened.
  void retry_if_unavailable();
  // Present devices except hubs; empty without a bus.
  std::vector<usb::usb_bus::device_entry> devices() const;
  usb::usb_bus* bus() { return bus_.get(); }

 private:
  boost::asio::any_io_executor ex_;
  std::unique_ptr<usb::usb_bus> bus_;
  std::string error_;  // why the bus could not be opened
  bool tried_ = false;
};

}  // namespace ravao
