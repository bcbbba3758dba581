// libFuzzer target for the USB scanner decoding layer: the HID report
// descriptor parser, classify(), and the HID keyboard and HID POS decoders.
// Input: [max_scan_bytes selector] [descriptor length, 2 bytes LE]
// [descriptor] then reports, each [length byte] [bytes]. The reports go to the
// decoder the descriptor calls for; a descriptor that does not parse, or is a
// keyboard, sends them to the keyboard decoder (`mode = "keyboard"` needs no
// descriptor).
// Invariants: no crash or sanitizer report; fields lie inside their report;
// buffers never exceed max_scan_bytes; scans and discards are well-formed.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <string_view>

#include "drivers/usb/hid_keyboard.hpp"
#include "drivers/usb/hid_pos.hpp"
#include "drivers/usb/report_descriptor.hpp"

namespace {

using namespace ravao::usb;

void check(bool ok) {
  if (!ok) std::abort();
}

void check_descriptor(const parsed_descriptor& d) {
  const descriptor_limits limits;
  for (const report_layout& r : d.input_reports) {
    check(r.bit_size <= limits.max_report_bits);
    check(d.uses_report_ids == (r.id != 0));
    for (const input_field& f : r.fields) {
      check(f.bit_end() <= r.bit_size);
      check(!f.collection || *f.collection < d.collections.size());
    }
  }
  for (const collection_info& c : d.collections) {
    check(c.application < d.collections.size());
    check(!c.parent || *c.parent < d.collections.size());
  }
  check(!classify(d).reason.empty());
}

void check_layout(const pos_layout& l) {
  check(l.data_capacity > 0 && l.data_byte + l.data_capacity <= l.report_bytes);
  check(!l.length_byte || *l.length_byte < l.report_bytes);
  for (const auto& s : l.symbology_bytes) check(!s || *s < l.report_bytes);
  check(!l.continued_bit || *l.continued_bit < l.report_bytes * 8);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const std::size_t max_scan = std::size_t{1} + data[0] * 4u;
  const std::size_t descriptor_size = std::min<std::size_t>(data[1] | (std::size_t{data[2]} << 8), size - 3);
  const std::span<const std::uint8_t> descriptor(data + 3, descriptor_size);
  std::span<const std::uint8_t> rest(data + 3 + descriptor_size, size - 3 - descriptor_size);

  const auto parsed = parse_report_descriptor(descriptor);
  std::optional<hid_pos_decoder> pos;
  if (parsed) {
    check_descriptor(*parsed);
    if (classify(*parsed).kind == scanner_interface::hid_pos_scanner) {
      if (auto d = hid_pos_decoder::create(*parsed, max_scan)) {
        check_layout(d->layout());
        pos.emplace(std::move(*d));
      }
    }
  } else {
    check(!parsed.error().context.empty());
  }
  hid_keyboard_decoder keyboard(max_scan);

  const pos_sink on_pos{
      [&](const pos_scan& s) {
        check(!s.bytes.empty() && s.bytes.size() <= max_scan);
        check(s.symbology.empty() || (s.symbology.size() == 3 && s.symbology[0] == ']'));
      },
      [&](std::string_view reason, std::size_t n) {
        check(reason == "too_long" || reason == "truncated_report" || reason == "bad_length" ||
              reason == "symbology_changed");
        check(reason != "too_long" || n > max_scan);
      }};
  const keyboard_sink on_key{
      [&](const keyboard_scan& s) {
        check(s.bytes.size() <= max_scan);
        check(!s.bytes.empty() || s.unknown_keys > 0 || s.alt_numpad_keys > 0);
        for (char c : s.bytes) check(static_cast<unsigned char>(c) < 0x80);
        check(s.suspected_mangled_non_ascii == (s.hint == mangled_non_ascii_hint));
      },
      [&](std::size_t n, std::string_view head) { check(n > max_scan && head.size() <= 32); }};

  while (!rest.empty()) {
    const std::size_t n = std::min<std::size_t>(rest[0], rest.size() - 1);
    const auto report = rest.subspan(1, n);
    rest = rest.subspan(1 + n);
    if (pos) {
      pos->feed(report, on_pos);
      check(pos->buffered() <= max_scan);
    } else {
      keyboard.feed(report, on_key);
      check(keyboard.buffered() <= max_scan);
    }
  }
  return 0;
}
