#include "payload/classify.hpp"

#include <algorithm>

#include "common/text.hpp"
#include "payload/formats.hpp"

namespace ravao {

std::string_view to_string(payload_kind k) {
  switch (k) {
    case payload_kind::cccd: return "cccd";
    case payload_kind::personal_qr: return "personal_qr";
    case payload_kind::bhyt: return "bhyt";
    case payload_kind::ravao_command: return "ravao_command";
    case payload_kind::ravao_slip: return "ravao_slip";
    case payload_kind::opaque: return "opaque";
  }
  return "opaque";
}

std::string_view to_string(sex s) {
  switch (s) {
    case sex::male: return "male";
    case sex::female: return "female";
    case sex::unknown: return "unknown";
  }
  return "unknown";
}

bool classified_payload::has_flag(std::string_view f) const {
  return std::find(flags.begin(), flags.end(), f) != flags.end();
}

namespace payload {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_fields(std::string_view s) {
  std::vector<std::string_view> fields;
  for (;;) {
    const std::size_t bar = s.find('|');
    fields.push_back(s.substr(0, bar));
    if (bar == std::string_view::npos) return fields;
    s.remove_prefix(bar + 1);
  }
}

bool is_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int decimal_value(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

void add_flag(classified_payload& out, std::string_view flag) {
  if (!out.has_flag(flag)) out.flags.emplace_back(flag);
}

std::optional<civil_date> make_date(int year, int month, int day) {
  if (year < 1900 || year > 2399 || month < 1 || month > 12 || day < 1) return std::nullopt;
  static constexpr int days_in_month[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int last = days_in_month[month - 1] + (month == 2 && leap ? 1 : 0);
  if (day > last) return std::nullopt;
  return civil_date{year, month, day};
}

void cross_check_cccd_number(const person& who, classified_payload& out) {
  const std::string& id = who.id_number;
  if (id.size() != 12 || !is_digits(id)) return;
  const int code = id[3] - '0';
  const int century = 1900 + (code / 2) * 100;
  const bool female = code % 2 == 1;
  const int year_digits = (id[4] - '0') * 10 + (id[5] - '0');
  if (who.sex_ != sex::unknown && (who.sex_ == sex::female) != female) {
    add_flag(out, "id_sex_mismatch");
  }
  if (who.birth_date) {
    if (who.birth_date->year / 100 * 100 != century) add_flag(out, "id_century_mismatch");
    if (who.birth_date->year % 100 != year_digits) add_flag(out, "id_birth_year_mismatch");
  }
}

// BHYT (health-insurance card) QR. ASSUMED layout, not confirmed by any
// public specification: the first '|' field is the 15-character card number
// (2 letters, then 13 characters, in practice digits: "DN4010123456789") and
// the second is the holder's name as even-length hex of UTF-8 bytes. Both
// must hold to recognise the card; nothing is extracted (no person): the
// payload is stored raw until the layout is confirmed.
bool parse_bhyt(const std::vector<std::string_view>& fields, classified_payload& out) {
  if (fields.size() < 2) return false;
  const auto is_letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  const auto is_alnum = [&](char c) { return is_letter(c) || (c >= '0' && c <= '9'); };
  const std::string_view card = trim(fields[0]);
  if (card.size() != 15 || !is_letter(card[0]) || !is_letter(card[1]) ||
      !std::all_of(card.begin(), card.end(), is_alnum)) {
    return false;
  }
  const std::string_view hex = trim(fields[1]);
  if (hex.empty() || hex.size() % 2 != 0) return false;
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string decoded;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]);
    const int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    decoded.push_back(static_cast<char>(hi * 16 + lo));
  }
  if (text::first_invalid_utf8(decoded)) return false;
  out.kind = payload_kind::bhyt;
  return true;
}

}  // namespace payload

classified_payload classify(std::string_view payload) {
  using payload::add_flag;
  classified_payload out;
  std::string_view body = payload;
  if (body.starts_with("\xEF\xBB\xBF")) {
    body.remove_prefix(3);
    add_flag(out, "bom");
  }
  while (!body.empty() && (body.back() == '\r' || body.back() == '\n')) body.remove_suffix(1);

  if (text::first_invalid_utf8(body)) {
    // Stored as its escaped rendering: lossless ('\\' is escaped too) and
    // valid UTF-8, so no consumer ever sees ill-formed text.
    out.text = text::escape_for_log(body, body.size());
    add_flag(out, "invalid_utf8");
    return out;
  }
  if (text::is_nfc(body)) {
    out.text = body;
  } else {
    out.text = text::to_nfc(body);
    add_flag(out, "nfd_input");
  }

  // Recognisers look at a trimmed copy; `out.text` keeps the spaces.
  const std::string normalised = out.text;
  const std::string_view t = payload::trim(normalised);
  if (t.starts_with("RAVAO:")) {
    payload::parse_ravao_code(t, out);
    return out;
  }
  const std::vector<std::string_view> fields = payload::split_fields(t);
  // Personal QR first: it is told apart by its YYYY-MM-DD third field, which
  // no CCCD form has, while its document number may be a 12-digit CCCD number.
  if (payload::parse_personal_qr(fields, out) || payload::parse_cccd(fields, out) ||
      payload::parse_bhyt(fields, out)) {
    return out;
  }
  out.kind = payload_kind::opaque;
  add_flag(out, "unrecognised");
  return out;
}

}  // namespace ravao
