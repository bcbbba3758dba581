// CCCD (chip-based citizen ID card) QR:
//   7 fields: CCCD number | old CMND number | full name | date of birth |
//             sex | address | issue date
//   6 fields: the same without the old CMND number.
// A payload is a CCCD when it has 6 or 7 '|' fields and the first is exactly
// 12 ASCII digits (spaces and tabs around fields are ignored). Everything
// else is best effort: a bad date, sex or old number is flagged and left
// empty, the person is still recorded under the CCCD number.

#include <string>

#include "common/text.hpp"
#include "payload/formats.hpp"

namespace ravao::payload {

namespace {

// DDMMYYYY, or dd/MM/yyyy (exactly two, two and four digits; flags
// "date_slashes"). Nullopt for any other shape or a date not in the calendar.
std::optional<civil_date> parse_cccd_date(std::string_view s, classified_payload& out) {
  std::string digits;
  if (s.size() == 8 && is_digits(s)) {
    digits = s;
  } else if (s.size() == 10 && s[2] == '/' && s[5] == '/') {
    digits = std::string(s.substr(0, 2)) + std::string(s.substr(3, 2)) + std::string(s.substr(6));
    if (!is_digits(digits)) return std::nullopt;
    add_flag(out, "date_slashes");
  } else {
    return std::nullopt;
  }
  const std::string_view d = digits;
  return make_date(decimal_value(d.substr(4, 4)), decimal_value(d.substr(2, 2)),
                   decimal_value(d.substr(0, 2)));
}

// "Nam" / "Nữ" compared after NFC (done by classify) and upper-casing, so
// "nữ", "NỮ" and a decomposed "Nữ" all match. "Nu" without diacritics is
// also accepted as female: with only two values it cannot be mistaken, and
// apps that strip diacritics exist.
sex parse_sex(std::string_view s) {
  const std::string upper = text::to_upper(s);
  if (upper == "NAM") return sex::male;
  if (upper == "N\u1EEE" || upper == "NU") return sex::female;
  return sex::unknown;
}

bool is_old_id(std::string_view s) {
  return is_digits(s) && (s.size() == 9 || s.size() == 12);
}

}  // namespace

bool parse_cccd(const std::vector<std::string_view>& fields, classified_payload& out) {
  if (fields.size() != 6 && fields.size() != 7) return false;
  const std::string_view id = trim(fields[0]);
  if (id.size() != 12 || !is_digits(id)) return false;

  // Offset of the name field: 7-field form carries the old CMND number first.
  const std::size_t o = fields.size() == 7 ? 1 : 0;
  person who;
  who.id_number = id;
  if (o == 1) {
    const std::string_view old_id = trim(fields[1]);
    if (old_id.empty() || is_old_id(old_id)) {
      who.old_id_number = old_id;
    } else {
      add_flag(out, "invalid_old_id");
    }
  }
  who.full_name = trim(fields[1 + o]);
  who.birth_date = parse_cccd_date(trim(fields[2 + o]), out);
  if (!who.birth_date) add_flag(out, "invalid_birth_date");
  who.sex_ = parse_sex(trim(fields[3 + o]));
  if (who.sex_ == sex::unknown) add_flag(out, "unknown_sex");
  who.address = trim(fields[4 + o]);
  who.issue_date = parse_cccd_date(trim(fields[5 + o]), out);
  if (!who.issue_date) add_flag(out, "invalid_issue_date");

  cross_check_cccd_number(who, out);
  out.kind = payload_kind::cccd;
  out.who = std::move(who);
  return true;
}

}  // namespace ravao::payload
