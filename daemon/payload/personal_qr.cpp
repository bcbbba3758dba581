// Unified personal QR (Decision 1405/QD-BTTTT, 2021):
//   SoGiayTo | HoTen | NgaySinh | LoaiDinhDanh | QID | EXT
//
// Every assumption about this format lives in this file. What is assumed,
// from public descriptions only (no published specification was available):
//   - SoGiayTo is a CCCD, CMND or passport number: after trimming it must be
//     6..20 ASCII letters or digits; it is upper-cased and becomes the
//     identity key. Anything else is not a personal QR.
//   - HoTen is in capitals without diacritics; it is kept as written (NFC).
//   - NgaySinh is YYYY-MM-DD; this shape in the third field is what tells
//     the format apart from the CCCD QR (DDMMYYYY there). A date that has
//     that shape but is not in the calendar is flagged "invalid_birth_date".
//   - LoaiDinhDanh "0" = self-declared, "1" = declared on someone's behalf
//     (flag "proxy_declared"); any other value: "unknown_declaration_type".
//   - QID is not interpreted.
//   - EXT (proxy's QID, sex, insurance number, phone, signature) has an
//     unconfirmed internal separator, which may itself be '|': everything
//     after the fifth '|' is EXT, so six or more fields are accepted, and EXT
//     is kept raw in the payload text, never parsed. Sex stays unknown.

#include <algorithm>

#include "payload/formats.hpp"

namespace ravao::payload {

namespace {

bool is_iso_date_shape(std::string_view s) {
  return s.size() == 10 && s[4] == '-' && s[7] == '-' && is_digits(s.substr(0, 4)) &&
         is_digits(s.substr(5, 2)) && is_digits(s.substr(8, 2));
}

// Upper-cased document number, or empty when the field is not one. ASCII is
// checked before upper-casing: Unicode case mapping would turn e.g. U+017F
// (long s) into 'S' and let look-alike characters into the identity key.
std::string document_number(std::string_view field) {
  const std::string_view s = trim(field);
  const auto is_alnum = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  };
  if (s.size() < 6 || s.size() > 20 || !std::all_of(s.begin(), s.end(), is_alnum)) return {};
  std::string upper(s);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return upper;
}

}  // namespace

bool parse_personal_qr(const std::vector<std::string_view>& fields, classified_payload& out) {
  if (fields.size() < 6) return false;
  const std::string_view birth = trim(fields[2]);
  if (!is_iso_date_shape(birth)) return false;
  std::string id = document_number(fields[0]);
  if (id.empty()) return false;

  person who;
  who.id_number = std::move(id);
  who.full_name = trim(fields[1]);
  who.birth_date = make_date(decimal_value(birth.substr(0, 4)), decimal_value(birth.substr(5, 2)),
                             decimal_value(birth.substr(8, 2)));
  if (!who.birth_date) add_flag(out, "invalid_birth_date");
  const std::string_view declared = trim(fields[3]);
  if (declared == "1") {
    add_flag(out, "proxy_declared");
  } else if (declared != "0") {
    add_flag(out, "unknown_declaration_type");
  }
  // A CCCD number as document number carries birth century and year.
  cross_check_cccd_number(who, out);
  out.kind = payload_kind::personal_qr;
  out.who = std::move(who);
  return true;
}

}  // namespace ravao::payload
