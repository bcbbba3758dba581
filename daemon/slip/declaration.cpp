#include "slip/declaration.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include <boost/json/string.hpp>
#include <fmt/format.h>

#include "common/text.hpp"

// How values are checked, in order (docs/declarations.md):
//   1. bytes: at most max_value_bytes, well-formed UTF-8, no control or
//      invisible formatting character (checked before anything else touches
//      the value, so an ESC/POS sequence or a megabyte of input costs nothing);
//   2. NFC, spaces trimmed and runs of spaces collapsed, length in characters;
//   3. the field's own rule.
// Error messages never repeat a value: they go to the log, and the values
// are personal (and health) data.

namespace ravao::slip {

namespace {

namespace chr = std::chrono;

constexpr std::size_t max_value_bytes = 4096;   // any value, before normalising
constexpr std::size_t max_fields = 64;          // NAME=VALUE pairs in one form
constexpr std::size_t max_name_chars = 100;
constexpr std::size_t max_nationality_chars = 100;
constexpr std::size_t max_address_chars = 300;
constexpr std::size_t max_other_chars = 300;
constexpr std::size_t max_short_chars = 40;     // birth, sex, id, phone, yes/no, date
constexpr int min_birth_year = 1900;
constexpr int declared_within_days = 14;        // oldest accepted form date: today - 14
constexpr std::string_view default_nationality = "Việt Nam";

// The form's fields, in the order errors are reported and JSON is written.
enum field : std::size_t {
  f_name, f_birth, f_sex, f_nationality, f_id, f_phone, f_address, f_fever, f_cough,
  f_breath, f_throat, f_taste, f_other, f_contact, f_travel, f_date, field_count
};
constexpr std::array<std::string_view, field_count> field_names = {
    "name", "birth", "sex", "nationality", "id", "phone", "address", "fever",
    "cough", "breath", "throat", "taste", "other", "contact", "travel", "date"};

std::string expected_names() {
  std::string out;
  for (std::string_view n : field_names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

// Decodes one code point of well-formed UTF-8 at `pos` (checked beforehand).
char32_t decode(std::string_view s, std::size_t& pos) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[pos + i]) & 0x3Fu; };
  const auto b0 = static_cast<unsigned char>(s[pos]);
  char32_t cp = 0;
  if (b0 < 0x80) {
    cp = b0;
    pos += 1;
  } else if (b0 < 0xE0) {
    cp = ((b0 & 0x1Fu) << 6) | b(1);
    pos += 2;
  } else if (b0 < 0xF0) {
    cp = ((b0 & 0x0Fu) << 12) | (b(1) << 6) | b(2);
    pos += 3;
  } else {
    cp = ((b0 & 0x07u) << 18) | (b(1) << 12) | (b(2) << 6) | b(3);
    pos += 4;
  }
  return cp;
}

// Characters no form value may hold: C0 and C1 controls (ESC, GS, NUL, tab,
// newline...), DEL, and the invisible ones that change how text around them
// displays or compares: zero-width characters and joiners, bidirectional
// controls, line/paragraph separators, BOM, interlinear annotation marks.
bool forbidden(char32_t cp) {
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) return true;
  if (cp == 0x061C || cp == 0xFEFF) return true;
  if (cp >= 0x200B && cp <= 0x200F) return true;
  if (cp >= 0x2028 && cp <= 0x202E) return true;
  if (cp >= 0x2060 && cp <= 0x206F) return true;
  return cp >= 0xFFF9 && cp <= 0xFFFB;
}

std::size_t char_count(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0u) != 0x80u ? 1 : 0;
  return n;
}

// Steps 1 and 2 above. The value in NFC with spaces trimmed and collapsed,
// or a message for staff.
std::expected<std::string, std::string> clean(std::string_view raw, std::size_t max_chars) {
  if (raw.size() > max_value_bytes) {
    return std::unexpected(fmt::format("is too long ({} bytes; at most {} characters)", raw.size(), max_chars));
  }
  if (const auto bad = text::first_invalid_utf8(raw)) {
    return std::unexpected(fmt::format("is not valid UTF-8 (byte {}): retype it", *bad + 1));
  }
  std::size_t chars = 0;
  for (std::size_t pos = 0; pos < raw.size();) {
    const char32_t cp = decode(raw, pos);
    ++chars;
    if (forbidden(cp)) {
      return std::unexpected(fmt::format(
          "contains a control or invisible character (U+{:04X}, character {}): retype it",
          static_cast<std::uint32_t>(cp), chars));
    }
  }
  const std::string nfc = text::to_nfc(raw);
  std::string out;
  out.reserve(nfc.size());
  // U+00A0 (no-break space) counts as a space; it is two bytes in UTF-8.
  for (std::size_t pos = 0; pos < nfc.size();) {
    const bool nbsp = nfc.compare(pos, 2, "\xC2\xA0") == 0;
    if (nfc[pos] == ' ' || nbsp) {
      if (!out.empty() && out.back() != ' ') out += ' ';
      pos += nbsp ? 2 : 1;
    } else {
      out += nfc[pos++];
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  if (const std::size_t n = char_count(out); n > max_chars) {
    return std::unexpected(fmt::format("is {} characters long (at most {})", n, max_chars));
  }
  return out;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int to_int(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

std::string iso(const chr::year_month_day& d) {
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                     static_cast<unsigned>(d.day()));
}

// A date written as "YYYY-MM-DD" or "D/M/YYYY" (day and month of one or two
// digits). Shape errors and impossible dates get different messages.
std::expected<chr::year_month_day, std::string> parse_date(std::string_view s) {
  constexpr std::string_view shape = "is not a date (expected YYYY-MM-DD or DD/MM/YYYY)";
  int y = 0;
  unsigned m = 0;
  unsigned d = 0;
  if (s.size() == 10 && s[4] == '-' && s[7] == '-' && all_digits(s.substr(0, 4)) &&
      all_digits(s.substr(5, 2)) && all_digits(s.substr(8, 2))) {
    y = to_int(s.substr(0, 4));
    m = static_cast<unsigned>(to_int(s.substr(5, 2)));
    d = static_cast<unsigned>(to_int(s.substr(8, 2)));
  } else {
    const std::size_t a = s.find('/');
    const std::size_t b = a == std::string_view::npos ? a : s.find('/', a + 1);
    if (b == std::string_view::npos) return std::unexpected(std::string(shape));
    const std::string_view ds = s.substr(0, a);
    const std::string_view ms = s.substr(a + 1, b - a - 1);
    const std::string_view ys = s.substr(b + 1);
    if (ds.size() > 2 || ms.size() > 2 || ys.size() != 4 || !all_digits(ds) || !all_digits(ms) ||
        !all_digits(ys)) {
      return std::unexpected(std::string(shape));
    }
    y = to_int(ys);
    m = static_cast<unsigned>(to_int(ms));
    d = static_cast<unsigned>(to_int(ds));
  }
  const chr::year_month_day date{chr::year{y}, chr::month{m}, chr::day{d}};
  if (!date.ok()) return std::unexpected(std::string("is not a real calendar date"));
  return date;
}

std::expected<std::string, std::string> parse_birth(std::string_view s, const chr::year_month_day& today) {
  if (s.size() == 4 && all_digits(s)) {
    const int y = to_int(s);
    if (y < min_birth_year) return std::unexpected(fmt::format("is before {}", min_birth_year));
    if (chr::year{y} > today.year()) {
      return std::unexpected(fmt::format("is after this year ({})", static_cast<int>(today.year())));
    }
    return std::string(s);
  }
  auto date = parse_date(s);
  if (!date) {
    if (date.error().starts_with("is not a date")) {
      return std::unexpected(std::string("is not a date of birth (expected YYYY, YYYY-MM-DD or DD/MM/YYYY)"));
    }
    return std::unexpected(date.error());
  }
  if (date->year() < chr::year{min_birth_year}) return std::unexpected(fmt::format("is before {}", min_birth_year));
  if (chr::sys_days{*date} > chr::sys_days{today}) {
    return std::unexpected(fmt::format("is after today ({})", iso(today)));
  }
  return iso(*date);
}

std::expected<std::string, std::string> parse_sex(std::string_view s) {
  const std::string u = text::to_upper(s);
  if (u == "NAM" || u == "MALE" || u == "M") return std::string("male");
  // "NU": nữ typed without its diacritics.
  if (u == "NỮ" || u == "NU" || u == "FEMALE" || u == "F") return std::string("female");
  return std::unexpected(std::string("must be nam, nữ, male, female, m or f"));
}

std::expected<yes_no_unknown, std::string> parse_yes_no(std::string_view s) {
  const std::string u = text::to_upper(s);
  if (u == "CÓ" || u == "CO" || u == "YES" || u == "Y" || u == "1") return yes_no_unknown::yes;
  if (u == "KHÔNG" || u == "KHONG" || u == "NO" || u == "N" || u == "0") return yes_no_unknown::no;
  return std::unexpected(std::string("must be có/co/yes/y/1 or không/khong/no/n/0"));
}

std::expected<std::string, std::string> parse_id(std::string_view s) {
  std::string id;
  for (char c : s) {
    if (c == ' ') continue;
    id += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  if (all_digits(id) && (id.size() == 12 || id.size() == 9)) return id;
  const bool passport = (id.size() == 8 || id.size() == 9) && id[0] >= 'A' && id[0] <= 'Z' &&
                        all_digits(std::string_view(id).substr(1));
  if (passport) return id;
  return std::unexpected(std::string(
      "must be 12 digits (CCCD), 9 digits (CMND) or a passport number (a letter and 7 or 8 digits)"));
}

// Vietnamese numbers become national form: mobiles "0" + 9 digits (03, 05,
// 07, 08, 09), landlines "02" + 9 digits (area code and subscriber number,
// 11 digits in all since the 2017 renumbering). "+84" or "84" in front
// replaces the 0. Anything else starting with "+" is kept as "+" + digits.
std::expected<std::string, std::string> parse_phone(std::string_view s) {
  constexpr std::string_view rule =
      "must be a Vietnamese number (10 digits starting 03, 05, 07, 08 or 09; landlines 11 digits "
      "starting 02; +84 or 84 may replace the 0) or an international number (+ and 7 to 15 digits)";
  std::string digits;
  bool plus = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ' ' || c == '.' || c == '-') continue;
    if (c == '+' && digits.empty() && !plus) {
      plus = true;
      continue;
    }
    if (c < '0' || c > '9') {
      return std::unexpected(std::string("may hold only digits, spaces, dots, dashes and a leading +"));
    }
    digits += c;
  }
  if (digits.empty()) return std::unexpected(std::string(rule));
  std::string national;
  if (digits.starts_with("84") && (plus || digits.size() == 11 || digits.size() == 12)) {
    national = digits.substr(2);
    // "+84 0912..." (the 0 kept after the country code) is common.
    if (!national.starts_with('0')) national.insert(0, 1, '0');
  } else if (plus) {
    if (digits.size() < 7 || digits.size() > 15) {
      return std::unexpected(std::string("international numbers have 7 to 15 digits after +"));
    }
    return "+" + digits;
  } else {
    national = digits;
  }
  const bool prefix_ok = national.size() >= 2 && national[0] == '0' &&
                         std::string_view("235789").find(national[1]) != std::string_view::npos;
  if (!prefix_ok) return std::unexpected(std::string(rule));
  const std::size_t want = national[1] == '2' ? 11 : 10;
  if (national.size() != want) {
    return std::unexpected(fmt::format("has {} digits; {} numbers have {}", national.size(),
                                       national[1] == '2' ? "landline (02...)" : "mobile", want));
  }
  return national;
}

std::expected<std::string, std::string> parse_form_date(std::string_view s, const chr::year_month_day& today) {
  auto date = parse_date(s);
  if (!date) return std::unexpected(date.error());
  const chr::sys_days day{*date};
  if (day > chr::sys_days{today}) return std::unexpected(fmt::format("is after today ({})", iso(today)));
  const chr::sys_days oldest = chr::sys_days{today} - chr::days{declared_within_days};
  if (day < oldest) {
    return std::unexpected(fmt::format("is more than {} days ago (oldest accepted: {})", declared_within_days,
                                       iso(chr::year_month_day{oldest})));
  }
  return iso(*date);
}

std::string_view yes_no_name(yes_no_unknown v) {
  switch (v) {
    case yes_no_unknown::yes: return "yes";
    case yes_no_unknown::no: return "no";
    case yes_no_unknown::unknown: break;
  }
  return "unknown";
}

std::size_t max_chars_of(std::size_t f) {
  switch (f) {
    case f_name: return max_name_chars;
    case f_nationality: return max_nationality_chars;
    case f_address: return max_address_chars;
    case f_other: return max_other_chars;
    default: return max_short_chars;
  }
}

}  // namespace

std::expected<declaration, std::vector<field_error>> parse_declaration(
    const std::vector<std::pair<std::string, std::string>>& fields, std::string_view today_text) {
  std::vector<field_error> errors;
  const auto add = [&](std::string_view field, std::string message) {
    errors.push_back(field_error{std::string(field), std::move(message)});
  };

  const auto today_parsed = parse_date(today_text);
  if (!today_parsed || today_text.size() != 10 || today_text[4] != '-') {
    // The caller's clock, not staff input: nothing can be checked without it.
    add("date", fmt::format("today's date \"{}\" is not YYYY-MM-DD (is the clock set?)",
                            text::escape_for_log(today_text, 32)));
    return std::unexpected(std::move(errors));
  }
  const chr::year_month_day today = *today_parsed;

  if (fields.size() > max_fields) {
    add("form", fmt::format("has {} fields (at most {}; the names are {})", fields.size(), max_fields,
                            expected_names()));
    return std::unexpected(std::move(errors));
  }

  // Step 0: names. Unknown and repeated names are reported in input order.
  std::array<const std::string*, field_count> given{};
  for (const auto& [name, value] : fields) {
    std::size_t f = 0;
    while (f < field_count && field_names[f] != name) ++f;
    if (name.empty()) {
      // "=VALUE": there is no field to name; the form is at fault.
      add("form", fmt::format("a value without a field name (expected NAME=VALUE, the names are {})",
                              expected_names()));
    } else if (f == field_count) {
      add(text::escape_for_log(name, 32),
          fmt::format("unknown field \"{}\" (expected {})", text::escape_for_log(name, 32), expected_names()));
    } else if (given[f] != nullptr) {
      add(name, "is given more than once");
    } else {
      given[f] = &value;
    }
  }

  declaration d;
  d.nationality = std::string(default_nationality);
  d.declared_on = iso(today);
  std::array<yes_no_unknown*, field_count> yes_no{};
  yes_no[f_fever] = &d.fever;
  yes_no[f_cough] = &d.cough;
  yes_no[f_breath] = &d.short_breath;
  yes_no[f_throat] = &d.sore_throat;
  yes_no[f_taste] = &d.lost_taste_smell;
  yes_no[f_contact] = &d.contact;
  yes_no[f_travel] = &d.travel;

  for (std::size_t f = 0; f < field_count; ++f) {
    const std::string_view name = field_names[f];
    if (given[f] == nullptr) {
      if (f == f_name || f == f_phone) add(name, "is required");
      continue;
    }
    auto value = clean(*given[f], max_chars_of(f));
    if (!value) {
      add(name, std::move(value.error()));
      continue;
    }
    // An empty optional value is "not given": its default stays.
    if (value->empty()) {
      if (f == f_name || f == f_phone) add(name, "is required and empty");
      continue;
    }
    std::expected<std::string, std::string> parsed;
    switch (f) {
      case f_name: d.full_name = std::move(*value); break;
      case f_nationality: d.nationality = std::move(*value); break;
      case f_address: d.address = std::move(*value); break;
      case f_other: d.other_symptoms = std::move(*value); break;
      case f_birth:
        if ((parsed = parse_birth(*value, today))) d.birth = std::move(*parsed);
        break;
      case f_sex:
        if ((parsed = parse_sex(*value))) d.sex = std::move(*parsed);
        break;
      case f_id:
        if ((parsed = parse_id(*value))) d.id_number = std::move(*parsed);
        break;
      case f_phone:
        if ((parsed = parse_phone(*value))) d.phone = std::move(*parsed);
        break;
      case f_date:
        if ((parsed = parse_form_date(*value, today))) d.declared_on = std::move(*parsed);
        break;
      default:
        if (auto yn = parse_yes_no(*value)) {
          *yes_no[f] = *yn;
        } else {
          parsed = std::unexpected(std::move(yn.error()));
        }
        break;
    }
    if (!parsed) add(name, std::move(parsed.error()));
  }

  if (!errors.empty()) return std::unexpected(std::move(errors));
  return d;
}

boost::json::object to_json(const declaration& d) {
  const auto str = [](std::string_view s) { return boost::json::string(s); };
  boost::json::object symptoms;
  symptoms["fever"] = str(yes_no_name(d.fever));
  symptoms["cough"] = str(yes_no_name(d.cough));
  symptoms["breath"] = str(yes_no_name(d.short_breath));
  symptoms["throat"] = str(yes_no_name(d.sore_throat));
  symptoms["taste"] = str(yes_no_name(d.lost_taste_smell));
  symptoms["other"] = str(d.other_symptoms);

  boost::json::object o;
  o["name"] = str(d.full_name);
  o["birth"] = str(d.birth);
  o["sex"] = str(d.sex);
  o["nationality"] = str(d.nationality);
  o["id"] = str(d.id_number);
  o["phone"] = str(d.phone);
  o["address"] = str(d.address);
  o["symptoms"] = std::move(symptoms);
  o["contact"] = str(yes_no_name(d.contact));
  o["travel"] = str(yes_no_name(d.travel));
  o["date"] = str(d.declared_on);
  return o;
}

}  // namespace ravao::slip
