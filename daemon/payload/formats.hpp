#pragma once
// Private to daemon/payload: the per-format recognisers classify() dispatches
// to, and the small field helpers they share. Each recogniser receives the
// payload already BOM-stripped, CR/LF-trimmed, valid UTF-8 and in NFC, and
// either fills `out` (kind, who, command fields, flags) and returns true, or
// leaves `out` untouched and returns false so the next format is tried.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "payload/classify.hpp"

namespace ravao::payload {

// ASCII spaces and tabs removed at both ends.
std::string_view trim(std::string_view s);

// Fields separated by '|', untrimmed; "" gives one empty field.
std::vector<std::string_view> split_fields(std::string_view s);

bool is_digits(std::string_view s);

// Value of a short run of ASCII digits (callers check is_digits first).
int decimal_value(std::string_view digits);

// Adds a flag unless it is already present.
void add_flag(classified_payload& out, std::string_view flag);

// Whether a counter id can be named in a RAVAO:CMD:<VERB>:<COUNTER-ID> code
// (1..32 of A-Z a-z 0-9 _ -); the configuration allows longer ids and '.'.
bool is_command_counter_id(std::string_view s);

// A date only when it exists in the proleptic Gregorian calendar and its year
// is 1900..2399, the range the CCCD century digit (0..9) can express.
std::optional<civil_date> make_date(int year, int month, int day);

// Cross-checks a 12-digit CCCD number against birth year and sex: the 4th
// digit d gives century 1900 + (d / 2) * 100 and female when d is odd, digits
// 5-6 the last two digits of the birth year. Only known values are compared.
// Flags "id_sex_mismatch", "id_century_mismatch", "id_birth_year_mismatch".
void cross_check_cccd_number(const person& who, classified_payload& out);

// CCCD chip-card QR, 7-field and 6-field forms (cccd.cpp).
bool parse_cccd(const std::vector<std::string_view>& fields, classified_payload& out);

// Unified personal QR, Decision 1405 (personal_qr.cpp).
bool parse_personal_qr(const std::vector<std::string_view>& fields, classified_payload& out);

// Health-insurance card QR, recognised only (classify.cpp).
bool parse_bhyt(const std::vector<std::string_view>& fields, classified_payload& out);

// ravao's own namespace; `text` starts with "RAVAO:". Always classifies:
// anything malformed is opaque with "unknown_ravao_code" (ravao_codes.cpp).
void parse_ravao_code(std::string_view text, classified_payload& out);

}  // namespace ravao::payload
