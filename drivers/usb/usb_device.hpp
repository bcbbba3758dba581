#pragma once
// What the daemon knows about a USB device without talking to it (the
// descriptors the kernel cached, its place on the bus), how a configured
// usb_match is scored against it, and what libusb's errors mean to an operator.
// Pure functions except describe(), which reads libusb's cached descriptors.

#include <cstdint>
#include <optional>
#include <system_error>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/device_config.hpp"

struct libusb_device;

namespace ravao::usb {

// bmRequestType of the control requests the drivers make (USB 2.0, 9.3):
// direction | type | recipient, spelled out because libusb's enums do not
// combine in C++23.
inline constexpr std::uint8_t request_in_standard_interface = 0x81;  // GET_DESCRIPTOR(Report)
inline constexpr std::uint8_t request_out_class_interface = 0x21;    // HID SET_PROTOCOL, SET_IDLE
inline constexpr std::uint8_t request_in_class_interface = 0xA1;     // printer GET_DEVICE_ID

struct usb_device_info {
  std::uint16_t vendor = 0, product = 0;
  std::uint8_t bus = 0, address = 0;
  std::string port;                     // "1-1.2"; "" for a root hub
  std::vector<std::uint8_t> interface_classes;  // bInterfaceClass of each interface (active configuration)
  std::optional<std::string> serial;    // read only when a match needs it; nullopt: not read or none
  bool has_class(std::uint8_t c) const;
  std::string ids() const;  // "05e0:1300"
};

// Reads the ids, bus address, port path and interface classes; never does I/O
// on the device itself (Linux: from the descriptors cached in sysfs/usbfs).
usb_device_info describe(libusb_device* dev);

// "1-1.2" from the bus number and the port numbers of the hubs on the way.
std::string port_path(std::uint8_t bus, const std::vector<std::uint8_t>& ports);

// How precisely `m` designates `d`: -1 when any given criterion fails,
// otherwise 0 (no criterion), 1 (vendor:product), 2 (serial), 3 (port path),
// the most precise criterion given. A serial criterion fails while
// d.serial is unknown (nullopt).
int match_precision(const usb_match& m, const usb_device_info& d);

// True when `m` needs the device's serial number to decide.
inline bool needs_serial(const usb_match& m) { return !m.serial.empty(); }

// An operator-facing sentence for a libusb error code (LIBUSB_ERROR_*), with
// what to do for the usual ones: ACCESS names the udev rules, BUSY says
// another program holds the device.
std::string describe_error(int libusb_error, std::string_view doing, const usb_device_info& d);

// Where the udev rules are installed from, named in permission errors.
inline constexpr std::string_view udev_rules_hint =
    "the udev rules give the group ravao the device (the Debian package installs them as "
    "/usr/lib/udev/rules.d/70-ravao.rules; else copy packaging/udev/70-ravao.rules into /etc/udev/rules.d/); "
    "replug the device, or add a rule for it: `ravaod --print-udev-rules`";

}  // namespace ravao::usb

namespace ravao::usb {
// LIBUSB_ERROR_* (or a transfer status mapped by the caller) as a portable
// error code: ACCESS -> permission_denied, NO_DEVICE -> no_such_device,
// BUSY -> device_or_resource_busy, TIMEOUT -> timed_out, PIPE -> broken_pipe,
// anything else -> io_error.
std::error_code to_error_code(int libusb_error);
}  // namespace ravao::usb
