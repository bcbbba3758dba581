#pragma once
// Taking one interface of an opened device from the kernel and giving it
// back: the kernel driver (usbhid, usblp) is detached when claiming and
// reattached when the daemon releases the interface, so a scanner the daemon
// lets go of works as a keyboard again and a printer gets its /dev/usb/lp*.
//
// Owns the claim, not the handle: release (or destroy) it before closing the
// handle. Thread: the loop thread, outside libusb's event handling.

#include <utility>

#include "common/error.hpp"
#include "drivers/usb/usb_device.hpp"

struct libusb_device_handle;

namespace ravao::usb {

class interface_claim {
 public:
  static result<interface_claim> take(libusb_device_handle* h, int interface_number, const usb_device_info& d);

  interface_claim() = default;
  interface_claim(interface_claim&& o) noexcept
      : handle_(std::exchange(o.handle_, nullptr)), number_(o.number_), reattach_(o.reattach_) {}
  interface_claim& operator=(interface_claim&& o) noexcept {
    if (this != &o) {
      release();
      handle_ = std::exchange(o.handle_, nullptr);
      number_ = o.number_;
      reattach_ = o.reattach_;
    }
    return *this;
  }
  ~interface_claim() { release(); }

  // Releases the interface and reattaches the kernel driver that had it.
  // Errors are ignored: after an unplug there is nothing left to give back.
  void release();
  int number() const { return number_; }
  explicit operator bool() const { return handle_ != nullptr; }

 private:
  interface_claim(libusb_device_handle* h, int n, bool reattach) : handle_(h), number_(n), reattach_(reattach) {}
  libusb_device_handle* handle_ = nullptr;
  int number_ = -1;
  bool reattach_ = false;
};

}  // namespace ravao::usb
