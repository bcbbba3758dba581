#include "drivers/usb/usb_device.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <libusb.h>

namespace ravao::usb {

bool usb_device_info::has_class(std::uint8_t c) const {
  return std::ranges::find(interface_classes, c) != interface_classes.end();
}

std::string usb_device_info::ids() const { return fmt::format("{:04x}:{:04x}", vendor, product); }

std::string port_path(std::uint8_t bus, const std::vector<std::uint8_t>& ports) {
  if (ports.empty()) return {};
  std::string out = fmt::format("{}-{}", bus, ports[0]);
  for (std::size_t i = 1; i < ports.size(); ++i) out += fmt::format(".{}", ports[i]);
  return out;
}

usb_device_info describe(libusb_device* dev) {
  usb_device_info d;
  libusb_device_descriptor dd{};
  if (libusb_get_device_descriptor(dev, &dd) == 0) {
    d.vendor = dd.idVendor;
    d.product = dd.idProduct;
  }
  d.bus = libusb_get_bus_number(dev);
  d.address = libusb_get_device_address(dev);
  std::uint8_t ports[8];
  const int n = libusb_get_port_numbers(dev, ports, sizeof ports);
  if (n > 0) d.port = port_path(d.bus, std::vector<std::uint8_t>(ports, ports + n));
  libusb_config_descriptor* cfg = nullptr;
  if (libusb_get_active_config_descriptor(dev, &cfg) == 0 && cfg) {
    for (int i = 0; i < cfg->bNumInterfaces; ++i) {
      const libusb_interface& itf = cfg->interface[i];
      if (itf.num_altsetting > 0) d.interface_classes.push_back(itf.altsetting[0].bInterfaceClass);
    }
    libusb_free_config_descriptor(cfg);
  }
  return d;
}

int match_precision(const usb_match& m, const usb_device_info& d) {
  int precision = 0;
  if (m.vendor && m.product) {
    if (*m.vendor != d.vendor || *m.product != d.product) return -1;
    precision = 1;
  }
  if (!m.serial.empty()) {
    if (!d.serial || *d.serial != m.serial) return -1;
    precision = 2;
  }
  if (!m.port.empty()) {
    if (m.port != d.port) return -1;
    precision = 3;
  }
  return precision;
}

std::string describe_error(int code, std::string_view doing, const usb_device_info& d) {
  const std::string where = fmt::format("{} USB device {} at port {} (bus {:03} device {:03})", doing, d.ids(),
                                        d.port.empty() ? "?" : d.port, d.bus, d.address);
  switch (code) {
    case LIBUSB_ERROR_ACCESS:
      return fmt::format("permission denied: {}; {}", where, udev_rules_hint);
    case LIBUSB_ERROR_BUSY:
      return fmt::format("device busy: {}; another program holds it (stop it, or check that no second ravaod "
                         "runs)", where);
    case LIBUSB_ERROR_NO_DEVICE: return fmt::format("device gone: {}", where);
    case LIBUSB_ERROR_TIMEOUT: return fmt::format("timed out: {}", where);
    case LIBUSB_ERROR_PIPE: return fmt::format("endpoint stalled: {}", where);
    default: return fmt::format("{}: {}", where, libusb_strerror(static_cast<libusb_error>(code)));
  }
}

}  // namespace ravao::usb

namespace ravao::usb {
std::error_code to_error_code(int code) {
  switch (code) {
    case LIBUSB_ERROR_ACCESS: return std::make_error_code(std::errc::permission_denied);
    case LIBUSB_ERROR_NO_DEVICE: return std::make_error_code(std::errc::no_such_device);
    case LIBUSB_ERROR_BUSY: return std::make_error_code(std::errc::device_or_resource_busy);
    case LIBUSB_ERROR_TIMEOUT: return std::make_error_code(std::errc::timed_out);
    case LIBUSB_ERROR_PIPE: return std::make_error_code(std::errc::broken_pipe);
    case LIBUSB_ERROR_NOT_FOUND: return std::make_error_code(std::errc::no_such_file_or_directory);
    case LIBUSB_ERROR_NO_MEM: return std::make_error_code(std::errc::not_enough_memory);
    default: return std::make_error_code(std::errc::io_error);
  }
}
}  // namespace ravao::usb
