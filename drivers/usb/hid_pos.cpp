#include "drivers/usb/hid_pos.hpp"

#include <algorithm>
#include <utility>

namespace ravao::usb {

namespace {

struct element_run {
  const input_field* field = nullptr;
  std::uint32_t first = 0;  // element index
  std::uint32_t count = 0;  // contiguous elements with the usage

  std::uint32_t bit() const { return field->bit_offset + first * field->bit_size; }
};

// Elements of a Variable field whose usage is `u`: the first one and how many
// follow it with the same usage (the last declared usage repeats to the end
// of the field, HID 1.11 6.2.2.8). O(declared usages), never per element.
std::optional<element_run> find_in_field(const input_field& f, hid_usage u) {
  if (!f.is_variable() || f.is_constant()) return std::nullopt;
  std::uint32_t e = 0;
  for (std::size_t i = 0; i < f.usages.size() && e < f.count; ++i) {
    const usage_span& s = f.usages[i];
    if (s.page == u.page && u.id >= s.first && u.id <= s.last) {
      const std::uint32_t at = e + (u.id - s.first);
      if (at >= f.count) return std::nullopt;
      const bool repeats = i + 1 == f.usages.size() && u.id == s.last;
      return element_run{&f, at, repeats ? f.count - at : 1};
    }
    e += s.size();
  }
  return std::nullopt;
}

std::optional<element_run> find_in_report(const report_layout& r, hid_usage u) {
  for (const input_field& f : r.fields) {
    if (auto run = find_in_field(f, u)) return run;
  }
  return std::nullopt;
}

bool in_application(const parsed_descriptor& d, const input_field& f, std::size_t app) {
  return f.collection && d.collections[*f.collection].application == app;
}

// Up to 32 bits, little-endian as HID reports are; the caller checked bounds.
std::uint32_t read_bits(std::span<const std::uint8_t> data, std::uint32_t bit, std::uint32_t size) {
  std::uint32_t v = 0;
  for (std::uint32_t i = 0; i < size && i < 32; ++i) {
    const std::uint32_t b = bit + i;
    v |= std::uint32_t{(data[b / 8] >> (b % 8)) & 1u} << i;
  }
  return v;
}

std::unexpected<error> layout_error(const std::string& what) {
  return fail(errc::protocol, "HID POS scanner: " + what);
}

// The byte offset of an 8-bit, byte-aligned element run, or an error naming it.
result<std::size_t> byte_of(const element_run& run, std::string_view name) {
  if (run.field->bit_size != 8 || run.bit() % 8 != 0) {
    return layout_error(std::string(name) + " is not a byte-aligned 8-bit field (" +
                        std::to_string(run.field->bit_size) + " bits at bit " + std::to_string(run.bit()) + ")");
  }
  return run.bit() / 8;
}

// The common layout (docs/usb-scanners.md): 63 data bytes = length, 3-byte
// AIM id, 56 data bytes, 2 vendor bytes, flags with "continued" in bit 0.
pos_layout common_layout(std::uint8_t report_id) {
  pos_layout l;
  l.report_id = report_id;
  l.report_bytes = 63;
  l.length_byte = 0;
  l.symbology_bytes = {1, 2, 3};
  l.data_byte = 4;
  l.data_capacity = 56;
  l.continued_bit = 62 * 8;
  l.common_layout = true;
  return l;
}

result<pos_layout> locate_by_usage(const report_layout& r, const element_run& data) {
  namespace u = hid_pos_usage;
  pos_layout l;
  l.report_id = r.id;
  l.report_bytes = r.byte_size();
  const input_field& f = *data.field;
  if (data.bit() % 8 != 0 || f.bit_size % 8 != 0) {
    return layout_error("Decoded Data is not byte-aligned in report " + std::to_string(r.id));
  }
  l.data_byte = data.bit() / 8;
  // 8-bit elements, or one wide Buffered Bytes element.
  l.data_capacity = f.bit_size == 8 ? data.count : f.bit_size / 8 * data.count;
  if (l.data_capacity == 0) return layout_error("Decoded Data field is empty in report " + std::to_string(r.id));

  if (auto len = find_in_report(r, u::byte_count)) {
    auto at = byte_of(*len, "Byte Count");
    if (!at) return std::unexpected(at.error());
    l.length_byte = *at;
  }
  const std::array<hid_usage, 3> ids{u::symbology_identifier_1, u::symbology_identifier_2, u::symbology_identifier_3};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (auto sym = find_in_report(r, ids[i])) {
      auto at = byte_of(*sym, "Symbology Identifier " + std::to_string(i + 1));
      if (!at) return std::unexpected(at.error());
      l.symbology_bytes[i] = *at;
    }
  }
  if (auto more = find_in_report(r, u::decode_data_continued)) l.continued_bit = more->bit();
  return l;
}

bool is_aim_char(std::uint8_t c) { return c > 0x20 && c < 0x7F; }

}  // namespace

std::string_view to_string(pos_report_status s) {
  switch (s) {
    case pos_report_status::completed: return "completed";
    case pos_report_status::partial: return "partial";
    case pos_report_status::empty: return "empty";
    case pos_report_status::other_report: return "other_report";
    case pos_report_status::truncated: return "truncated";
    case pos_report_status::bad_length: return "bad_length";
  }
  return "unknown";
}

result<hid_pos_decoder> hid_pos_decoder::create(const parsed_descriptor& d, std::size_t max_scan_bytes) {
  std::optional<std::size_t> app;
  for (std::size_t i = 0; i < d.collections.size() && !app; ++i) {
    const collection_info& c = d.collections[i];
    if (!c.parent && c.type == 0x01 && c.usage == hid_pos_usage::barcode_scanner) app = i;
  }
  if (!app) {
    return layout_error("no Barcode Scanner application collection (usage page 0x8C, usage 0x02); " +
                        classify(d).reason);
  }
  // The report carrying Decoded Data in the scanner collection, preferring
  // one inside a Scanned Data Report collection.
  std::optional<std::pair<const report_layout*, element_run>> best;
  const report_layout* largest = nullptr;
  for (const report_layout& r : d.input_reports) {
    for (const input_field& f : r.fields) {
      if (!in_application(d, f, *app)) continue;
      if (!largest || r.bit_size > largest->bit_size) largest = &r;
      const auto run = find_in_field(f, hid_pos_usage::decoded_data);
      if (!run) continue;
      const bool preferred = d.collections[*f.collection].usage == hid_pos_usage::scanned_data_report;
      if (!best || (preferred && d.collections[*best->second.field->collection].usage !=
                                     hid_pos_usage::scanned_data_report)) {
        best = std::pair{&r, *run};
      }
    }
  }
  if (!largest) return layout_error("the Barcode Scanner collection has no input report");
  pos_layout layout;
  if (best) {
    auto located = locate_by_usage(*best->first, best->second);
    if (!located) return std::unexpected(located.error());
    layout = *located;
  } else {
    // Usage page 0x8C declared but no per-field usages: assume the common layout.
    const report_layout* r = d.input_report(2);
    if (!r || r->byte_size() != 63) r = largest;
    if (r->byte_size() != 63) {
      return layout_error("no field has the Decoded Data usage (0x8C:0xFE) and input report " +
                          std::to_string(r->id) + " is " + std::to_string(r->byte_size()) +
                          " bytes, not the 63 of the common layout");
    }
    layout = common_layout(r->id);
  }
  return hid_pos_decoder(layout, max_scan_bytes);
}

void hid_pos_decoder::reset() {
  data_.clear();
  symbology_.clear();
  in_scan_ = false;
  overflow_ = 0;
}

void hid_pos_decoder::discard(std::string_view reason, std::size_t extra, const pos_sink& sink) {
  const std::size_t lost = (overflow_ > 0 ? overflow_ : data_.size()) + extra;
  if (sink.on_discard && (in_scan_ || extra > 0)) sink.on_discard(reason, lost);
  reset();
}

pos_report_status hid_pos_decoder::feed(std::span<const std::uint8_t> report, const pos_sink& sink) {
  const pos_layout& l = layout_;
  if (l.report_id != 0) {
    if (report.empty() || report[0] != l.report_id) return pos_report_status::other_report;
    report = report.subspan(1);
  }
  if (report.size() < l.report_bytes) {
    discard("truncated_report", 0, sink);
    return pos_report_status::truncated;
  }
  const std::span<const std::uint8_t> area = report.subspan(l.data_byte, l.data_capacity);
  std::size_t length = area.size();
  if (l.length_byte) {
    length = report[*l.length_byte];
    if (length > l.data_capacity) {
      discard("bad_length", 0, sink);
      return pos_report_status::bad_length;
    }
  } else {
    while (length > 0 && area[length - 1] == 0) --length;
  }
  const bool more = l.continued_bit && read_bits(report, *l.continued_bit, 1) != 0;

  std::string symbology;
  if (l.symbology_bytes[0] && l.symbology_bytes[1] && l.symbology_bytes[2]) {
    const std::array<std::uint8_t, 3> s{report[*l.symbology_bytes[0]], report[*l.symbology_bytes[1]],
                                        report[*l.symbology_bytes[2]]};
    if (s[0] == ']' && is_aim_char(s[1]) && is_aim_char(s[2])) symbology.assign(s.begin(), s.end());
  }
  if (in_scan_ && !symbology.empty() && !symbology_.empty() && symbology != symbology_) {
    discard("symbology_changed", 0, sink);
  }
  if (symbology_.empty()) symbology_ = symbology;

  const std::string_view piece(reinterpret_cast<const char*>(area.data()), length);
  if (overflow_ == 0 && data_.size() + piece.size() <= max_scan_bytes_) {
    data_.append(piece);
  } else {
    if (overflow_ == 0) overflow_ = data_.size();
    overflow_ += piece.size();
    data_.clear();
  }
  if (more) {
    in_scan_ = true;
    return pos_report_status::partial;
  }
  if (overflow_ > 0) {
    in_scan_ = true;
    discard("too_long", 0, sink);
    return pos_report_status::completed;
  }
  if (data_.empty()) {
    reset();
    return pos_report_status::empty;
  }
  if (sink.on_scan) sink.on_scan(pos_scan{std::move(data_), std::move(symbology_)});
  reset();
  return pos_report_status::completed;
}

}  // namespace ravao::usb
