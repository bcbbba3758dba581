#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "drivers/usb/hid_pos.hpp"

using namespace ravao::usb;

namespace {

// The HID POS descriptor of Honeywell (HHP) scanners, from their firmware
// (usb2hidkbd.cpp, usb_report_descrBPCMacJap; HID POS Usage Tables 1.02).
// Report 2: [0] Byte Count, [1..3] AIM id, [4..59] data, [60..61] vendor,
// [62] bit 0 = Decode Data Continued. report_descriptor_test.cpp checks the parse.
const std::vector<std::uint8_t> honeywell_pos = {
    0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, 0x09, 0x12, 0xA1, 0x02, 0x85, 0x02,
    0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08, 0x95, 0x01,
    0x05, 0x01, 0x09, 0x3B, 0x81, 0x02,
    0x95, 0x03, 0x05, 0x8C, 0x09, 0xFB, 0x09, 0xFC, 0x09, 0xFD, 0x81, 0x02,
    0x95, 0x38, 0x09, 0xFE, 0x82, 0x02, 0x01,
    0x06, 0x66, 0xFF, 0x95, 0x02, 0x09, 0x04, 0x09, 0x00, 0x81, 0x02,
    0x05, 0x8C, 0x25, 0x01, 0x75, 0x01, 0x95, 0x08, 0x09, 0xFF, 0x81, 0x02,
    0xC0,
    0x09, 0x14, 0xA1, 0x02, 0x85, 0x04, 0x15, 0x00, 0x25, 0x01, 0x75, 0x01, 0x95, 0x08,
    0x09, 0x00, 0x09, 0x5F, 0x09, 0x60, 0x09, 0x00, 0x09, 0x00, 0x09, 0x85, 0x09, 0x86, 0x91, 0x86,
    0xC0,
    0x06, 0x66, 0xFF, 0x75, 0x08, 0x26, 0xFF, 0x00,
    0x09, 0x03, 0xA1, 0x02, 0x85, 0xFE, 0x95, 0x01, 0x09, 0x03, 0xB2, 0x82, 0x01, 0xC0,
    0x09, 0x01, 0xA1, 0x02, 0x85, 0xFD, 0x95, 0x01, 0x09, 0x21, 0x91, 0x02,
    0x95, 0x3E, 0x09, 0x22, 0x92, 0x82, 0x01, 0xC0,
    0xC0};

// Vendor variant, AIM id one byte earlier: [0..2] AIM id, [3] Byte Count,
// [4..59] data, [60] bit 0 continued + 7 bits padding.
const std::vector<std::uint8_t> aim_first = {
    0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, 0x09, 0x12, 0xA1, 0x02, 0x85, 0x02,
    0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08,
    0x95, 0x03, 0x09, 0xFB, 0x09, 0xFC, 0x09, 0xFD, 0x81, 0x02,
    0x95, 0x01, 0x05, 0x01, 0x09, 0x3B, 0x81, 0x02, 0x05, 0x8C,
    0x95, 0x38, 0x09, 0xFE, 0x82, 0x02, 0x01,
    0x75, 0x01, 0x95, 0x01, 0x25, 0x01, 0x09, 0xFF, 0x81, 0x02,
    0x75, 0x07, 0x81, 0x03,
    0xC0, 0xC0};

// Vendor variant, AIM id one byte later: [0] Byte Count, [1] a status byte
// with a vendor usage, [2..4] AIM id, [5..60] data, [61] bit 0 continued.
const std::vector<std::uint8_t> aim_later = {
    0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, 0x09, 0x12, 0xA1, 0x02, 0x85, 0x02,
    0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08, 0x95, 0x01,
    0x05, 0x01, 0x09, 0x3B, 0x81, 0x02,
    0x06, 0x00, 0xFF, 0x09, 0x01, 0x81, 0x02, 0x05, 0x8C,
    0x95, 0x03, 0x09, 0xFB, 0x09, 0xFC, 0x09, 0xFD, 0x81, 0x02,
    0x95, 0x38, 0x09, 0xFE, 0x82, 0x02, 0x01,
    0x75, 0x01, 0x95, 0x01, 0x25, 0x01, 0x09, 0xFF, 0x81, 0x02,
    0x75, 0x07, 0x81, 0x03,
    0xC0, 0xC0};

// No Byte Count: the data ends at the first of its trailing NULs.
// [0..2] AIM id, [3..58] data, [59] bit 0 continued.
const std::vector<std::uint8_t> no_length = {
    0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, 0x85, 0x02, 0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08,
    0x95, 0x03, 0x09, 0xFB, 0x09, 0xFC, 0x09, 0xFD, 0x81, 0x02,
    0x95, 0x38, 0x09, 0xFE, 0x82, 0x02, 0x01,
    0x75, 0x01, 0x95, 0x01, 0x25, 0x01, 0x09, 0xFF, 0x81, 0x02, 0x75, 0x07, 0x81, 0x03,
    0xC0};

// Usage page 0x8C and the Barcode Scanner collection, but one 63-byte vendor
// field: the common layout is assumed.
const std::vector<std::uint8_t> no_field_usages = {
    0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, 0x85, 0x02, 0x06, 0x00, 0xFF, 0x09, 0x01,
    0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08, 0x95, 0x3F, 0x81, 0x02, 0xC0};

// Where a test report puts each part (bytes after the report id).
struct report_shape {
  std::size_t size;
  std::optional<std::size_t> length_at;
  std::size_t aim_at;
  std::size_t data_at;
  std::size_t capacity;
  std::size_t flag_at;
};
constexpr report_shape honeywell_shape{63, 0, 1, 4, 56, 62};
constexpr report_shape aim_first_shape{61, 3, 0, 4, 56, 60};
constexpr report_shape aim_later_shape{62, 0, 2, 5, 56, 61};
constexpr report_shape no_length_shape{60, std::nullopt, 0, 3, 56, 59};

std::vector<std::uint8_t> make_report(const report_shape& s, std::string_view data, std::string_view aim, bool more,
                                      std::uint8_t id = 2) {
  std::vector<std::uint8_t> r(1 + s.size, 0);
  r[0] = id;
  if (s.length_at) r[1 + *s.length_at] = static_cast<std::uint8_t>(data.size());
  for (std::size_t i = 0; i < aim.size(); ++i) r[1 + s.aim_at + i] = static_cast<std::uint8_t>(aim[i]);
  for (std::size_t i = 0; i < data.size(); ++i) r[1 + s.data_at + i] = static_cast<std::uint8_t>(data[i]);
  r[1 + s.flag_at] = more ? 0x01 : 0x00;
  return r;
}

struct recorder {
  std::vector<pos_scan> scans;
  std::vector<std::pair<std::string, std::size_t>> discards;
  pos_sink sink() {
    return {[this](const pos_scan& s) { scans.push_back(s); },
            [this](std::string_view why, std::size_t n) { discards.emplace_back(std::string(why), n); }};
  }
};

hid_pos_decoder make_decoder(const std::vector<std::uint8_t>& descriptor, std::size_t max = 4096) {
  const auto parsed = parse_report_descriptor(descriptor);
  BOOST_REQUIRE(parsed.has_value());
  auto d = hid_pos_decoder::create(*parsed, max);
  if (!d) BOOST_FAIL(d.error().message());
  return std::move(*d);
}

// Sends `text` in reports of at most `chunk` bytes, "continued" on all but the last.
std::vector<pos_report_status> send(hid_pos_decoder& d, const pos_sink& sink, const report_shape& s,
                                    std::string_view text, std::string_view aim, std::size_t chunk) {
  std::vector<pos_report_status> out;
  for (std::size_t at = 0; at < text.size() || at == 0; at += chunk) {
    const std::string_view part = text.substr(at, chunk);
    const bool more = at + chunk < text.size();
    out.push_back(d.feed(make_report(s, part, aim, more), sink));
    if (text.empty()) break;
  }
  return out;
}

const std::string cccd =
    "001090012345||Nguyễn Văn An|01011990|Nam|Thôn 3, Xã Ia Kênh, Thành phố Pleiku, Gia Lai|15082021";

}  // namespace

BOOST_AUTO_TEST_CASE(honeywell_layout_is_found_by_usage) {
  const hid_pos_decoder d = make_decoder(honeywell_pos);
  const pos_layout& l = d.layout();
  BOOST_TEST(l.report_id == 2);
  BOOST_TEST(l.report_bytes == 63u);
  BOOST_TEST((l.length_byte == std::optional<std::size_t>(0)));
  BOOST_TEST((l.symbology_bytes[0] == std::optional<std::size_t>(1)));
  BOOST_TEST((l.symbology_bytes[2] == std::optional<std::size_t>(3)));
  BOOST_TEST(l.data_byte == 4u);
  BOOST_TEST(l.data_capacity == 56u);
  BOOST_TEST((l.continued_bit == std::optional<std::uint32_t>(62 * 8)));
  BOOST_TEST(!l.common_layout);
}

BOOST_AUTO_TEST_CASE(long_utf8_cccd_is_reassembled_with_its_aim_id) {
  BOOST_REQUIRE_GT(cccd.size(), 56u);  // two full-size reports
  hid_pos_decoder d = make_decoder(honeywell_pos);
  recorder r;
  const auto statuses = send(d, r.sink(), honeywell_shape, cccd, "]Q1", 56);
  BOOST_REQUIRE_EQUAL(statuses.size(), 2u);
  BOOST_TEST((statuses[0] == pos_report_status::partial));
  BOOST_TEST((statuses[1] == pos_report_status::completed));
  BOOST_REQUIRE_EQUAL(r.scans.size(), 1u);
  BOOST_TEST(r.scans[0].bytes == cccd);  // byte for byte, UTF-8 untouched
  BOOST_TEST(r.scans[0].symbology == "]Q1");
  BOOST_TEST(r.discards.empty());
  BOOST_TEST(d.buffered() == 0u);

  // Shorter pieces than the field holds are fine too: 15 reports, with "à"
  // and "ố" split between reports 10/11 and 11/12.
  const auto small = send(d, r.sink(), honeywell_shape, cccd, "]Q1", 7);
  BOOST_TEST(small.size() == 15u);
  BOOST_REQUIRE_EQUAL(r.scans.size(), 2u);
  BOOST_TEST(r.scans[1].bytes == cccd);
}

BOOST_AUTO_TEST_CASE(vendor_variants_follow_the_descriptor) {
  const std::vector<std::pair<const std::vector<std::uint8_t>*, report_shape>> variants = {
      {&aim_first, aim_first_shape}, {&aim_later, aim_later_shape}, {&no_length, no_length_shape}};
  for (const auto& [descriptor, shape] : variants) {
    hid_pos_decoder d = make_decoder(*descriptor);
    BOOST_TEST(d.layout().data_byte == shape.data_at);
    BOOST_TEST((d.layout().symbology_bytes[0] == std::optional<std::size_t>(shape.aim_at)));
    BOOST_TEST((d.layout().length_byte == shape.length_at));
    BOOST_TEST((d.layout().continued_bit == std::optional<std::uint32_t>(shape.flag_at * 8)));
    recorder r;
    send(d, r.sink(), shape, cccd, "]Q1", 56);
    send(d, r.sink(), shape, "8934567890123", "]E0", 56);
    BOOST_REQUIRE_EQUAL(r.scans.size(), 2u);
    BOOST_TEST(r.scans[0].bytes == cccd);
    BOOST_TEST(r.scans[0].symbology == "]Q1");
    BOOST_TEST(r.scans[1].bytes == "8934567890123");
    BOOST_TEST(r.scans[1].symbology == "]E0");
  }
}

BOOST_AUTO_TEST_CASE(common_layout_only_without_field_usages) {
  hid_pos_decoder d = make_decoder(no_field_usages);
  BOOST_TEST(d.layout().common_layout);
  BOOST_TEST(d.layout().data_byte == 4u);
  recorder r;
  send(d, r.sink(), honeywell_shape, cccd, "]Q1", 56);
  BOOST_REQUIRE_EQUAL(r.scans.size(), 1u);
  BOOST_TEST(r.scans[0].bytes == cccd);
  BOOST_TEST(!make_decoder(honeywell_pos).layout().common_layout);
}

BOOST_AUTO_TEST_CASE(unusable_descriptors_are_clear_errors) {
  const auto error_of = [](const std::vector<std::uint8_t>& descriptor) {
    const auto parsed = parse_report_descriptor(descriptor);
    BOOST_REQUIRE(parsed.has_value());
    const auto d = hid_pos_decoder::create(*parsed, 4096);
    BOOST_REQUIRE(!d.has_value());
    return d.error().context;
  };
  const std::vector<std::uint8_t> keyboard = {0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x05, 0x07, 0x75, 0x08,
                                              0x95, 0x08, 0x19, 0x00, 0x29, 0x65, 0x81, 0x00, 0xC0};
  BOOST_TEST(error_of(keyboard).find("no Barcode Scanner application collection") != std::string::npos);

  std::vector<std::uint8_t> short_vendor = no_field_usages;
  short_vendor[21] = 0x0A;  // Report Count 10 instead of 63
  BOOST_TEST(error_of(short_vendor).find("is 10 bytes, not the 63 of the common layout") != std::string::npos);

  // Four bits of padding before the data: Decoded Data not byte-aligned.
  const std::vector<std::uint8_t> misaligned = {0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, 0x75, 0x01, 0x95, 0x04,
                                                0x81, 0x03, 0x75, 0x08, 0x95, 0x38, 0x09, 0xFE, 0x81, 0x02,
                                                0x75, 0x04, 0x95, 0x01, 0x81, 0x03, 0xC0};
  BOOST_TEST(error_of(misaligned).find("Decoded Data is not byte-aligned") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(other_reports_between_pieces_are_ignored) {
  hid_pos_decoder d = make_decoder(honeywell_pos);
  recorder r;
  d.feed(make_report(honeywell_shape, cccd.substr(0, 56), "]Q1", true), r.sink());
  const std::vector<std::uint8_t> status_report = {0x04, 0x01};
  BOOST_TEST((d.feed(status_report, r.sink()) == pos_report_status::other_report));
  BOOST_TEST((d.feed({}, r.sink()) == pos_report_status::other_report));
  BOOST_TEST(d.buffered() == 56u);
  d.feed(make_report(honeywell_shape, cccd.substr(56), "]Q1", false), r.sink());
  BOOST_REQUIRE_EQUAL(r.scans.size(), 1u);
  BOOST_TEST(r.scans[0].bytes == cccd);
}

BOOST_AUTO_TEST_CASE(truncated_report_drops_the_unfinished_scan) {
  hid_pos_decoder d = make_decoder(honeywell_pos);
  recorder r;
  d.feed(make_report(honeywell_shape, cccd.substr(0, 56), "]Q1", true), r.sink());
  auto cut = make_report(honeywell_shape, cccd.substr(56, 56), "]Q1", true);
  cut.resize(20);
  BOOST_TEST((d.feed(cut, r.sink()) == pos_report_status::truncated));
  BOOST_REQUIRE_EQUAL(r.discards.size(), 1u);
  BOOST_TEST(r.discards[0].first == "truncated_report");
  BOOST_TEST(r.discards[0].second == 56u);
  BOOST_TEST(d.buffered() == 0u);
  // The tail alone is delivered as its own (short) scan; then a clean scan works.
  d.feed(make_report(honeywell_shape, "tail", "]Q1", false), r.sink());
  send(d, r.sink(), honeywell_shape, "ABC-123", "]C0", 56);
  BOOST_REQUIRE_EQUAL(r.scans.size(), 2u);
  BOOST_TEST(r.scans[0].bytes == "tail");
  BOOST_TEST(r.scans[1].bytes == "ABC-123");
  BOOST_TEST(r.scans[1].symbology == "]C0");
}

BOOST_AUTO_TEST_CASE(length_above_the_field_resets) {
  hid_pos_decoder d = make_decoder(honeywell_pos);
  recorder r;
  d.feed(make_report(honeywell_shape, cccd.substr(0, 56), "]Q1", true), r.sink());
  auto bad = make_report(honeywell_shape, "x", "]Q1", false);
  bad[1] = 57;  // length byte
  BOOST_TEST((d.feed(bad, r.sink()) == pos_report_status::bad_length));
  BOOST_REQUIRE_EQUAL(r.discards.size(), 1u);
  BOOST_TEST(r.discards[0].first == "bad_length");
  BOOST_TEST(r.scans.empty());
  BOOST_TEST(d.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(overlong_scan_is_discarded_and_bounded) {
  hid_pos_decoder d = make_decoder(honeywell_pos, 100);
  recorder r;
  const auto statuses = send(d, r.sink(), honeywell_shape, cccd + cccd, "]Q1", 56);
  BOOST_TEST(d.buffered() == 0u);
  BOOST_TEST((statuses.back() == pos_report_status::completed));
  BOOST_TEST(r.scans.empty());
  BOOST_REQUIRE_EQUAL(r.discards.size(), 1u);
  BOOST_TEST(r.discards[0].first == "too_long");
  BOOST_TEST(r.discards[0].second == 2 * cccd.size());
  send(d, r.sink(), honeywell_shape, "short", "]Q1", 56);
  BOOST_REQUIRE_EQUAL(r.scans.size(), 1u);
  BOOST_TEST(r.scans[0].bytes == "short");
}

BOOST_AUTO_TEST_CASE(symbology_change_mid_scan_restarts) {
  hid_pos_decoder d = make_decoder(honeywell_pos);
  recorder r;
  d.feed(make_report(honeywell_shape, "first-part", "]Q1", true), r.sink());
  d.feed(make_report(honeywell_shape, "8934567890123", "]E0", false), r.sink());
  BOOST_REQUIRE_EQUAL(r.discards.size(), 1u);
  BOOST_TEST(r.discards[0].first == "symbology_changed");
  BOOST_TEST(r.discards[0].second == 10u);
  BOOST_REQUIRE_EQUAL(r.scans.size(), 1u);
  BOOST_TEST(r.scans[0].bytes == "8934567890123");
  BOOST_TEST(r.scans[0].symbology == "]E0");
}

BOOST_AUTO_TEST_CASE(missing_or_invalid_aim_id_and_empty_reports) {
  hid_pos_decoder d = make_decoder(honeywell_pos);
  recorder r;
  d.feed(make_report(honeywell_shape, "no-aim", "", false), r.sink());
  d.feed(make_report(honeywell_shape, "bad-aim", "Q1\x01", false), r.sink());
  BOOST_TEST((d.feed(make_report(honeywell_shape, "", "]Q1", false), r.sink()) == pos_report_status::empty));
  BOOST_REQUIRE_EQUAL(r.scans.size(), 2u);
  BOOST_TEST(r.scans[0].symbology.empty());
  BOOST_TEST(r.scans[1].symbology.empty());
  BOOST_TEST(r.scans[1].bytes == "bad-aim");
}

BOOST_AUTO_TEST_CASE(garbage_reports_never_grow_the_buffer) {
  std::mt19937 rng(1234);
  for (const auto* descriptor : {&honeywell_pos, &aim_first, &aim_later, &no_length, &no_field_usages}) {
    hid_pos_decoder d = make_decoder(*descriptor, 300);
    recorder r;
    for (int i = 0; i < 2000; ++i) {
      std::vector<std::uint8_t> report(rng() % 80);
      for (auto& b : report) b = static_cast<std::uint8_t>(rng());
      if (!report.empty() && rng() % 2) report[0] = 2;
      d.feed(report, r.sink());
      BOOST_TEST_REQUIRE(d.buffered() <= 300u);
    }
    for (const auto& scan : r.scans) {
      BOOST_TEST(scan.bytes.size() <= 300u);
      BOOST_TEST((scan.symbology.empty() || (scan.symbology.size() == 3 && scan.symbology[0] == ']')));
    }
  }
}
