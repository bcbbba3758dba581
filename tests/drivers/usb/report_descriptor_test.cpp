#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <vector>

#include "drivers/usb/report_descriptor.hpp"

using namespace ravao::usb;

namespace {

// HID 1.11, Appendix E.6 "Report Descriptor (Keyboard)": the boot keyboard.
// Input: modifiers (8 x 1 bit), reserved byte, 6 key codes. Output: 5 LEDs + 3 bits padding.
const std::vector<std::uint8_t> boot_keyboard = {
    0x05, 0x01, 0x09, 0x06, 0xA1, 0x01,        // Generic Desktop, Keyboard, Collection (Application)
    0x05, 0x07, 0x19, 0xE0, 0x29, 0xE7,        //   Keyboard page, Usage Min LeftControl, Max Right GUI
    0x15, 0x00, 0x25, 0x01, 0x75, 0x01, 0x95, 0x08, 0x81, 0x02,  // 8 x 1 bit, Input (Data,Var,Abs)
    0x95, 0x01, 0x75, 0x08, 0x81, 0x01,        //   reserved byte, Input (Constant)
    0x95, 0x05, 0x75, 0x01, 0x05, 0x08, 0x19, 0x01, 0x29, 0x05, 0x91, 0x02,  // LEDs, Output
    0x95, 0x01, 0x75, 0x03, 0x91, 0x01,        //   Output padding
    0x95, 0x06, 0x75, 0x08, 0x15, 0x00, 0x25, 0x65,  // 6 x 8 bit, 0..101
    0x05, 0x07, 0x19, 0x00, 0x29, 0x65, 0x81, 0x00,  //   Keyboard page 0..0x65, Input (Data,Array)
    0xC0};

// The HID POS interface descriptor of Honeywell (HHP) scanners, as declared in
// their firmware (usb2hidkbd.cpp, usb_report_descrBPCMacJap, wDescriptorLength
// 0x90) and following the HID POS Usage Tables 1.02 (Barcode Scanner page
// 0x8C). Report 2 = Byte Count, Symbology Identifier 1..3, 56 x Decoded Data,
// 2 vendor bytes (page 0xFF66), 8 x 1 bit Decode Data Continued; report 4 is
// the trigger (output), 0xFE and 0xFD are vendor feature/output reports.
const std::vector<std::uint8_t> honeywell_pos = {
    0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01,              // Barcode Scanner page, Barcode Scanner, Application
    0x09, 0x12, 0xA1, 0x02, 0x85, 0x02,              //   Scanned Data Report, Logical, Report ID 2
    0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08, 0x95, 0x01,
    0x05, 0x01, 0x09, 0x3B, 0x81, 0x02,              //   Generic Desktop Byte Count, Input
    0x95, 0x03, 0x05, 0x8C, 0x09, 0xFB, 0x09, 0xFC, 0x09, 0xFD, 0x81, 0x02,  // Symbology Identifier 1..3
    0x95, 0x38, 0x09, 0xFE, 0x82, 0x02, 0x01,        //   56 x Decoded Data, Input (Buffered Bytes)
    0x06, 0x66, 0xFF, 0x95, 0x02, 0x09, 0x04, 0x09, 0x00, 0x81, 0x02,  // vendor: Code ID, undefined
    0x05, 0x8C, 0x25, 0x01, 0x75, 0x01, 0x95, 0x08, 0x09, 0xFF, 0x81, 0x02,  // Decode Data Continued
    0xC0,
    0x09, 0x14, 0xA1, 0x02, 0x85, 0x04,              //   Trigger Report, Logical, Report ID 4
    0x15, 0x00, 0x25, 0x01, 0x75, 0x01, 0x95, 0x08,
    0x09, 0x00, 0x09, 0x5F, 0x09, 0x60, 0x09, 0x00, 0x09, 0x00, 0x09, 0x85, 0x09, 0x86, 0x91, 0x86,
    0xC0,
    0x06, 0x66, 0xFF, 0x75, 0x08, 0x26, 0xFF, 0x00,
    0x09, 0x03, 0xA1, 0x02, 0x85, 0xFE, 0x95, 0x01, 0x09, 0x03, 0xB2, 0x82, 0x01, 0xC0,  // feature 0xFE
    0x09, 0x01, 0xA1, 0x02, 0x85, 0xFD, 0x95, 0x01, 0x09, 0x21, 0x91, 0x02,            // output 0xFD
    0x95, 0x3E, 0x09, 0x22, 0x92, 0x82, 0x01, 0xC0,
    0xC0};

// A USB mouse (HID 1.11, Appendix E.10): neither a keyboard nor a scanner.
const std::vector<std::uint8_t> boot_mouse = {
    0x05, 0x01, 0x09, 0x02, 0xA1, 0x01, 0x09, 0x01, 0xA1, 0x00, 0x05, 0x09, 0x19, 0x01, 0x29, 0x03,
    0x15, 0x00, 0x25, 0x01, 0x95, 0x03, 0x75, 0x01, 0x81, 0x02, 0x95, 0x01, 0x75, 0x05, 0x81, 0x01,
    0x05, 0x01, 0x09, 0x30, 0x09, 0x31, 0x15, 0x81, 0x25, 0x7F, 0x75, 0x08, 0x95, 0x02, 0x81, 0x06,
    0xC0, 0xC0};

std::string parse_error(const std::vector<std::uint8_t>& bytes, const descriptor_limits& limits = {}) {
  const auto r = parse_report_descriptor(bytes, limits);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().code == ravao::make_error_code(ravao::errc::protocol));
  return r.error().context;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_CASE(boot_keyboard_layout) {
  const auto d = parse_report_descriptor(boot_keyboard);
  BOOST_REQUIRE(d.has_value());
  BOOST_TEST(!d->uses_report_ids);
  BOOST_REQUIRE_EQUAL(d->input_reports.size(), 1u);  // the LED output report is not an input
  const report_layout& r = d->input_reports[0];
  BOOST_TEST(r.id == 0);
  BOOST_TEST(r.byte_size() == 8u);
  BOOST_REQUIRE_EQUAL(r.fields.size(), 3u);
  const input_field& modifiers = r.fields[0];
  BOOST_TEST(modifiers.bit_offset == 0u);
  BOOST_TEST(modifiers.bit_size == 1u);
  BOOST_TEST(modifiers.count == 8u);
  BOOST_TEST(modifiers.is_variable());
  BOOST_TEST((modifiers.usage_of(1) == hid_usage{0x07, 0xE1}));  // Left Shift
  BOOST_TEST((modifiers.usage_of(5) == hid_usage{0x07, 0xE5}));  // Right Shift
  BOOST_TEST(r.fields[1].is_constant());
  BOOST_TEST(r.fields[1].bit_offset == 8u);
  const input_field& keys = r.fields[2];
  BOOST_TEST(keys.bit_offset == 16u);
  BOOST_TEST(keys.count == 6u);
  BOOST_TEST(!keys.is_variable());
  BOOST_TEST(keys.logical_maximum == 0x65);
  BOOST_REQUIRE_EQUAL(keys.usages.size(), 1u);
  BOOST_TEST(keys.usages[0].size() == 0x66u);  // a range, not 102 separate usages
  BOOST_REQUIRE_EQUAL(d->collections.size(), 1u);
  BOOST_TEST((d->collections[0].usage == hid_usage{0x01, 0x06}));

  const descriptor_kind k = classify(*d);
  BOOST_TEST((k.kind == scanner_interface::boot_keyboard));
  BOOST_TEST(contains(k.reason, "Keyboard"));
}

BOOST_AUTO_TEST_CASE(honeywell_hid_pos_layout) {
  BOOST_TEST(honeywell_pos.size() == 0x90u);  // the wDescriptorLength the firmware declares
  const auto d = parse_report_descriptor(honeywell_pos);
  BOOST_REQUIRE(d.has_value());
  BOOST_TEST(d->uses_report_ids);
  BOOST_REQUIRE_EQUAL(d->input_reports.size(), 1u);  // 4, 0xFD and 0xFE are output/feature
  const report_layout* r = d->input_report(2);
  BOOST_REQUIRE(r != nullptr);
  BOOST_TEST(r->byte_size() == 63u);  // + report id = the 64-byte interrupt packet
  BOOST_REQUIRE_EQUAL(r->fields.size(), 5u);
  BOOST_TEST((r->fields[0].usage_of(0) == hid_usage{0x01, 0x3B}));
  BOOST_TEST(r->fields[1].bit_offset == 8u);
  BOOST_TEST((r->fields[1].usage_of(2) == hid_usage{0x8C, 0xFD}));
  const input_field& data = r->fields[2];
  BOOST_TEST(data.bit_offset == 32u);
  BOOST_TEST(data.count == 56u);
  BOOST_TEST(data.is_buffered_bytes());
  BOOST_TEST((data.usage_of(55) == hid_usage{0x8C, 0xFE}));  // one usage for all 56 elements
  BOOST_TEST((r->fields[3].usage_of(0) == hid_usage{0xFF66, 0x04}));
  BOOST_TEST(r->fields[4].bit_offset == 62u * 8);
  BOOST_TEST((r->fields[4].usage_of(7) == hid_usage{0x8C, 0xFF}));
  BOOST_REQUIRE(r->fields[2].collection.has_value());
  BOOST_TEST((d->collections[*r->fields[2].collection].usage == hid_usage{0x8C, 0x12}));
  BOOST_TEST(d->collections[*r->fields[2].collection].application == 0u);

  const descriptor_kind k = classify(*d);
  BOOST_TEST((k.kind == scanner_interface::hid_pos_scanner));
  BOOST_TEST(contains(k.reason, "input report 2"));
}

BOOST_AUTO_TEST_CASE(mouse_is_unusable_with_reason) {
  const auto d = parse_report_descriptor(boot_mouse);
  BOOST_REQUIRE(d.has_value());
  const descriptor_kind k = classify(*d);
  BOOST_TEST((k.kind == scanner_interface::unusable));
  BOOST_TEST(contains(k.reason, "found 0x01:0x02"));
}

BOOST_AUTO_TEST_CASE(scanner_collection_without_input_is_unusable) {
  const std::vector<std::uint8_t> d = {0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, 0x85, 0x04, 0x75, 0x08,
                                       0x95, 0x01, 0x09, 0x60, 0x91, 0x02, 0xC0};
  const auto parsed = parse_report_descriptor(d);
  BOOST_REQUIRE(parsed.has_value());
  const descriptor_kind k = classify(*parsed);
  BOOST_TEST((k.kind == scanner_interface::unusable));
  BOOST_TEST(contains(k.reason, "no input report"));
}

BOOST_AUTO_TEST_CASE(push_pop_extended_usages_and_long_items) {
  const std::vector<std::uint8_t> d = {
      0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01,
      0xFE, 0x02, 0x10, 0xAA, 0xBB,              // long item, skipped
      0x75, 0x08, 0x95, 0x01, 0xA4,              // Push (size 8, count 1)
      0x75, 0x10, 0x95, 0x02,                    // size 16, count 2
      0x0B, 0x3B, 0x00, 0x01, 0x00,              // extended Usage 0x0001:0x003B
      0x81, 0x02,                                // 32 bits
      0xB4,                                      // Pop: back to 8 x 1
      0x09, 0xFE, 0x81, 0x02,                    // page 0x8C from the global state
      0xC0};
  const auto parsed = parse_report_descriptor(d);
  BOOST_REQUIRE(parsed.has_value());
  const report_layout& r = parsed->input_reports.at(0);
  BOOST_REQUIRE_EQUAL(r.fields.size(), 2u);
  BOOST_TEST((r.fields[0].usage_of(1) == hid_usage{0x01, 0x3B}));
  BOOST_TEST(r.fields[0].bit_size == 16u);
  BOOST_TEST(r.fields[1].bit_offset == 32u);
  BOOST_TEST(r.fields[1].bit_size == 8u);
  BOOST_TEST((r.fields[1].usage_of(0) == hid_usage{0x8C, 0xFE}));
}

BOOST_AUTO_TEST_CASE(usage_page_after_usage_applies_at_the_main_item) {
  // Usage before Usage Page: the page in effect at Input wins (as in Linux).
  const std::vector<std::uint8_t> d = {0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x09, 0xFE, 0x05, 0x8C,
                                       0x75, 0x08, 0x95, 0x04, 0x81, 0x02, 0xC0};
  const auto parsed = parse_report_descriptor(d);
  BOOST_REQUIRE(parsed.has_value());
  BOOST_TEST((parsed->input_reports.at(0).fields.at(0).usage_of(3) == hid_usage{0x8C, 0xFE}));
}

BOOST_AUTO_TEST_CASE(malformed_descriptors_are_errors_with_offsets) {
  BOOST_TEST(contains(parse_error({}), "empty"));
  BOOST_TEST(contains(parse_error({0x05, 0x01, 0x26, 0xFF}), "byte 2: item 0x26 needs 2 data bytes"));
  BOOST_TEST(contains(parse_error({0xC0}), "byte 0: End Collection without Collection"));
  BOOST_TEST(contains(parse_error({0xB4}), "Pop without Push"));
  BOOST_TEST(contains(parse_error({0x85, 0x00}), "Report ID 0"));
  BOOST_TEST(contains(parse_error({0x0C}), "reserved item type"));
  BOOST_TEST(contains(parse_error({0xFE, 0x05, 0x00, 0x01}), "long item data is truncated"));
  BOOST_TEST(contains(parse_error({0x19, 0x10, 0x29, 0x01, 0x75, 0x08, 0x95, 0x01, 0x81, 0x02}),
                      "Usage Minimum 0x10 above Usage Maximum 0x01"));
  BOOST_TEST(contains(parse_error({0x75, 0x08, 0x95, 0x01, 0x81, 0x02, 0x85, 0x01}),
                      "Report ID after items that had no Report ID"));
  BOOST_TEST(contains(parse_error({0xA4, 0x85, 0x01, 0xB4, 0x75, 0x08, 0x95, 0x01, 0x81, 0x02}),  // Push, ID, Pop
                      "item without a Report ID after Report IDs were used"));
  // 255 x 8 bits, declared 5 times: beyond 1024 bytes.
  std::vector<std::uint8_t> big = {0x75, 0x08, 0x95, 0xFF};
  for (int i = 0; i < 5; ++i) big.insert(big.end(), {0x81, 0x02});
  BOOST_TEST(contains(parse_error(big), "grows beyond 8192 bits"));
  BOOST_TEST(contains(parse_error({0x75, 0x08, 0x96, 0xFF, 0xFF}), "Report Count 65535 is too large"));
}

BOOST_AUTO_TEST_CASE(bounds_on_depth_items_and_push) {
  std::vector<std::uint8_t> deep;
  for (int i = 0; i < 17; ++i) deep.insert(deep.end(), {0xA1, 0x02});
  BOOST_TEST(contains(parse_error(deep), "nested deeper than 16"));

  std::vector<std::uint8_t> pushes(9, 0xA4);
  BOOST_TEST(contains(parse_error(pushes), "Push nested deeper than 8"));

  descriptor_limits small;
  small.max_items = 10;
  BOOST_TEST(contains(parse_error(boot_keyboard, small), "more than 10 items"));
  small = {};
  small.max_descriptor_bytes = 16;
  BOOST_TEST(contains(parse_error(honeywell_pos, small), "more than the limit of 16"));

  std::vector<std::uint8_t> many_usages = {0x05, 0x8C};
  for (int i = 0; i < 257; ++i) many_usages.insert(many_usages.end(), {0x09, 0x01});
  BOOST_TEST(contains(parse_error(many_usages), "more than 256 usages"));
}

BOOST_AUTO_TEST_CASE(every_truncation_of_a_real_descriptor_fails_cleanly) {
  // Once the application collection is open, a cut descriptor leaves it open
  // (or cuts an item): an error. Before that, the prefix is valid but useless.
  for (const auto* full : {&boot_keyboard, &honeywell_pos}) {
    for (std::size_t n = 1; n < full->size(); ++n) {
      const std::vector<std::uint8_t> cut(full->begin(), full->begin() + static_cast<std::ptrdiff_t>(n));
      const auto r = parse_report_descriptor(cut);
      if (n > 4) BOOST_TEST(!r.has_value(), "prefix of " << n << " bytes parsed");
      if (r) BOOST_TEST((classify(*r).kind == scanner_interface::unusable));
    }
  }
}

BOOST_AUTO_TEST_CASE(last_usage_repeats_and_empty_usages) {
  input_field f;
  f.count = 5;
  BOOST_TEST(!f.usage_of(0).has_value());
  f.usages = {{0x8C, 0xFB, 0xFB}, {0x8C, 0x10, 0x11}};
  BOOST_TEST((f.usage_of(0) == hid_usage{0x8C, 0xFB}));
  BOOST_TEST((f.usage_of(2) == hid_usage{0x8C, 0x11}));
  BOOST_TEST((f.usage_of(4) == hid_usage{0x8C, 0x11}));
}
