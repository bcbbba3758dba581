#include "drivers/usb/report_descriptor.hpp"

#include <array>
#include <cstdio>

namespace ravao::usb {

std::optional<hid_usage> input_field::usage_of(std::uint32_t element) const {
  if (usages.empty()) return std::nullopt;
  std::uint32_t skipped = 0;
  for (const usage_span& s : usages) {
    if (element - skipped < s.size()) {
      return hid_usage{s.page, static_cast<std::uint16_t>(s.first + (element - skipped))};
    }
    skipped += s.size();
  }
  return hid_usage{usages.back().page, usages.back().last};
}

const report_layout* parsed_descriptor::input_report(std::uint8_t id) const {
  for (const report_layout& r : input_reports) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

namespace {

struct global_state {
  std::uint16_t usage_page = 0;
  std::int64_t logical_minimum = 0;
  std::int64_t logical_maximum = 0;
  std::uint32_t report_size = 0;
  std::uint32_t report_count = 0;
  std::uint8_t report_id = 0;
};

// A Usage, Usage Minimum or Usage Maximum as written: a 4-byte item carries
// its own page, a shorter one takes the Usage Page in effect at the Main item
// (as Linux hid-core does since 5.3).
struct local_usage {
  std::uint32_t value = 0;
  bool has_page = false;

  std::uint16_t page(std::uint16_t current) const {
    return has_page ? static_cast<std::uint16_t>(value >> 16) : current;
  }
  std::uint16_t id() const { return static_cast<std::uint16_t>(value & 0xFFFFu); }
};

// Local items since the last Main item. Singles and ranges are kept apart;
// `order` replays their declaration order (true: the next range, false: the
// next single), which decides the usage of each element.
struct local_state {
  std::vector<local_usage> usages;
  std::vector<std::pair<local_usage, local_usage>> ranges_in_order;
  std::optional<local_usage> minimum;  // waiting for its Usage Maximum
  std::optional<local_usage> maximum;  // waiting for its Usage Minimum
  std::vector<bool> order;
};

enum item_type : std::uint8_t { main_item = 0, global_item = 1, local_item = 2, reserved_item = 3 };

class parser {
 public:
  parser(std::span<const std::uint8_t> bytes, const descriptor_limits& limits)
      : bytes_(bytes), limits_(limits) {}

  result<parsed_descriptor> run();

 private:
  std::unexpected<error> bad(std::size_t at, const std::string& what) const {
    return fail(errc::protocol, "HID report descriptor, byte " + std::to_string(at) + ": " + what);
  }
  std::optional<std::string> on_main(std::uint8_t tag, std::uint32_t data);
  std::optional<std::string> on_global(std::uint8_t tag, std::uint32_t data, std::size_t size);
  std::optional<std::string> on_local(std::uint8_t tag, std::uint32_t data, std::size_t size);
  std::optional<std::string> close_range();
  std::optional<std::string> add_field(std::uint8_t tag, std::uint32_t data);
  result<std::vector<usage_span>> take_usages();

  std::span<const std::uint8_t> bytes_;
  const descriptor_limits& limits_;
  parsed_descriptor out_;
  global_state global_;
  std::vector<global_state> pushed_;
  local_state local_;
  std::vector<std::size_t> open_;  // indices of open collections, innermost last
  std::size_t fields_ = 0;
  bool saw_unnumbered_report_ = false;
  // Bits declared so far per report id, for output and feature reports.
  std::array<std::uint32_t, 256> output_bits_{};
  std::array<std::uint32_t, 256> feature_bits_{};
};

std::int64_t sign_extend(std::uint32_t v, std::size_t size) {
  if (size == 1) return static_cast<std::int8_t>(v);
  if (size == 2) return static_cast<std::int16_t>(v);
  if (size == 4) return static_cast<std::int32_t>(v);
  return 0;
}

std::string hex16(std::uint32_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", static_cast<unsigned>(v & 0xFFFFu));
  return buf;
}

result<parsed_descriptor> parser::run() {
  if (bytes_.empty()) return bad(0, "descriptor is empty");
  if (bytes_.size() > limits_.max_descriptor_bytes) {
    return bad(0, "descriptor is " + std::to_string(bytes_.size()) + " bytes, more than the limit of " +
                      std::to_string(limits_.max_descriptor_bytes));
  }
  std::size_t pos = 0;
  while (pos < bytes_.size()) {
    const std::size_t at = pos;
    if (++out_.item_count > limits_.max_items) {
      return bad(at, "more than " + std::to_string(limits_.max_items) + " items");
    }
    const std::uint8_t prefix = bytes_[pos++];
    if (prefix == 0xFE) {  // long item: bDataSize, bLongItemTag, data; no long items are defined
      if (bytes_.size() - pos < 2) return bad(at, "long item header is truncated");
      const std::size_t data_size = bytes_[pos];
      pos += 2;
      if (bytes_.size() - pos < data_size) return bad(at, "long item data is truncated");
      pos += data_size;
      continue;
    }
    const std::size_t size = (prefix & 0x03u) == 3 ? 4 : (prefix & 0x03u);
    const auto type = static_cast<std::uint8_t>((prefix >> 2) & 0x03u);
    const auto tag = static_cast<std::uint8_t>(prefix >> 4);
    if (bytes_.size() - pos < size) {
      return bad(at, "item 0x" + hex16(prefix).substr(2) + " needs " + std::to_string(size) +
                         " data bytes, the descriptor ends after " + std::to_string(bytes_.size() - pos));
    }
    std::uint32_t data = 0;
    for (std::size_t i = 0; i < size; ++i) data |= std::uint32_t{bytes_[pos + i]} << (8 * i);
    pos += size;

    std::optional<std::string> problem;
    switch (type) {
      case main_item: problem = on_main(tag, data); break;
      case global_item: problem = on_global(tag, data, size); break;
      case local_item: problem = on_local(tag, data, size); break;
      default: problem = "reserved item type 3 (prefix " + hex16(prefix) + ")"; break;
    }
    if (problem) return bad(at, *problem);
  }
  if (!open_.empty()) {
    return bad(bytes_.size(), std::to_string(open_.size()) + " collection(s) not closed: descriptor truncated?");
  }
  return std::move(out_);
}

std::optional<std::string> parser::on_main(std::uint8_t tag, std::uint32_t data) {
  std::optional<std::string> problem;
  switch (tag) {
    case 0x8:  // Input
    case 0x9:  // Output
    case 0xB:  // Feature
      problem = add_field(tag, data);
      break;
    case 0xA: {  // Collection
      if (open_.size() >= limits_.max_collection_depth) {
        return "collections nested deeper than " + std::to_string(limits_.max_collection_depth);
      }
      if (out_.collections.size() >= limits_.max_collections) {
        return "more than " + std::to_string(limits_.max_collections) + " collections";
      }
      auto usages = take_usages();
      if (!usages) return usages.error().context;
      collection_info c;
      c.type = static_cast<std::uint8_t>(data & 0xFFu);
      if (!usages->empty()) c.usage = {usages->front().page, usages->front().first};
      const std::size_t index = out_.collections.size();
      if (!open_.empty()) c.parent = open_.back();
      c.application = open_.empty() ? index : out_.collections[open_.front()].application;
      out_.collections.push_back(c);
      open_.push_back(index);
      break;
    }
    case 0xC:  // End Collection
      if (open_.empty()) return "End Collection without Collection";
      open_.pop_back();
      break;
    default:
      break;  // reserved Main tags are ignored, as Linux does
  }
  local_ = {};
  return problem;
}

std::optional<std::string> parser::on_global(std::uint8_t tag, std::uint32_t data, std::size_t size) {
  switch (tag) {
    case 0x0: global_.usage_page = static_cast<std::uint16_t>(data & 0xFFFFu); break;
    case 0x1: global_.logical_minimum = sign_extend(data, size); break;
    case 0x2:
      // Many devices write an unsigned maximum (0x25 0xFF for 255); read it as
      // unsigned when the minimum is not negative, as Linux hid-core does.
      global_.logical_maximum = global_.logical_minimum < 0 ? sign_extend(data, size) : std::int64_t{data};
      break;
    case 0x7:
      if (data > limits_.max_report_bits) return "Report Size " + std::to_string(data) + " is too large";
      global_.report_size = data;
      break;
    case 0x8:
      if (data == 0 || data > 255) return "Report ID " + std::to_string(data) + " is out of range 1..255";
      if (saw_unnumbered_report_) return "Report ID after items that had no Report ID";
      global_.report_id = static_cast<std::uint8_t>(data);
      out_.uses_report_ids = true;
      break;
    case 0x9:
      if (data > limits_.max_report_bits) return "Report Count " + std::to_string(data) + " is too large";
      global_.report_count = data;
      break;
    case 0xA:  // Push
      if (pushed_.size() >= limits_.max_push_depth) {
        return "Push nested deeper than " + std::to_string(limits_.max_push_depth);
      }
      pushed_.push_back(global_);
      break;
    case 0xB:  // Pop
      if (pushed_.empty()) return "Pop without Push";
      global_ = pushed_.back();
      pushed_.pop_back();
      break;
    default:
      break;  // physical range, units: not needed to locate fields
  }
  return std::nullopt;
}

std::optional<std::string> parser::on_local(std::uint8_t tag, std::uint32_t data, std::size_t size) {
  const local_usage u{data, size == 4};
  const std::size_t declared = local_.usages.size() + local_.ranges_in_order.size();
  if ((tag <= 0x2) && declared >= limits_.max_usages_per_main_item) {
    return "more than " + std::to_string(limits_.max_usages_per_main_item) + " usages before one Main item";
  }
  switch (tag) {
    case 0x0:
      local_.usages.push_back(u);
      local_.order.push_back(false);
      break;
    case 0x1:
      if (local_.minimum) return "two Usage Minimum items without a Usage Maximum";
      local_.minimum = u;
      return close_range();
    case 0x2:
      if (local_.maximum) return "two Usage Maximum items without a Usage Minimum";
      local_.maximum = u;
      return close_range();
    default:
      break;  // designators, strings, delimiters: not needed to locate fields
  }
  return std::nullopt;
}

std::optional<std::string> parser::close_range() {
  if (!local_.minimum || !local_.maximum) return std::nullopt;
  local_.ranges_in_order.emplace_back(*local_.minimum, *local_.maximum);
  local_.order.push_back(true);
  local_.minimum.reset();
  local_.maximum.reset();
  return std::nullopt;
}

result<std::vector<usage_span>> parser::take_usages() {
  std::vector<usage_span> spans;
  std::size_t single = 0;
  std::size_t range = 0;
  const std::uint16_t page = global_.usage_page;
  for (bool is_range : local_.order) {
    if (!is_range) {
      const local_usage& u = local_.usages[single++];
      spans.push_back({u.page(page), u.id(), u.id()});
      continue;
    }
    const auto& [lo, hi] = local_.ranges_in_order[range++];
    if (lo.page(page) != hi.page(page)) {
      return fail(errc::protocol, "Usage Minimum and Usage Maximum on different usage pages");
    }
    if (lo.id() > hi.id()) {
      return fail(errc::protocol, "Usage Minimum " + hex16(lo.id()) + " above Usage Maximum " + hex16(hi.id()));
    }
    spans.push_back({lo.page(page), lo.id(), hi.id()});
  }
  // A lone Usage Minimum or Maximum names one usage.
  for (const auto& lone : {local_.minimum, local_.maximum}) {
    if (lone) spans.push_back({lone->page(page), lone->id(), lone->id()});
  }
  return spans;
}

std::optional<std::string> parser::add_field(std::uint8_t tag, std::uint32_t data) {
  if (!out_.uses_report_ids) saw_unnumbered_report_ = true;
  // Pop can bring back the state from before the first Report ID.
  if (out_.uses_report_ids && global_.report_id == 0) return "item without a Report ID after Report IDs were used";
  const std::uint64_t bits = std::uint64_t{global_.report_size} * global_.report_count;
  std::uint32_t* total = nullptr;
  report_layout* report = nullptr;
  if (tag == 0x8) {
    for (report_layout& r : out_.input_reports) {
      if (r.id == global_.report_id) report = &r;
    }
    if (!report) {
      out_.input_reports.push_back({global_.report_id, 0, {}});
      report = &out_.input_reports.back();
    }
    total = &report->bit_size;
  } else {
    total = tag == 0x9 ? &output_bits_[global_.report_id] : &feature_bits_[global_.report_id];
  }
  if (*total + bits > limits_.max_report_bits) {
    return "report " + std::to_string(global_.report_id) + " grows beyond " +
           std::to_string(limits_.max_report_bits) + " bits";
  }
  auto usages = take_usages();
  if (!usages) return usages.error().context;
  if (report && bits > 0) {
    if (++fields_ > limits_.max_fields) return "more than " + std::to_string(limits_.max_fields) + " input fields";
    input_field f;
    f.bit_offset = *total;
    f.bit_size = global_.report_size;
    f.count = global_.report_count;
    f.flags = data;
    f.usage_page = global_.usage_page;
    f.logical_minimum = global_.logical_minimum;
    f.logical_maximum = global_.logical_maximum;
    f.usages = std::move(*usages);
    if (!open_.empty()) f.collection = open_.back();
    report->fields.push_back(std::move(f));
  }
  *total += static_cast<std::uint32_t>(bits);
  return std::nullopt;
}

bool has_input_in(const parsed_descriptor& d, std::size_t application, std::uint8_t& report_id) {
  for (const report_layout& r : d.input_reports) {
    for (const input_field& f : r.fields) {
      if (f.collection && d.collections[*f.collection].application == application) {
        report_id = r.id;
        return true;
      }
    }
  }
  return false;
}

}  // namespace

result<parsed_descriptor> parse_report_descriptor(std::span<const std::uint8_t> bytes,
                                                  const descriptor_limits& limits) {
  return parser(bytes, limits).run();
}

descriptor_kind classify(const parsed_descriptor& d) {
  std::optional<descriptor_kind> keyboard;
  std::string scanner_problem;
  std::string seen;
  for (std::size_t i = 0; i < d.collections.size(); ++i) {
    const collection_info& c = d.collections[i];
    if (c.parent || c.type != 0x01) continue;
    if (!seen.empty()) seen += ", ";
    seen += hex16(c.usage.page) + ":" + hex16(c.usage.id);
    std::uint8_t id = 0;
    if (c.usage == hid_usage{0x8C, 0x02}) {
      if (has_input_in(d, i, id)) {
        return {scanner_interface::hid_pos_scanner,
                "Barcode Scanner application collection (0x8C:0x02), input report " + std::to_string(id)};
      }
      scanner_problem = "the Barcode Scanner application collection (0x8C:0x02) has no input report";
      continue;
    }
    if (c.usage == hid_usage{0x01, 0x06} && !keyboard && has_input_in(d, i, id)) {
      keyboard = descriptor_kind{scanner_interface::boot_keyboard,
                                 "Keyboard application collection (0x01:0x06), input report " + std::to_string(id)};
    }
  }
  if (keyboard) return *keyboard;
  if (!scanner_problem.empty()) return {scanner_interface::unusable, scanner_problem};
  return {scanner_interface::unusable,
          "no Barcode Scanner (0x8C:0x02) or Keyboard (0x01:0x06) application collection with an input report" +
              (seen.empty() ? std::string(" (no application collection at all)") : " (found " + seen + ")")};
}

}  // namespace ravao::usb
