#pragma once
// The one form definition: the fields of the health declaration, their
// Vietnamese labels, types and rules, and the consent sentence. A province
// may replace it in ravao.toml ([form], [[form.field]]; docs/configuration.md);
// without one, default_form() is today's form (docs/declarations.md). The
// paper slip prints it, `declare` (ravaoctl and the web page) validates
// against it, and the `form` control command hands it to the web page.
// Pure data and JSON: no drawing, no TOML (daemon/config reads the TOML).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/error.hpp"

namespace ravao::slip {

enum class field_type { text, textarea, date, year_or_date, choice, yes_no, phone, id_number };

// Spellings of field_type, indexed by its value: "text", "textarea", ...
inline constexpr std::string_view field_type_names[] = {"text",   "textarea", "date",  "year_or_date",
                                                        "choice", "yes_no",   "phone", "id_number"};
std::string_view name_of(field_type t);
std::optional<field_type> field_type_named(std::string_view name);

// One answer of a `choice` field: stored as `value`, shown as `label`;
// `aliases` are further spellings staff may type (compared case-blind).
struct form_option {
  std::string value;                 // [a-z0-9_-]{1,32}
  std::string label;                 // 1..40 characters
  std::vector<std::string> aliases;  // each 1..40 characters
  friend bool operator==(const form_option&, const form_option&) = default;
};

struct form_field {
  std::string name = {};  // [a-z][a-z0-9_]{0,31}: the NAME of `declare NAME=VALUE` and the stored key
  std::string label = {};  // Vietnamese, as printed and shown, 1..100 characters
  field_type type = field_type::text;
  bool required = false;
  std::size_t max = 0;   // text, textarea: most characters (1..1000); 0: the type's default
  std::vector<form_option> options = {};  // choice only: 2..20 of them
  std::string default_value = {};    // text: the value when not given; date: "today" or empty
  int within_days = 0;               // date: at most this many days before today; 0: from 1900
  std::string heading = {};          // printed (and shown) before this field, starting a section
  bool printed = true;               // false: not on the paper slip (the signature date stands for it)
  friend bool operator==(const form_field&, const form_field&) = default;
};

struct form_definition {
  std::vector<form_field> fields;
  // The consent sentence printed above the signature; "{retention_days}"
  // stands for [store] retention_days.
  std::string consent;
  friend bool operator==(const form_definition&, const form_definition&) = default;
};

// Limits of a definition (docs/configuration.md, [form]).
inline constexpr std::size_t max_form_fields = 40;
inline constexpr std::size_t max_label_chars = 100;
inline constexpr std::size_t max_heading_chars = 200;
inline constexpr std::size_t max_consent_chars = 2000;
inline constexpr std::size_t max_option_chars = 40;
inline constexpr std::size_t min_options = 2;
inline constexpr std::size_t max_options = 20;
inline constexpr std::size_t max_text_chars = 1000;
inline constexpr int max_within_days = 3650;

// The characters a field of this type accepts when `max` is 0.
std::size_t default_max_chars(field_type t);
std::size_t max_chars(const form_field& f);

// Today's form: name, birth, sex, nationality, id, phone; the address in the
// two tiers of local government since 1 July 2025 (province, ward, then house
// and street); the 14-day questions; the date; consent under Law 91/2025/QH15.
const form_definition& default_form();

// One problem of a definition: the field (its index, or npos for the form
// itself) and the key at fault, in words for the person editing ravao.toml.
struct form_problem {
  std::size_t field;  // index into fields, or npos
  std::string key;    // "name", "options", "consent", ... ("" for the field as a whole)
  std::string message;
};
// Every problem, in field order: names, labels, lengths, types' keys, options,
// duplicates, the required `name` field (the record's person).
std::vector<form_problem> check_form(const form_definition& d);

// The consent sentence with {retention_days} filled in.
std::string consent_text(const form_definition& d, int retention_days);

// The `form` control command's result and the slip job's "form" (docs/control.md):
// {"fields":[{"name","label","type","required","max"?,"options"?,"default"?,
//   "within_days"?,"heading"?,"printed"?},...],"consent":"..."}.
// `retention_days` > 0 fills in the consent sentence; 0 keeps the placeholder.
boost::json::object to_json(const form_definition& d, int retention_days = 0);
// Reads to_json() back (a stored print job: untrusted), and checks it.
result<form_definition> form_from_json(const boost::json::value& v);

}  // namespace ravao::slip
