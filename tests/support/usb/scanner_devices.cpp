#include "support/usb/scanner_devices.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace ravao::test::usb {

const bytes& hid_pos_report_descriptor() {
  static const bytes d = {
      0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, 0x09, 0x12, 0xA1, 0x02, 0x85, 0x02,
      0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08,
      0x05, 0x01, 0x09, 0x3B, 0x95, 0x01, 0x81, 0x02,
      0x05, 0x8C, 0x09, 0xFB, 0x09, 0xFC, 0x09, 0xFD, 0x95, 0x03, 0x81, 0x02,
      0x09, 0xFE, 0x95, 0x38, 0x82, 0x02, 0x01,
      0x09, 0xFF, 0x75, 0x01, 0x95, 0x01, 0x25, 0x01, 0x81, 0x02,
      0x75, 0x07, 0x81, 0x03, 0xC0, 0xC0};
  return d;
}

const bytes& boot_keyboard_report_descriptor() {
  static const bytes d = {
      0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x05, 0x07, 0x19, 0xE0, 0x29, 0xE7, 0x15, 0x00, 0x25, 0x01,
      0x75, 0x01, 0x95, 0x08, 0x81, 0x02, 0x95, 0x01, 0x75, 0x08, 0x81, 0x01, 0x95, 0x05, 0x75, 0x01,
      0x05, 0x08, 0x19, 0x01, 0x29, 0x05, 0x91, 0x02, 0x95, 0x01, 0x75, 0x03, 0x91, 0x01, 0x95, 0x06,
      0x75, 0x08, 0x15, 0x00, 0x25, 0x65, 0x05, 0x07, 0x19, 0x00, 0x29, 0x65, 0x81, 0x00, 0xC0};
  return d;
}

namespace {
device_spec with_place(device_spec s, const place& at) {
  s.devnum = at.devnum;
  s.port_path = at.port_path;
  s.serial = at.serial;
  return s;
}
}  // namespace

device_spec hid_pos_scanner(std::uint16_t vid, std::uint16_t pid, place at) {
  interface_spec i{.cls = 3, .subclass = 0, .protocol = 0, .endpoints = {{0x81, 3, 64, 1}},
                   .hid_report_descriptor = hid_pos_report_descriptor(), .kernel_driver = "usbhid"};
  return with_place({.vid = vid, .pid = pid, .manufacturer = "Fake Symbol", .product = "POS Scanner",
                     .interfaces = {i}},
                    at);
}

device_spec keyboard_scanner(std::uint16_t vid, std::uint16_t pid, place at) {
  interface_spec i{.cls = 3, .subclass = 1, .protocol = 1, .endpoints = {{0x81, 3, 8, 10}},
                   .hid_report_descriptor = boot_keyboard_report_descriptor(), .kernel_driver = "usbhid"};
  return with_place({.vid = vid, .pid = pid, .manufacturer = "Fake Wedge", .product = "Keyboard Scanner",
                     .interfaces = {i}},
                    at);
}

device_spec hid_device(std::uint16_t vid, std::uint16_t pid, place at, bytes descriptor) {
  interface_spec i{.cls = 3, .subclass = 0, .protocol = 0, .endpoints = {{0x81, 3, 64, 1}},
                   .hid_report_descriptor = std::move(descriptor), .kernel_driver = "usbhid"};
  return with_place({.vid = vid, .pid = pid, .manufacturer = "Fake", .product = "Odd HID", .interfaces = {i}}, at);
}

device_spec printer(std::uint16_t vid, std::uint16_t pid, place at, bool bidirectional) {
  interface_spec i{.cls = 7, .subclass = 1, .protocol = static_cast<std::uint8_t>(bidirectional ? 2 : 1),
                   .endpoints = {{0x02, 2, 64, 0}}, .kernel_driver = "usblp"};
  if (bidirectional) i.endpoints.push_back({0x81, 2, 64, 0});
  auto s = with_place({.vid = vid, .pid = pid, .manufacturer = "Fake Epson", .product = "Receipt",
                       .interfaces = {i}},
                      at);
  s.device_id_1284 = "MFG:EPSON;CMD:ESCPOS;MDL:TM-T20;CLS:PRINTER;";
  return s;
}

std::vector<bytes> pos_reports(const std::string& data, const std::string& aim) {
  std::vector<bytes> out;
  for (std::size_t off = 0; off < data.size(); off += 56) {
    const std::size_t n = std::min<std::size_t>(56, data.size() - off);
    bytes r(62, 0);
    r[0] = 0x02;
    r[1] = static_cast<std::uint8_t>(n);
    std::memcpy(&r[2], aim.data(), std::min<std::size_t>(3, aim.size()));
    std::memcpy(&r[5], data.data() + off, n);
    r[61] = off + n < data.size() ? 1 : 0;
    out.push_back(r);
  }
  return out;
}

namespace {
// Key code and shift for one character on a US layout (hardware.md).
std::pair<std::uint8_t, bool> us_key(char c) {
  if (c >= 'a' && c <= 'z') return {static_cast<std::uint8_t>(0x04 + (c - 'a')), false};
  if (c >= 'A' && c <= 'Z') return {static_cast<std::uint8_t>(0x04 + (c - 'A')), true};
  if (c >= '1' && c <= '9') return {static_cast<std::uint8_t>(0x1E + (c - '1')), false};
  const std::string plain = "0\t -=[]\\;'`,./";
  const std::string shifted = ")\t _+{}|:\"~<>?";
  const std::uint8_t codes[] = {0x27, 0x2B, 0x2C, 0x2D, 0x2E, 0x2F, 0x30, 0x31, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38};
  if (auto p = plain.find(c); p != std::string::npos) return {codes[p], false};
  if (auto p = shifted.find(c); p != std::string::npos) return {codes[p], true};
  const std::string digits_shifted = "!@#$%^&*(";
  if (auto p = digits_shifted.find(c); p != std::string::npos) return {static_cast<std::uint8_t>(0x1E + p), true};
  throw std::invalid_argument("no US key for this character");
}
}  // namespace

std::vector<bytes> keyboard_reports(const std::string& text) {
  std::vector<bytes> out;
  const bytes release(8, 0);
  for (char c : text) {
    const auto [code, shifted] = us_key(c);
    out.push_back({static_cast<std::uint8_t>(shifted ? 0x02 : 0), 0, code, 0, 0, 0, 0, 0});
    out.push_back(release);
  }
  out.push_back({0, 0, 0x28, 0, 0, 0, 0, 0});
  out.push_back(release);
  return out;
}

void send(fake_usb_device& d, const std::vector<bytes>& reports) {
  for (const auto& r : reports) d.queue_in(0x81, r);
}

}  // namespace ravao::test::usb
