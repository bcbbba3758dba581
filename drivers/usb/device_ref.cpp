#include "drivers/usb/device_ref.hpp"

#include <libusb.h>

namespace ravao::usb {

device_ref::device_ref(libusb_device* dev) : dev_(dev) {
  if (dev_) libusb_ref_device(dev_);
}

void device_ref::reset() {
  if (dev_) libusb_unref_device(std::exchange(dev_, nullptr));
}

}  // namespace ravao::usb
