#pragma once
// `mode = "keyboard"`: a barcode scanner acting as a USB HID boot keyboard
// (a "keyboard wedge"). Boot reports are decoded with a fixed US table (the
// scanner sends key codes for its own configured layout, not the host's) and
// Enter ends a scan. docs/usb-scanners.md describes what is accepted.
//
// A wedge cannot carry non-ASCII text: Vietnamese letters in a CCCD QR get
// dropped, turned into '?', or typed as Alt+numpad codes. The decoder flags
// such scans (suspected_mangled_non_ascii) so the daemon can tell the
// operator to switch the scanner to HID POS or serial mode.
//
// Pure and single-threaded: no I/O, no clock. Sinks are called synchronously
// from feed().

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace ravao::usb {

// Logged with every scan flagged suspected_mangled_non_ascii.
inline constexpr std::string_view mangled_non_ascii_hint =
    "scanner is in keyboard mode and cannot send Vietnamese letters; switch it to HID POS or serial "
    "(USB COM) mode with the setup code from its manual";

struct keyboard_scan {
  std::string bytes;              // ASCII (and the control bytes Ctrl+letter gives), without the Enter
  std::size_t unknown_keys = 0;   // newly pressed keys outside the table: skipped, not guessed
  std::size_t alt_numpad_keys = 0;  // keypad digits typed with Alt held: skipped
  bool suspected_mangled_non_ascii = false;
  std::string_view hint;          // mangled_non_ascii_hint when flagged, else empty
};

struct keyboard_sink {
  // A completed scan: Enter arrived and the scan has bytes, unknown keys or
  // Alt+numpad keys (a scan made only of Alt codes is still reported, flagged).
  std::function<void(const keyboard_scan&)> on_scan;
  // A scan longer than max_scan_bytes, reported once when its Enter arrives;
  // head is at most its first 32 bytes.
  std::function<void(std::size_t discarded_bytes, std::string_view head)> on_overflow;
};

enum class keyboard_report_status {
  accepted,
  wrong_size,     // not an 8-byte boot report: ignored, state unchanged
  rollover_error  // key slots carry ErrorRollOver/POSTFail/ErrorUndefined: ignored, state unchanged
};

class hid_keyboard_decoder {
 public:
  static constexpr std::size_t boot_report_bytes = 8;

  // Holds at most max_scan_bytes of an unfinished scan.
  explicit hid_keyboard_decoder(std::size_t max_scan_bytes);

  // One boot report: modifiers, reserved byte, six key codes. A key counts
  // only when it is absent from the previous accepted report, so a held key,
  // a key-up report or rollover never repeat a character.
  keyboard_report_status feed(std::span<const std::uint8_t> report, const keyboard_sink& sink);

  // Forgets the unfinished scan and the pressed keys (device reopened).
  void reset();

  std::size_t buffered() const { return current_.bytes.size(); }

 private:
  void on_key(std::uint8_t modifiers, std::uint8_t key, const keyboard_sink& sink);
  void append(char c);
  void finish_scan(const keyboard_sink& sink);

  std::size_t max_scan_bytes_;
  keyboard_scan current_;
  std::size_t discarding_ = 0;  // > 0 while skipping the rest of an overlong scan
  std::string head_;            // first bytes of an overlong scan, for the log
  std::array<std::uint8_t, 6> pressed_{};  // key slots of the previous accepted report
};

// The mangling heuristic applied to every completed scan, exposed for the
// daemon and tests: `scan` has the shape of a CCCD QR (6 or 7 '|' fields, the
// first 12 digits) whose text shows lost Vietnamese letters: a '?', a name
// word without any vowel ("Vn" for "Văn"), or a sex field that is "N".
bool looks_like_mangled_cccd(std::string_view scan);

}  // namespace ravao::usb
