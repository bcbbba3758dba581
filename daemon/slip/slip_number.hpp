#pragma once
// Slip numbers: short, typable, checked. A slip number is the slip's
// sequence number (1, 2, ... per gateway, never reused: the store allocates
// them) written in decimal with at least 5 digits, followed by one Damm check
// digit. The Damm check catches every single wrong digit and every swap of
// two neighbouring digits, the two mistakes people make typing numbers.
//
//   sequence 17  ->  "000174"   (printed "00017-4", QR "RAVAO:SLIP:000174")
//
// docs/slips.md ("Slip numbers") is the reference.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ravao::slip {

inline constexpr int slip_number_min_digits = 5;  // before the check digit
inline constexpr std::int64_t max_slip_sequence = 999'999'999'999'999;  // 15 digits + check = 16

// The Damm check digit of a string of ASCII digits (0 for ""; -1 when a
// character is not a digit). A number with its check digit appended has
// check digit 0.
int damm_check_digit(std::string_view digits);

// The slip number for a sequence number (1..max_slip_sequence); "" outside
// that range.
std::string format_slip_number(std::int64_t sequence);

// "00017-4" for "000174": the form printed for people to read and type.
std::string display_slip_number(std::string_view number);

// Parses what someone typed or scanned: digits with optional '-' or ' '
// separators. The sequence number when the check digit holds and the number
// is in range; nullopt otherwise (any other character, more than 16 digits).
// Leading zeros may be left out or added: they do not change the check.
std::optional<std::int64_t> parse_slip_number(std::string_view text);

// The QR text on a slip: "RAVAO:SLIP:" + number.
std::string slip_qr_text(std::string_view number);

}  // namespace ravao::slip
