#include "slip/slip_number.hpp"

#include <array>
#include <cstddef>

namespace ravao::slip {

namespace {

// The Damm quasigroup of order 10 (weakly totally anti-symmetric, zero
// diagonal), as published by H. Michael Damm (2004) and used everywhere the
// algorithm is: the check digit c of d1..dn makes the interim digit of
// d1..dn c zero, and the zero diagonal makes c the interim digit of d1..dn.
constexpr std::array<std::array<std::uint8_t, 10>, 10> damm_table = {{
    {0, 3, 1, 7, 5, 9, 8, 6, 4, 2},
    {7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
    {4, 2, 0, 6, 8, 7, 1, 3, 5, 9},
    {1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
    {6, 1, 2, 3, 0, 4, 5, 9, 7, 8},
    {3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
    {5, 8, 6, 9, 7, 2, 0, 1, 3, 4},
    {8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
    {9, 4, 3, 8, 6, 1, 7, 2, 0, 5},
    {2, 5, 8, 1, 4, 3, 6, 7, 9, 0},
}};

// The longest number: 15 sequence digits and the check digit, which is also
// the longest the classifier takes after "RAVAO:SLIP:".
constexpr std::size_t max_number_digits = 16;

}  // namespace

int damm_check_digit(std::string_view digits) {
  int interim = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return -1;
    interim = damm_table[static_cast<std::size_t>(interim)][static_cast<std::size_t>(c - '0')];
  }
  return interim;
}

std::string format_slip_number(std::int64_t sequence) {
  if (sequence < 1 || sequence > max_slip_sequence) return {};
  std::string digits = std::to_string(sequence);
  if (digits.size() < static_cast<std::size_t>(slip_number_min_digits)) {
    digits.insert(0, static_cast<std::size_t>(slip_number_min_digits) - digits.size(), '0');
  }
  digits.push_back(static_cast<char>('0' + damm_check_digit(digits)));
  return digits;
}

std::string display_slip_number(std::string_view number) {
  if (number.size() < 2) return std::string(number);
  std::string out(number.substr(0, number.size() - 1));
  out.push_back('-');
  out.push_back(number.back());
  return out;
}

std::optional<std::int64_t> parse_slip_number(std::string_view text) {
  std::string digits;
  for (const char c : text) {
    if (c == '-' || c == ' ') continue;
    if (c < '0' || c > '9') return std::nullopt;
    // Leading zeros carry nothing (the Damm check of "0d" is that of "d"),
    // so someone who leaves them out still types a valid number.
    if (c == '0' && digits.empty()) continue;
    if (digits.size() == max_number_digits) return std::nullopt;
    digits.push_back(c);
  }
  if (digits.size() < 2 || damm_check_digit(digits) != 0) return std::nullopt;
  std::int64_t sequence = 0;
  for (std::size_t i = 0; i + 1 < digits.size(); ++i) sequence = sequence * 10 + (digits[i] - '0');
  if (sequence < 1 || sequence > max_slip_sequence) return std::nullopt;
  return sequence;
}

std::string slip_qr_text(std::string_view number) {
  std::string out = "RAVAO:SLIP:";
  out.append(number);
  return out;
}

}  // namespace ravao::slip
