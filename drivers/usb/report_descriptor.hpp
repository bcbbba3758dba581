#pragma once
// HID report descriptor parser (HID 1.11, section 6.2.2): short items (Main,
// Global, Local, Push/Pop), long items skipped. The result is the layout of
// every input report: for each report id, its fields with bit offset, element
// size and count, and the usages of the elements. Output and feature items
// are parsed and bounded but not recorded: the scanner decoders only read.
//
// A descriptor comes from a device and is untrusted. Everything is bounded
// (descriptor length, items, collection depth, Push depth, fields, usages per
// field, bits per report) and any malformed input is an error naming the
// byte offset; parse() never throws (beyond std::bad_alloc) and never reads
// outside the span it is given.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace ravao::usb {

struct hid_usage {
  std::uint16_t page = 0;
  std::uint16_t id = 0;
  friend bool operator==(const hid_usage&, const hid_usage&) = default;
};

// A run of consecutive usages on one page: a single Usage item is a span of
// one, Usage Minimum/Maximum a span of many (kept as a range, never expanded).
struct usage_span {
  std::uint16_t page = 0;
  std::uint16_t first = 0;
  std::uint16_t last = 0;
  std::uint32_t size() const { return std::uint32_t{last} - first + 1; }
};

struct input_field {
  std::uint32_t bit_offset = 0;  // from the start of the report data, after the report id byte
  std::uint32_t bit_size = 0;    // Report Size: bits per element
  std::uint32_t count = 0;       // Report Count: elements
  std::uint32_t flags = 0;       // the Input item's data bits (HID 1.11, 6.2.2.5)
  std::uint16_t usage_page = 0;  // Usage Page in effect at the Input item
  std::int64_t logical_minimum = 0;
  std::int64_t logical_maximum = 0;
  std::vector<usage_span> usages;  // in declaration order
  std::optional<std::size_t> collection;  // innermost, index into parsed_descriptor::collections

  bool is_constant() const { return (flags & 0x01u) != 0; }
  bool is_variable() const { return (flags & 0x02u) != 0; }
  bool is_buffered_bytes() const { return (flags & 0x100u) != 0; }
  std::uint32_t bit_end() const { return bit_offset + bit_size * count; }

  // Usage of element i of a Variable field: the i-th declared usage, and the
  // last one for every element beyond the declared ones (HID 1.11, 6.2.2.8).
  // Nullopt when the field declares no usage.
  std::optional<hid_usage> usage_of(std::uint32_t element) const;
};

struct report_layout {
  std::uint8_t id = 0;        // 0 when the descriptor declares no Report ID
  std::uint32_t bit_size = 0;  // data bits, without the report id byte
  std::vector<input_field> fields;

  std::size_t byte_size() const { return (bit_size + 7) / 8; }
};

struct collection_info {
  std::uint8_t type = 0;  // 0x00 physical, 0x01 application, 0x02 logical, ...
  hid_usage usage;        // the usage declared before the Collection item ({0,0} if none)
  std::optional<std::size_t> parent;
  std::size_t application = 0;  // index of the enclosing (or own) top-level collection
};

struct parsed_descriptor {
  bool uses_report_ids = false;  // input reports then start with the report id byte
  std::vector<collection_info> collections;
  std::vector<report_layout> input_reports;  // in order of first appearance
  std::size_t item_count = 0;

  const report_layout* input_report(std::uint8_t id) const;
};

struct descriptor_limits {
  std::size_t max_descriptor_bytes = 4096;
  std::size_t max_items = 2048;
  std::size_t max_collection_depth = 16;
  std::size_t max_collections = 256;
  std::size_t max_push_depth = 8;
  std::size_t max_fields = 512;
  std::size_t max_usages_per_main_item = 256;  // Usage items (spans), not expanded usages
  std::uint32_t max_report_bits = 1024 * 8;    // a high-speed interrupt packet
};

// Errors carry errc::protocol and say what and where:
// "HID report descriptor, byte 37: End Collection without Collection".
result<parsed_descriptor> parse_report_descriptor(std::span<const std::uint8_t> bytes,
                                                  const descriptor_limits& limits = {});

// What `mode = "auto"` decides from a descriptor.
enum class scanner_interface { boot_keyboard, hid_pos_scanner, unusable };

struct descriptor_kind {
  scanner_interface kind = scanner_interface::unusable;
  std::string reason;  // always set; for unusable, what is missing
};

// hid_pos_scanner: an application collection Barcode Scanner (0x8C:0x02) with
// an input report in it. boot_keyboard: an application collection Keyboard
// (0x01:0x06) with an input report. When a descriptor has both, the scanner
// wins. A keyboard is not proof of a scanner: it may be a real keyboard, and
// only an explicitly configured device may be claimed as one.
descriptor_kind classify(const parsed_descriptor& d);

}  // namespace ravao::usb
