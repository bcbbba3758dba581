#pragma once
// Understanding what was scanned. Every payload is classified into exactly one
// kind; personal-identity kinds yield a person identified by their ID number
// (never by name). Formats: docs/payload-formats.md and
// ../shared/reference/code-formats.md.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ravao {

enum class payload_kind {
  cccd,           // chip-based citizen ID card QR (6- or 7-field form)
  personal_qr,    // unified personal QR, Decision 1405/QD-BTTTT
  bhyt,           // health-insurance card QR: recognised, stored raw
  ravao_command,  // RAVAO:CMD:<VERB>[:<COUNTER>] staff command barcode
  ravao_slip,     // RAVAO:SLIP:<NUMBER> paper declaration slip
  opaque,         // anything else: stored as is, flagged
};

// Stable lower-case names: "cccd", "personal_qr", "bhyt", "ravao_command",
// "ravao_slip", "opaque".
std::string_view to_string(payload_kind k);

enum class sex { unknown, male, female };
std::string_view to_string(sex s);  // "unknown", "male", "female"

struct civil_date {
  int year = 0;
  int month = 0;  // 1..12
  int day = 0;    // 1..31, valid for the month
  friend bool operator==(const civil_date&, const civil_date&) = default;
};

struct person {
  std::string id_number;      // the identity key: CCCD/CMND/passport number, upper case
  std::string old_id_number;  // CCCD 7-field form only; may be empty
  std::string full_name;      // NFC
  std::optional<civil_date> birth_date;
  sex sex_ = sex::unknown;
  std::string address;        // NFC
  std::optional<civil_date> issue_date;
};

struct classified_payload {
  payload_kind kind = payload_kind::opaque;
  std::string text;  // the payload, NFC-normalised, BOM and trailing CR/LF removed
  std::optional<person> who;  // set for cccd and personal_qr
  // Stable flag names, e.g. "id_sex_mismatch", "id_century_mismatch",
  // "id_birth_year_mismatch", "nfd_input", "bom", "date_slashes",
  // "proxy_declared", "unknown_ravao_code"; see docs/payload-formats.md.
  std::vector<std::string> flags;
  std::string command;      // ravao_command: verb, e.g. "PRINT_SLIP"
  std::string command_arg;  // ravao_command: optional counter id
  std::string slip_number;  // ravao_slip

  bool has_flag(std::string_view f) const;
};

// Classifies arbitrary bytes. Total: never throws, never fails; bytes that are
// not valid UTF-8 are an opaque payload flagged "invalid_utf8".
classified_payload classify(std::string_view payload);

}  // namespace ravao
