#pragma once
// A health declaration made at the counter on a visitor's behalf ("khai báo
// hộ"): the fields of the paper form (mission-context.md, "Health declaration
// form"), parsed from what staff typed, validated, and turned into the JSON
// stored with the record. Everything here is untrusted input.
// docs/declarations.md describes the fields and the rules.

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "common/error.hpp"

namespace ravao::slip {

enum class yes_no_unknown { unknown, yes, no };

struct declaration {
  std::string full_name;             // NFC, 1..100 characters
  std::string birth;                 // "YYYY" or "YYYY-MM-DD" (normalised), validated, not in the future
  std::string sex;                   // "male" | "female" | "" (unknown)
  std::string nationality;           // free text, default "Việt Nam"
  std::string id_number;             // CCCD (12 digits) / CMND (9 digits) / passport ([A-Z][0-9]{7,8}), upper case; may be empty
  std::string phone;                 // normalised to "0" + 9 digits (Vietnamese mobile), "02" + 9 digits (landline) or "+<country><digits>"
  std::string address;               // free text (province, district, commune, street), up to 300 characters
  // Last 14 days.
  yes_no_unknown fever{}, cough{}, short_breath{}, sore_throat{}, lost_taste_smell{};
  std::string other_symptoms;        // free text, may be empty
  yes_no_unknown contact{};          // contact with a confirmed or suspected case
  yes_no_unknown travel{};           // came from / passed through an area with cases
  std::string declared_on;           // "YYYY-MM-DD": the date written on the form; default today, at most 14 days back
};

// One problem with one field, in words for staff.
struct field_error {
  std::string field;    // "phone", "birth", ...
  std::string message;  // English, for the log and ravaoctl
};

// Builds a declaration from NAME=VALUE pairs as given to `ravaoctl declare`
// (names in docs/declarations.md: name, birth, sex, nationality, id, phone,
// address, fever, cough, breath, throat, taste, other, contact, travel, date).
// `today` ("YYYY-MM-DD", local) bounds dates. Every problem is reported, not
// just the first; unknown names are errors.
std::expected<declaration, std::vector<field_error>> parse_declaration(
    const std::vector<std::pair<std::string, std::string>>& fields, std::string_view today);

// The stored form: {"name":..., "birth":..., ..., "symptoms":{"fever":"yes",...}}.
boost::json::object to_json(const declaration& d);

}  // namespace ravao::slip
