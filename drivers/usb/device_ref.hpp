#pragma once
// A counted reference to a libusb_device (libusb_ref_device /
// libusb_unref_device), so a device assigned by the bus stays valid while a
// driver waits to serve it. Move-only. Thread: the loop thread.

#include <utility>

struct libusb_device;

namespace ravao::usb {

class device_ref {
 public:
  device_ref() = default;
  explicit device_ref(libusb_device* dev);  // takes a new reference
  device_ref(device_ref&& o) noexcept : dev_(std::exchange(o.dev_, nullptr)) {}
  device_ref& operator=(device_ref&& o) noexcept {
    if (this != &o) {
      reset();
      dev_ = std::exchange(o.dev_, nullptr);
    }
    return *this;
  }
  ~device_ref() { reset(); }
  void reset();
  libusb_device* get() const { return dev_; }
  explicit operator bool() const { return dev_ != nullptr; }

 private:
  libusb_device* dev_ = nullptr;
};

}  // namespace ravao::usb
