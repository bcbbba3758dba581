#pragma once
// What the drivers need to know of a configured scanner or printer: the
// device settings the configuration validated (daemon/config/schema.cpp
// declares the keys; docs/configuration.md lists them). Plain values, no
// behaviour: the drivers depend on this file, not on the daemon's config.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace ravao {

// Enum spellings, indexed by the enum's value: to_string() and the
// configuration schema's choices both use these.
inline constexpr std::string_view scanner_kind_names[] = {"serial", "stdin", "usb-hid"};
inline constexpr std::string_view usb_hid_mode_names[] = {"auto", "keyboard", "pos"};
inline constexpr std::string_view printer_kind_names[] = {"usb", "lp", "tcp", "serial", "file"};

enum class scanner_kind { serial, stdin_, usb_hid };
std::string_view to_string(scanner_kind k);  // "serial", "stdin", "usb-hid"

// How a USB device is recognised (docs/usb-scanners.md): every criterion
// given must hold. From the least to the most precise: vendor:product, serial
// number, port path. When several entries could take a device, the most
// precise one does.
struct usb_match {
  std::optional<std::uint16_t> vendor, product;  // both or neither
  std::string serial;  // iSerialNumber; empty: any
  std::string port;    // "1-1.2": bus 1, port 1 of the root hub, port 2 of that hub; empty: any
  bool empty() const { return !vendor && serial.empty() && port.empty(); }
  std::string to_string() const;  // "usb_id 05e0:1300, port 1-1.2" or "any"
  friend bool operator==(const usb_match&, const usb_match&) = default;
};

// usb-hid: how reports are read. auto decides from the report descriptor.
enum class usb_hid_mode { auto_, keyboard, pos };
std::string_view to_string(usb_hid_mode m);  // "auto", "keyboard", "pos"

struct scanner_config {
  std::string id;
  scanner_kind kind = scanner_kind::serial;
  std::string device;         // serial: tty path (absolute after loading)
  unsigned baud = 9600;       // serial only: one of the standard rates
  usb_hid_mode mode = usb_hid_mode::auto_;  // usb-hid only
  usb_match usb;                            // usb-hid only: at least one criterion
  std::size_t max_scan_bytes = 8192;  // 64 .. 65536: longer frames are rejected
  int line = 0;               // line of the [[scanner]] header, for messages
  // Same device settings; where the entry sits in the file does not matter
  // (a reload keeps a scanner open when only comments or order changed).
  friend bool operator==(const scanner_config& a, const scanner_config& b) {
    return a.id == b.id && a.kind == b.kind && a.device == b.device && a.baud == b.baud &&
           a.max_scan_bytes == b.max_scan_bytes && a.mode == b.mode && a.usb == b.usb;
  }
};

enum class printer_kind { usb, lp, tcp, serial, file };
std::string_view to_string(printer_kind k);

// Validated now so counters can name printers; driven by the printing work.
struct printer_config {
  std::string id;
  printer_kind kind = printer_kind::file;
  int paper_width_mm = 80;  // 58 | 80
  std::string device;       // lp, serial
  unsigned baud = 9600;     // serial only: one of the standard rates
  std::string address;      // tcp: host:port
  std::filesystem::path path;  // file: output folder (absolute after loading)
  usb_match usb;               // usb: empty matches any printer-class device
  std::string profile;         // escpos profile name; empty: generic for the paper width
  int line = 0;
  friend bool operator==(const printer_config& a, const printer_config& b) {
    return a.id == b.id && a.kind == b.kind && a.paper_width_mm == b.paper_width_mm && a.device == b.device &&
           a.baud == b.baud && a.address == b.address && a.path == b.path && a.usb == b.usb &&
           a.profile == b.profile;
  }
};

}  // namespace ravao
