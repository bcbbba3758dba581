#include <boost/test/unit_test.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "drivers/usb/hid_keyboard.hpp"

using namespace ravao::usb;

namespace {

using report = std::array<std::uint8_t, 8>;
constexpr std::uint8_t shift = 0x02, right_shift = 0x20, left_alt = 0x04, ctrl = 0x01;

report keys(std::uint8_t modifiers, std::initializer_list<std::uint8_t> codes) {
  report r{};
  r[0] = modifiers;
  std::size_t i = 2;
  for (std::uint8_t c : codes) r[i++] = c;
  return r;
}

// Key code and shift for one character on a US layout, from hardware.md.
std::pair<std::uint8_t, bool> us_key(char c) {
  if (c >= 'a' && c <= 'z') return {static_cast<std::uint8_t>(0x04 + (c - 'a')), false};
  if (c >= 'A' && c <= 'Z') return {static_cast<std::uint8_t>(0x04 + (c - 'A')), true};
  if (c >= '1' && c <= '9') return {static_cast<std::uint8_t>(0x1E + (c - '1')), false};
  const std::string plain = "0\t -=[]\\;'`,./";
  const std::string shifted = ")\t _+{}|:\"~<>?";
  const std::vector<std::uint8_t> codes = {0x27, 0x2B, 0x2C, 0x2D, 0x2E, 0x2F, 0x30,
                                           0x31, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38};
  if (auto p = plain.find(c); p != std::string::npos) return {codes[p], false};
  if (auto p = shifted.find(c); p != std::string::npos) return {codes[p], true};
  const std::string digits_shifted = "!@#$%^&*(";
  if (auto p = digits_shifted.find(c); p != std::string::npos) return {static_cast<std::uint8_t>(0x1E + p), true};
  BOOST_FAIL("no US key for character " << int(c));
  return {0, false};
}

struct recorder {
  std::vector<keyboard_scan> scans;
  std::vector<std::pair<std::size_t, std::string>> overflows;
  keyboard_sink sink() {
    return {[this](const keyboard_scan& s) { scans.push_back(s); },
            [this](std::size_t n, std::string_view head) { overflows.emplace_back(n, std::string(head)); }};
  }
};

// Types `text` the way a wedge scanner does: press (with shift when needed), release; then Enter.
void type(hid_keyboard_decoder& d, const keyboard_sink& sink, const std::string& text, bool enter = true) {
  for (char c : text) {
    const auto [code, shifted] = us_key(c);
    BOOST_REQUIRE((d.feed(keys(shifted ? shift : 0, {code}), sink) == keyboard_report_status::accepted));
    BOOST_REQUIRE((d.feed(keys(0, {}), sink) == keyboard_report_status::accepted));
  }
  if (enter) {
    d.feed(keys(0, {0x28}), sink);
    d.feed(keys(0, {}), sink);
  }
}

// A CCCD QR as a wedge scanner in keyboard mode types it: every Vietnamese
// letter (ễ, ă, ô, ã, ê, à, ố) dropped.
const std::string cccd_dropped =
    "001090012345||Nguyn Vn An|01011990|Nam|Thn 3, X Ia Knh, Thnh ph Pleiku, Gia Lai|15082021";

}  // namespace

BOOST_AUTO_TEST_CASE(letters_digits_and_shift) {
  hid_keyboard_decoder d(256);
  recorder r;
  type(d, r.sink(), "Hello World 0123456789");
  BOOST_REQUIRE_EQUAL(r.scans.size(), 1u);
  BOOST_TEST(r.scans[0].bytes == "Hello World 0123456789");
  BOOST_TEST(r.scans[0].unknown_keys == 0u);
  BOOST_TEST(!r.scans[0].suspected_mangled_non_ascii);
  BOOST_TEST(r.scans[0].hint.empty());
  BOOST_TEST(d.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(punctuation_tab_and_shifted_forms) {
  hid_keyboard_decoder d(256);
  recorder r;
  const std::string all = "-=[]\\;'`,./\t _+{}|:\"~<>?!@#$%^&*()";
  type(d, r.sink(), all);
  BOOST_REQUIRE_EQUAL(r.scans.size(), 1u);
  BOOST_TEST(r.scans[0].bytes == all);
}

BOOST_AUTO_TEST_CASE(right_shift_and_keypad_enter) {
  hid_keyboard_decoder d(256);
  recorder r;
  d.feed(keys(right_shift, {0x04}), r.sink());        // A
  d.feed(keys(right_shift | shift, {0x05}), r.sink()); // B (both shifts)
  d.feed(keys(0, {0x06}), r.sink());                   // c
  d.feed(keys(0, {0x59, 0x62}), r.sink());             // keypad 1, keypad 0
  d.feed(keys(0, {0x58}), r.sink());                   // keypad Enter
  BOOST_REQUIRE_EQUAL(r.scans.size(), 1u);
  BOOST_TEST(r.scans[0].bytes == "ABc10");
}

BOOST_AUTO_TEST_CASE(only_newly_pressed_keys_count) {
  hid_keyboard_decoder d(256);
  recorder r;
  const keyboard_sink s = r.sink();
  d.feed(keys(0, {0x04}), s);        // a down
  d.feed(keys(0, {0x04}), s);        // a held: no repeat
  d.feed(keys(0, {0x04, 0x05}), s);  // rollover: b down while a held
  d.feed(keys(0, {0x05}), s);        // a up
  d.feed(keys(0, {0x05, 0x04}), s);  // a down again (was released): counts
  d.feed(keys(0, {}), s);
  d.feed(keys(0, {0x06, 0x06}), s);  // the same code twice in one report counts once
  d.feed(keys(0, {0x28}), s);
  BOOST_REQUIRE_EQUAL(r.scans.size(), 1u);
  BOOST_TEST(r.scans[0].bytes == "abac");
}

BOOST_AUTO_TEST_CASE(same_letter_twice_needs_a_release) {
  hid_keyboard_decoder d(256);
  recorder r;
  const keyboard_sink s = r.sink();
  d.feed(keys(0, {0x0F}), s);         // l
  d.feed(keys(shift, {0x0F}), s);     // shift pressed while l held: still no new key
  d.feed(keys(0, {}), s);
  d.feed(keys(0, {0x0F}), s);         // l again after a release
  d.feed(keys(0, {0x28}), s);
  BOOST_REQUIRE_EQUAL(r.scans.size(), 1u);
  BOOST_TEST(r.scans[0].bytes == "ll");
}

BOOST_AUTO_TEST_CASE(rollover_error_and_wrong_size_leave_state_alone) {
  hid_keyboard_decoder d(256);
  recorder r;
  const keyboard_sink s = r.sink();
  d.feed(keys(0, {0x04}), s);
  BOOST_TEST((d.feed(keys(0, {0x01, 0x01, 0x01, 0x01, 0x01, 0x01}), s) == keyboard_report_status::rollover_error));
  d.feed(keys(0, {0x04}), s);  // still held from before the phantom report: no repeat
  const std::array<std::uint8_t, 3> short_report{0, 0, 0x05};
  BOOST_TEST((d.feed(short_report, s) == keyboard_report_status::wrong_size));
  const std::array<std::uint8_t, 9> long_report{0, 0, 0x05, 0, 0, 0, 0, 0, 0};
  BOOST_TEST((d.feed(long_report, s) == keyboard_report_status::wrong_size));
  d.feed(keys(0, {0x28}), s);
  BOOST_REQUIRE_EQUAL(r.scans.size(), 1u);
  BOOST_TEST(r.scans[0].bytes == "a");
}

BOOST_AUTO_TEST_CASE(unknown_keys_are_counted_not_guessed) {
  hid_keyboard_decoder d(256);
  recorder r;
  const keyboard_sink s = r.sink();
  d.feed(keys(0, {0x3A}), s);          // F1
  d.feed(keys(0, {0x04}), s);          // a
  d.feed(keys(0, {0x4F}), s);          // Right Arrow
  d.feed(keys(0, {0xE1}), s);          // Left Shift reported as a key: a modifier, not unknown
  d.feed(keys(0, {0x28}), s);
  BOOST_REQUIRE_EQUAL(r.scans.size(), 1u);
  BOOST_TEST(r.scans[0].bytes == "a");
  BOOST_TEST(r.scans[0].unknown_keys == 2u);
}

BOOST_AUTO_TEST_CASE(ctrl_combinations_give_gs1_separators) {
  hid_keyboard_decoder d(256);
  recorder r;
  const keyboard_sink s = r.sink();
  d.feed(keys(0, {0x1E}), s);               // 1
  d.feed(keys(ctrl, {0x30}), s);            // Ctrl+] = GS
  d.feed(keys(0, {0x1F}), s);               // 2
  d.feed(keys(ctrl | shift, {0x23}), s);    // Ctrl+^ = RS
  d.feed(keys(ctrl, {0x07}), s);            // Ctrl+D = EOT
  d.feed(keys(0, {0x28}), s);
  BOOST_REQUIRE_EQUAL(r.scans.size(), 1u);
  BOOST_TEST(r.scans[0].bytes == "1\x1D" "2\x1E\x04");
}

BOOST_AUTO_TEST_CASE(empty_enter_is_no_scan) {
  hid_keyboard_decoder d(256);
  recorder r;
  d.feed(keys(0, {0x28}), r.sink());
  d.feed(keys(0, {}), r.sink());
  d.feed(keys(0, {0x28}), r.sink());
  BOOST_TEST(r.scans.empty());
}

BOOST_AUTO_TEST_CASE(overlong_scan_is_reported_once_and_memory_stays_bounded) {
  hid_keyboard_decoder d(8);
  recorder r;
  type(d, r.sink(), "abcdefghijklmnopqrst", false);
  BOOST_TEST(d.buffered() <= 8u);
  type(d, r.sink(), "", true);
  BOOST_TEST(r.scans.empty());
  BOOST_REQUIRE_EQUAL(r.overflows.size(), 1u);
  BOOST_TEST(r.overflows[0].first == 20u);
  BOOST_TEST(r.overflows[0].second == "abcdefgh");
  type(d, r.sink(), "ok");
  BOOST_REQUIRE_EQUAL(r.scans.size(), 1u);
  BOOST_TEST(r.scans[0].bytes == "ok");
  type(d, r.sink(), "12345678");  // exactly the limit is fine
  BOOST_TEST(r.scans.back().bytes == "12345678");
}

BOOST_AUTO_TEST_CASE(cccd_with_dropped_vietnamese_letters_is_flagged) {
  hid_keyboard_decoder d(4096);
  recorder r;
  type(d, r.sink(), cccd_dropped);
  BOOST_REQUIRE_EQUAL(r.scans.size(), 1u);
  BOOST_TEST(r.scans[0].bytes == cccd_dropped);
  BOOST_TEST(r.scans[0].suspected_mangled_non_ascii);
  BOOST_TEST(r.scans[0].hint == mangled_non_ascii_hint);
  BOOST_TEST(r.scans[0].hint.find("HID POS or serial") != std::string_view::npos);
}

BOOST_AUTO_TEST_CASE(cccd_with_question_marks_is_flagged) {
  hid_keyboard_decoder d(4096);
  recorder r;
  type(d, r.sink(), "001090012345|Nguy?n V?n An|01011990|Nam|Th?n 3, Gia Lai|15082021");
  BOOST_REQUIRE_EQUAL(r.scans.size(), 1u);
  BOOST_TEST(r.scans[0].suspected_mangled_non_ascii);
}

BOOST_AUTO_TEST_CASE(alt_numpad_entry_is_flagged_and_skipped) {
  hid_keyboard_decoder d(4096);
  recorder r;
  const keyboard_sink s = r.sink();
  type(d, s, "Nguy", false);
  // Alt held, keypad 0 2 3 4, Alt released: how some wedges type a character.
  for (std::uint8_t kp : std::array<std::uint8_t, 4>{0x62, 0x5A, 0x5B, 0x5C}) {
    d.feed(keys(left_alt, {kp}), s);
    d.feed(keys(left_alt, {}), s);
  }
  d.feed(keys(0, {}), s);
  type(d, s, "n");
  BOOST_REQUIRE_EQUAL(r.scans.size(), 1u);
  BOOST_TEST(r.scans[0].bytes == "Nguyn");
  BOOST_TEST(r.scans[0].alt_numpad_keys == 4u);
  BOOST_TEST(r.scans[0].suspected_mangled_non_ascii);

  // A scan made only of Alt codes (right Alt) is still reported, flagged.
  d.feed(keys(0x40, {0x61}), s);
  d.feed(keys(0, {0x28}), s);
  BOOST_REQUIRE_EQUAL(r.scans.size(), 2u);
  BOOST_TEST(r.scans[1].bytes.empty());
  BOOST_TEST(r.scans[1].suspected_mangled_non_ascii);
}

BOOST_AUTO_TEST_CASE(ascii_payloads_are_not_flagged) {
  hid_keyboard_decoder d(4096);
  recorder r;
  // A CCCD whose name and address are plain ASCII, "TP" being a real abbreviation.
  type(d, r.sink(), "001090012345||Nguyen Van An|01011990|Nam|Thon 3, Xa Ia Kenh, TP Pleiku, Gia Lai|15082021");
  type(d, r.sink(), "https://example.vn/?q=1|2|3|4|5");  // a '?' outside a CCCD shape
  type(d, r.sink(), "8934567890123");
  BOOST_REQUIRE_EQUAL(r.scans.size(), 3u);
  for (const auto& scan : r.scans) BOOST_TEST(!scan.suspected_mangled_non_ascii, scan.bytes);
}

BOOST_AUTO_TEST_CASE(mangled_cccd_heuristic_cases) {
  BOOST_TEST(looks_like_mangled_cccd("001090012345|Le Thi B|01011990|N|Ha Noi|15082021"));  // "Nữ" -> "N"
  BOOST_TEST(looks_like_mangled_cccd("001090012345|Trn Th B|01011990|Nam|Ha Noi|15082021"));
  BOOST_TEST(!looks_like_mangled_cccd("001090012345|Le Thi B|01011990|Nu|Ha Noi|15082021"));
  BOOST_TEST(!looks_like_mangled_cccd("00109001234|Trn|01011990|Nam|Ha Noi|15082021"));   // 11 digits
  BOOST_TEST(!looks_like_mangled_cccd("001090012345|Trn|01011990|Nam|Ha Noi"));            // 5 fields
  BOOST_TEST(!looks_like_mangled_cccd("001090012345|Trn|1|2|3|4|5|6"));                   // 8 fields
  BOOST_TEST(!looks_like_mangled_cccd(""));
}
