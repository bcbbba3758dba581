// Matching a configured usb_match against a device, port paths, and the
// operator-facing texts of libusb errors (drivers/usb/usb_device.hpp).

#include <boost/test/unit_test.hpp>

#include <libusb.h>

#include "drivers/usb/usb_device.hpp"

namespace usb = ravao::usb;

namespace {
usb::usb_device_info scanner_at(std::string port, std::optional<std::string> serial = std::nullopt) {
  usb::usb_device_info d;
  d.vendor = 0x05e0;
  d.product = 0x1300;
  d.bus = 1;
  d.address = 7;
  d.port = std::move(port);
  d.interface_classes = {3};
  d.serial = std::move(serial);
  return d;
}
ravao::usb_match match(std::optional<std::uint16_t> v, std::optional<std::uint16_t> p, std::string serial = "",
                       std::string port = "") {
  ravao::usb_match m;
  m.vendor = v;
  m.product = p;
  m.serial = std::move(serial);
  m.port = std::move(port);
  return m;
}
}  // namespace

BOOST_AUTO_TEST_CASE(precision_is_that_of_the_most_precise_criterion_and_every_criterion_must_hold) {
  const auto d = scanner_at("1-1.2", "S1");
  BOOST_TEST(usb::match_precision(match({}, {}), d) == 0);
  BOOST_TEST(usb::match_precision(match(0x05e0, 0x1300), d) == 1);
  BOOST_TEST(usb::match_precision(match({}, {}, "S1"), d) == 2);
  BOOST_TEST(usb::match_precision(match({}, {}, "", "1-1.2"), d) == 3);
  BOOST_TEST(usb::match_precision(match(0x05e0, 0x1300, "S1", "1-1.2"), d) == 3);
  BOOST_TEST(usb::match_precision(match(0x05e0, 0x1301), d) == -1);
  BOOST_TEST(usb::match_precision(match(0x05e0, 0x1300, "", "1-1.3"), d) == -1);
  BOOST_TEST(usb::match_precision(match(0x05e0, 0x1300, "S2"), d) == -1);
  // "1-1" is not a prefix match for "1-1.2".
  BOOST_TEST(usb::match_precision(match({}, {}, "", "1-1"), d) == -1);
}

BOOST_AUTO_TEST_CASE(a_serial_criterion_fails_while_the_serial_is_unknown) {
  const auto d = scanner_at("1-2");
  BOOST_TEST(usb::match_precision(match({}, {}, "S1"), d) == -1);
  BOOST_TEST(usb::needs_serial(match({}, {}, "S1")));
  BOOST_TEST(!usb::needs_serial(match(0x05e0, 0x1300)));
}

BOOST_AUTO_TEST_CASE(port_paths_as_sysfs_names_them) {
  BOOST_TEST(usb::port_path(1, {2}) == "1-2");
  BOOST_TEST(usb::port_path(3, {1, 4, 2}) == "3-1.4.2");
  BOOST_TEST(usb::port_path(1, {}) == "");
}

BOOST_AUTO_TEST_CASE(errors_say_what_where_and_what_to_do) {
  const auto d = scanner_at("1-1.2");
  const std::string access = usb::describe_error(LIBUSB_ERROR_ACCESS, "opening", d);
  BOOST_TEST(access == "permission denied: opening USB device 05e0:1300 at port 1-1.2 (bus 001 device 007); " +
                           std::string(usb::udev_rules_hint));
  BOOST_TEST(usb::describe_error(LIBUSB_ERROR_BUSY, "claiming interface 0 of", d).starts_with(
      "device busy: claiming interface 0 of USB device 05e0:1300 at port 1-1.2"));
  BOOST_TEST(usb::describe_error(LIBUSB_ERROR_NO_DEVICE, "opening", d).starts_with("device gone: "));
  BOOST_TEST((usb::to_error_code(LIBUSB_ERROR_ACCESS) == std::errc::permission_denied));
  BOOST_TEST((usb::to_error_code(LIBUSB_ERROR_NO_DEVICE) == std::errc::no_such_device));
  BOOST_TEST((usb::to_error_code(LIBUSB_ERROR_PIPE) == std::errc::broken_pipe));
  BOOST_TEST((usb::to_error_code(LIBUSB_ERROR_OTHER) == std::errc::io_error));
}

BOOST_AUTO_TEST_CASE(match_descriptions) {
  BOOST_TEST(match({}, {}).to_string() == "any");
  BOOST_TEST(match(0x05e0, 0x1300, "S1", "1-2").to_string() == "usb_id 05e0:1300, serial S1, port 1-2");
}
