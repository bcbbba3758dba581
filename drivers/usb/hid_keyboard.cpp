#include "drivers/usb/hid_keyboard.hpp"

#include <algorithm>
#include <vector>

namespace ravao::usb {

namespace {

using namespace std::string_view_literals;  // the tables hold NULs

constexpr std::uint8_t left_ctrl = 0x01, left_shift = 0x02, left_alt = 0x04;
constexpr std::uint8_t right_ctrl = 0x10, right_shift = 0x20, right_alt = 0x40;

constexpr std::uint8_t key_enter = 0x28;
constexpr std::uint8_t key_keypad_enter = 0x58;
constexpr std::uint8_t key_keypad_1 = 0x59;
constexpr std::uint8_t key_keypad_0 = 0x62;

// US layout, usages 0x1E..0x38 of the Keyboard page: unshifted, shifted.
// 0x28..0x2A (Enter, Escape, Backspace) are handled elsewhere or unknown.
// 0x32 (Non-US # ~) types '\' '|' on a US layout, like 0x31.
constexpr std::string_view row_plain = "1234567890\0\0\0\t -=[]\\\\;'`,./"sv;
constexpr std::string_view row_shift = "!@#$%^&*()\0\0\0\t _+{}||:\"~<>?"sv;
static_assert(row_plain.size() == 0x38 - 0x1E + 1 && row_shift.size() == row_plain.size());

// Keypad, usages 0x54..0x63, read as with Num Lock on (scanners that use the
// keypad send digits).
constexpr std::string_view keypad = "/*-+\0" "1234567890."sv;
static_assert(keypad.size() == 0x63 - 0x54 + 1);

// The character typed by `key` with `modifiers`, or '\0' when the table has
// none (Escape, arrows, F-keys, AltGr combinations, ...).
char to_char(std::uint8_t modifiers, std::uint8_t key) {
  const bool shift = (modifiers & (left_shift | right_shift)) != 0;
  const bool ctrl = (modifiers & (left_ctrl | right_ctrl)) != 0;
  const bool alt = (modifiers & (left_alt | right_alt)) != 0;
  if (alt) return '\0';
  if (ctrl) {
    // Scanners send GS1/ISO 15434 separators as Ctrl combinations:
    // Ctrl+letter = 0x01..0x1A, Ctrl+[ \ ] = ESC FS GS, Ctrl+^ = RS, Ctrl+_ = US.
    if (key >= 0x04 && key <= 0x1D) return static_cast<char>(key - 0x04 + 1);
    if (key == 0x2F) return '\x1B';
    if (key == 0x31) return '\x1C';
    if (key == 0x30) return '\x1D';
    if (shift && key == 0x23) return '\x1E';
    if (shift && key == 0x2D) return '\x1F';
    return '\0';
  }
  if (key >= 0x04 && key <= 0x1D) return static_cast<char>((shift ? 'A' : 'a') + (key - 0x04));
  if (key >= 0x1E && key <= 0x38) return (shift ? row_shift : row_plain)[key - 0x1E];
  if (key >= 0x54 && key <= 0x63) return keypad[key - 0x54];
  return '\0';
}

bool is_vowel(char c) {
  switch (c | 0x20) {
    case 'a': case 'e': case 'i': case 'o': case 'u': case 'y': return true;
    default: return false;
  }
}

bool is_ascii_letter(char c) {
  const char l = static_cast<char>(c | 0x20);
  return l >= 'a' && l <= 'z';
}

// A run of two or more ASCII letters with no vowel. Every Vietnamese syllable
// has a vowel, so in a name such a run means letters were dropped ("Vn").
bool has_vowelless_word(std::string_view s) {
  std::size_t letters = 0;
  bool vowel = false;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i < s.size() && is_ascii_letter(s[i])) {
      ++letters;
      vowel = vowel || is_vowel(s[i]);
      continue;
    }
    if (letters >= 2 && !vowel) return true;
    letters = 0;
    vowel = false;
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool looks_like_mangled_cccd(std::string_view scan) {
  std::vector<std::string_view> fields;
  for (std::size_t start = 0;;) {
    const std::size_t bar = scan.find('|', start);
    fields.push_back(scan.substr(start, bar == std::string_view::npos ? bar : bar - start));
    if (bar == std::string_view::npos || fields.size() > 7) break;
    start = bar + 1;
  }
  if (fields.size() != 6 && fields.size() != 7) return false;
  const std::string_view id = trim(fields[0]);
  if (id.size() != 12 || !std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  const std::size_t o = fields.size() == 7 ? 1 : 0;  // the 7-field form has the old CMND number first
  const std::string_view name = fields[1 + o];
  const std::string_view sex = trim(fields[3 + o]);
  const std::string_view address = fields[4 + o];
  const auto has_question = [](std::string_view f) { return f.find('?') != std::string_view::npos; };
  // Addresses are not checked for vowelless words: "TP", "KP" are real abbreviations there.
  return has_question(name) || has_question(sex) || has_question(address) || has_vowelless_word(name) ||
         sex == "N" || sex == "n";
}

hid_keyboard_decoder::hid_keyboard_decoder(std::size_t max_scan_bytes) : max_scan_bytes_(max_scan_bytes) {}

void hid_keyboard_decoder::reset() {
  current_ = {};
  discarding_ = 0;
  head_.clear();
  pressed_ = {};
}

keyboard_report_status hid_keyboard_decoder::feed(std::span<const std::uint8_t> report, const keyboard_sink& sink) {
  if (report.size() != boot_report_bytes) return keyboard_report_status::wrong_size;
  const std::span<const std::uint8_t, 6> keys = report.subspan<2, 6>();
  // ErrorRollOver (too many keys), POSTFail, ErrorUndefined: the report says
  // nothing about which keys are down (HID Usage Tables, Keyboard page 0x01..0x03).
  if (std::any_of(keys.begin(), keys.end(), [](std::uint8_t k) { return k >= 0x01 && k <= 0x03; })) {
    return keyboard_report_status::rollover_error;
  }
  const std::uint8_t modifiers = report[0];
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::uint8_t k = keys[i];
    const bool held = std::find(pressed_.begin(), pressed_.end(), k) != pressed_.end();
    const bool repeated_in_report = std::find(keys.begin(), keys.begin() + i, k) != keys.begin() + i;
    if (k != 0 && !held && !repeated_in_report) on_key(modifiers, k, sink);
  }
  std::copy(keys.begin(), keys.end(), pressed_.begin());
  return keyboard_report_status::accepted;
}

void hid_keyboard_decoder::on_key(std::uint8_t modifiers, std::uint8_t key, const keyboard_sink& sink) {
  if (key == key_enter || key == key_keypad_enter) {
    finish_scan(sink);
    return;
  }
  if (key >= 0xE0 && key <= 0xE7) return;  // a modifier reported as a key: already in byte 0
  const bool alt = (modifiers & (left_alt | right_alt)) != 0;
  if (alt && key >= key_keypad_1 && key <= key_keypad_0) {
    ++current_.alt_numpad_keys;  // Alt+numpad entry of a character the layout cannot type
    return;
  }
  const char c = to_char(modifiers, key);
  if (c == '\0') {
    ++current_.unknown_keys;
    return;
  }
  append(c);
}

void hid_keyboard_decoder::append(char c) {
  if (discarding_ == 0 && current_.bytes.size() < max_scan_bytes_) {
    current_.bytes.push_back(c);
    return;
  }
  if (discarding_ == 0) {
    head_ = current_.bytes.substr(0, 32);
    discarding_ = current_.bytes.size();
    current_.bytes.clear();
    current_.bytes.shrink_to_fit();
  }
  ++discarding_;
}

void hid_keyboard_decoder::finish_scan(const keyboard_sink& sink) {
  if (discarding_ > 0) {
    if (sink.on_overflow) sink.on_overflow(discarding_, head_);
  } else if (!current_.bytes.empty() || current_.unknown_keys > 0 || current_.alt_numpad_keys > 0) {
    const bool mangled = current_.alt_numpad_keys > 0 || looks_like_mangled_cccd(current_.bytes);
    current_.suspected_mangled_non_ascii = mangled;
    if (mangled) current_.hint = mangled_non_ascii_hint;
    if (sink.on_scan) sink.on_scan(current_);
  }
  current_ = {};
  discarding_ = 0;
  head_.clear();
}

}  // namespace ravao::usb
