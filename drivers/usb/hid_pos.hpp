#pragma once
// `mode = "pos"`: a barcode scanner speaking HID POS (usage page 0x8C,
// application collection 0x02 Barcode Scanner). The decoder finds, by usage,
// where the scanner puts each part of its scanned-data input report, then
// reassembles scans that span several reports. docs/usb-scanners.md lists
// the usages relied on and the assumptions.
//
// Pure and single-threaded: no I/O, no clock. Sinks are called synchronously
// from feed().

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "drivers/usb/report_descriptor.hpp"

namespace ravao::usb {

// HID POS Usage Tables 1.02, Barcode Scanner page (0x8C), and the Generic
// Desktop usage scanners use for the length byte.
namespace hid_pos_usage {
inline constexpr hid_usage barcode_scanner{0x8C, 0x02};      // CA
inline constexpr hid_usage scanned_data_report{0x8C, 0x12};  // CL
inline constexpr hid_usage symbology_identifier_1{0x8C, 0xFB};
inline constexpr hid_usage symbology_identifier_2{0x8C, 0xFC};
inline constexpr hid_usage symbology_identifier_3{0x8C, 0xFD};
inline constexpr hid_usage decoded_data{0x8C, 0xFE};
inline constexpr hid_usage decode_data_continued{0x8C, 0xFF};
inline constexpr hid_usage byte_count{0x01, 0x3B};  // Generic Desktop
}  // namespace hid_pos_usage

// Where the parts of the scanned-data report are, in bytes from the start of
// the report data (after the report id byte, when the device uses ids).
struct pos_layout {
  std::uint8_t report_id = 0;   // 0: the device sends no report id byte
  std::size_t report_bytes = 0;  // data bytes the descriptor declares
  std::optional<std::size_t> length_byte;  // Byte Count; without it, trailing NULs end the data
  std::array<std::optional<std::size_t>, 3> symbology_bytes;
  std::size_t data_byte = 0;
  std::size_t data_capacity = 0;  // Decoded Data bytes per report
  std::optional<std::uint32_t> continued_bit;  // Decode Data Continued; without it every report is a whole scan
  bool common_layout = false;  // true: the usages were missing and the common layout was assumed
};

struct pos_scan {
  std::string bytes;      // the decoded data, any bytes (UTF-8 for a CCCD QR)
  std::string symbology;  // AIM identifier such as "]Q1", or empty when the scanner sent none
};

struct pos_sink {
  std::function<void(const pos_scan&)> on_scan;
  // An unfinished scan was thrown away. reason: "too_long" (over
  // max_scan_bytes; reported when its last report arrives), "truncated_report",
  // "bad_length" (length byte above the field's capacity), "symbology_changed"
  // (a continuation report of another symbology). discarded_bytes counts the
  // data bytes lost, including those of the offending report when known.
  std::function<void(std::string_view reason, std::size_t discarded_bytes)> on_discard;
};

enum class pos_report_status {
  completed,         // a scan was delivered (or an overlong one reported as discarded)
  partial,           // data buffered, "decode data continued" was set
  empty,             // a final report, and the scan it ends has no data: nothing delivered
  other_report,      // another report id (trigger, status): ignored
  truncated,         // shorter than the fields read: dropped with any buffered data
  bad_length,        // length byte above the data capacity: dropped with any buffered data
};

std::string_view to_string(pos_report_status s);

class hid_pos_decoder {
 public:
  // Fails (errc::protocol) when the descriptor has no Barcode Scanner
  // application collection, no input report in it, or usages that place the
  // parts where they cannot be read as bytes. The common layout is assumed
  // only when the collection exists but no field carries the Decoded Data
  // usage, and only for a 63-byte report.
  static result<hid_pos_decoder> create(const parsed_descriptor& d, std::size_t max_scan_bytes);

  // One input report as read from the interrupt endpoint, report id byte
  // first when the device uses report ids.
  pos_report_status feed(std::span<const std::uint8_t> report, const pos_sink& sink);

  // Forgets an unfinished scan (device reopened).
  void reset();

  const pos_layout& layout() const { return layout_; }
  std::size_t buffered() const { return data_.size(); }

 private:
  hid_pos_decoder(pos_layout layout, std::size_t max_scan_bytes)
      : layout_(layout), max_scan_bytes_(max_scan_bytes) {}
  void discard(std::string_view reason, std::size_t extra, const pos_sink& sink);

  pos_layout layout_;
  std::size_t max_scan_bytes_;
  std::string data_;        // the unfinished scan, at most max_scan_bytes_
  std::string symbology_;   // of the unfinished scan
  bool in_scan_ = false;    // a continuation report was seen
  std::size_t overflow_ = 0;  // > 0 while skipping the rest of an overlong scan
};

}  // namespace ravao::usb
