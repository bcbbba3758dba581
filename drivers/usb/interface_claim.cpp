#include "drivers/usb/interface_claim.hpp"

#include <fmt/format.h>
#include <libusb.h>

namespace ravao::usb {

result<interface_claim> interface_claim::take(libusb_device_handle* h, int n, const usb_device_info& d) {
  bool detached = false;
  if (libusb_kernel_driver_active(h, n) == 1) {
    if (const int rc = libusb_detach_kernel_driver(h, n); rc != 0 && rc != LIBUSB_ERROR_NOT_FOUND)
      return fail(to_error_code(rc), describe_error(rc, fmt::format("detaching the kernel driver of interface {} of", n), d));
    detached = true;
  }
  if (const int rc = libusb_claim_interface(h, n); rc != 0) {
    if (detached) libusb_attach_kernel_driver(h, n);
    return fail(to_error_code(rc), describe_error(rc, fmt::format("claiming interface {} of", n), d));
  }
  return interface_claim(h, n, detached);
}

void interface_claim::release() {
  if (!handle_) return;
  libusb_release_interface(handle_, number_);
  if (reattach_) libusb_attach_kernel_driver(handle_, number_);
  handle_ = nullptr;
}

}  // namespace ravao::usb
