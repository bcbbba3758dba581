#pragma once
// A health declaration made at the counter on a visitor's behalf ("khai báo
// hộ"): NAME=VALUE pairs typed by staff (ravaoctl, the web page), checked
// against the form definition (slip/form_definition.hpp) and turned into the
// JSON stored with the record. Everything here is untrusted input.
// docs/declarations.md describes the fields and the rules.

#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "slip/form_definition.hpp"

namespace ravao::slip {

// The checked values, one per field of the definition, in its order; a field
// not given holds its default ("" for text, "unknown" for yes_no, today for
// a date defaulting to today).
struct declaration {
  std::vector<std::pair<std::string, std::string>> values;  // {field name, normalised value}
  std::string person_name;  // the "name" field
  std::string person_id;    // the first id_number field's value, or ""

  // The value of field `name`, or "" when the definition has no such field.
  std::string_view value(std::string_view name) const;
};

// One problem with one field, in words for staff.
struct field_error {
  std::string field;       // "phone", "birth", ...; "form" for the form as a whole
  std::string message;     // English, for the log and ravaoctl ("must be ...")
  std::string message_vi;  // Vietnamese, a whole sentence naming the field by its label
};

// Builds a declaration from NAME=VALUE pairs as given to `ravaoctl declare`,
// checked against `form`. `today` ("YYYY-MM-DD", local) bounds dates. Every
// problem is reported, not just the first; unknown names are errors.
std::expected<declaration, std::vector<field_error>> parse_declaration(
    const form_definition& form, const std::vector<std::pair<std::string, std::string>>& fields,
    std::string_view today);

// The same with default_form().
std::expected<declaration, std::vector<field_error>> parse_declaration(
    const std::vector<std::pair<std::string, std::string>>& fields, std::string_view today);

// The stored form: {"name":..., "birth":..., ...}, every field of the
// definition by name, in its order (docs/declarations.md, "What is stored").
boost::json::object to_json(const declaration& d);

}  // namespace ravao::slip
