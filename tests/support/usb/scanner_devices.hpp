#pragma once
// Emulated scanners and printers for the driver and daemon tests: device
// specs for fake_usb_device and the input reports they send (a keyboard
// wedge typing text, a HID POS scanner splitting a scan over reports).

#include <string>
#include <vector>

#include "support/usb/fake_usb.hpp"

namespace ravao::test::usb {

// HID POS scanner, report id 2: Byte Count, AIM id (3), Decoded Data (56),
// Decode Data Continued (1 bit) + padding: the layout of hardware.md.
const bytes& hid_pos_report_descriptor();
// The boot keyboard descriptor of HID 1.11 appendix B.1.
const bytes& boot_keyboard_report_descriptor();

struct place {
  int devnum;
  std::string port_path;  // "2" -> 1-2, "1.4" -> 1-1.4
  std::string serial = "";
};

device_spec hid_pos_scanner(std::uint16_t vid, std::uint16_t pid, place at);
device_spec keyboard_scanner(std::uint16_t vid, std::uint16_t pid, place at);  // subclass 1 protocol 1
device_spec printer(std::uint16_t vid, std::uint16_t pid, place at, bool bidirectional = true);
// A HID device whose report descriptor is `descriptor` (e.g. garbage).
device_spec hid_device(std::uint16_t vid, std::uint16_t pid, place at, bytes descriptor);

// The reports of one scan of `data` with AIM id `aim` ("]Q1"), 56 bytes per report.
std::vector<bytes> pos_reports(const std::string& data, const std::string& aim = "]Q1");
// A wedge typing `text` on a US layout: press (shift when needed), release,
// for each character; then Enter and release. ASCII only.
std::vector<bytes> keyboard_reports(const std::string& text);

// queue_in every report on endpoint 0x81.
void send(fake_usb_device& d, const std::vector<bytes>& reports);

}  // namespace ravao::test::usb
