#include "slip/declaration.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

#include <boost/json/string.hpp>
#include <fmt/format.h>

#include "common/text.hpp"
#include "slip/form_text.hpp"

// How values are checked, in order (docs/declarations.md):
//   1. bytes: at most max_value_bytes, well-formed UTF-8, no control or
//      invisible formatting character (checked before anything else touches
//      the value, so an ESC/POS sequence or a megabyte of input costs nothing);
//   2. NFC, spaces trimmed and runs of spaces collapsed, length in characters;
//   3. the rule of the field's type.
// Error messages never repeat a value: they go to the log, and the values
// are personal (and health) data.

namespace ravao::slip {

namespace {

namespace chr = std::chrono;

constexpr std::size_t max_fields = 64;  // NAME=VALUE pairs in one form
constexpr int min_birth_year = 1900;

using checked = std::expected<std::string, text_problem>;

std::unexpected<text_problem> problem(std::string en, std::string vi) {
  return std::unexpected(text_problem{std::move(en), std::move(vi)});
}

std::string expected_names(const form_definition& form) {
  std::vector<std::string> names;
  for (const auto& f : form.fields) names.push_back(f.name);
  return text::join(names);
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

// As Vietnamese write dates: 23/11/2026.
std::string vi_date(const chr::year_month_day& d) {
  return fmt::format("{:02}/{:02}/{:04}", static_cast<unsigned>(d.day()), static_cast<unsigned>(d.month()),
                     static_cast<int>(d.year()));
}

// A date written as "YYYY-MM-DD" or "D/M/YYYY" (day and month of one or two
// digits). Shape errors (nullopt) and impossible dates get different messages.
std::expected<chr::year_month_day, std::optional<text_problem>> parse_date(std::string_view s) {
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
    if (b == std::string_view::npos) return std::unexpected(std::nullopt);
    const std::string_view ds = s.substr(0, a);
    const std::string_view ms = s.substr(a + 1, b - a - 1);
    const std::string_view ys = s.substr(b + 1);
    if (ds.size() > 2 || ms.size() > 2 || ys.size() != 4 || !all_digits(ds) || !all_digits(ms) ||
        !all_digits(ys)) {
      return std::unexpected(std::nullopt);
    }
    y = to_int(ys);
    m = static_cast<unsigned>(to_int(ms));
    d = static_cast<unsigned>(to_int(ds));
  }
  const chr::year_month_day date{chr::year{y}, chr::month{m}, chr::day{d}};
  if (!date.ok()) return std::unexpected(text_problem{"is not a real calendar date", "không phải ngày có thật"});
  return date;
}

text_problem before_1900() {
  return {fmt::format("is before {}", min_birth_year), fmt::format("trước năm {}", min_birth_year)};
}

text_problem after_today(const chr::year_month_day& today) {
  return {fmt::format("is after today ({})", iso(today)), fmt::format("sau ngày hôm nay ({})", vi_date(today))};
}

checked parse_birth(std::string_view s, const chr::year_month_day& today) {
  if (s.size() == 4 && all_digits(s)) {
    const int y = to_int(s);
    if (y < min_birth_year) return std::unexpected(before_1900());
    if (chr::year{y} > today.year()) {
      const int now = static_cast<int>(today.year());
      return problem(fmt::format("is after this year ({})", now), fmt::format("sau năm nay ({})", now));
    }
    return std::string(s);
  }
  auto date = parse_date(s);
  if (!date) {
    if (date.error()) return std::unexpected(std::move(*date.error()));
    return problem("is not a date of birth (expected YYYY, YYYY-MM-DD or DD/MM/YYYY)",
                   "không đúng dạng (ghi năm sinh, ví dụ 1987, hoặc ngày/tháng/năm, ví dụ 05/03/1987)");
  }
  if (date->year() < chr::year{min_birth_year}) return std::unexpected(before_1900());
  if (chr::sys_days{*date} > chr::sys_days{today}) return std::unexpected(after_today(today));
  return iso(*date);
}

// A date not after today, from 1900 on, or (within_days > 0) at most that many days back.
checked parse_day(std::string_view s, const chr::year_month_day& today, int within_days) {
  auto date = parse_date(s);
  if (!date) {
    if (date.error()) return std::unexpected(std::move(*date.error()));
    return problem("is not a date (expected YYYY-MM-DD or DD/MM/YYYY)",
                   "không đúng dạng ngày (ghi ngày/tháng/năm, ví dụ 05/03/2026)");
  }
  const chr::sys_days day{*date};
  if (day > chr::sys_days{today}) return std::unexpected(after_today(today));
  if (within_days > 0) {
    const chr::year_month_day oldest{chr::sys_days{today} - chr::days{within_days}};
    if (day < chr::sys_days{oldest}) {
      return problem(fmt::format("is more than {} days ago (oldest accepted: {})", within_days, iso(oldest)),
                     fmt::format("đã quá {} ngày (sớm nhất là ngày {})", within_days, vi_date(oldest)));
    }
  } else if (date->year() < chr::year{min_birth_year}) {
    return std::unexpected(before_1900());
  }
  return iso(*date);
}

checked parse_choice(std::string_view s, const form_field& f) {
  const std::string u = text::to_upper(s);
  std::vector<std::string> en;
  std::vector<std::string> vi;
  for (const auto& o : f.options) {
    if (u == text::to_upper(o.value) || u == text::to_upper(o.label)) return o.value;
    for (const auto& a : o.aliases)
      if (u == text::to_upper(a)) return o.value;
    std::string spellings = o.value;
    for (const auto& a : o.aliases) spellings += ", " + a;
    en.push_back(o.label + " (" + spellings + ")");
    vi.push_back(o.label);
  }
  return problem("must be one of " + text::join(en, "; "), "phải là một trong: " + text::join(vi));
}

checked parse_yes_no(std::string_view s) {
  const std::string u = text::to_upper(s);
  if (u == "CÓ" || u == "CO" || u == "YES" || u == "Y" || u == "1") return std::string("yes");
  if (u == "KHÔNG" || u == "KHONG" || u == "NO" || u == "N" || u == "0") return std::string("no");
  return problem("must be có/co/yes/y/1 or không/khong/no/n/0", "phải là Có hoặc Không");
}

checked parse_id(std::string_view s) {
  std::string id;
  for (char c : s) {
    if (c == ' ') continue;
    id += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  if (all_digits(id) && (id.size() == 12 || id.size() == 9)) return id;
  const bool passport = (id.size() == 8 || id.size() == 9) && id[0] >= 'A' && id[0] <= 'Z' &&
                        all_digits(std::string_view(id).substr(1));
  if (passport) return id;
  return problem("must be 12 digits (CCCD), 9 digits (CMND) or a passport number (a letter and 7 or 8 digits)",
                 "không hợp lệ: phải là 12 chữ số (CCCD), 9 chữ số (CMND) hoặc số hộ chiếu (một chữ cái và 7 "
                 "hoặc 8 chữ số)");
}

// Vietnamese numbers become national form: mobiles "0" + 9 digits (03, 05,
// 07, 08, 09), landlines "02" + 9 digits (area code and subscriber number,
// 11 digits in all since the 2017 renumbering). "+84" or "84" in front
// replaces the 0. Anything else starting with "+" is kept as "+" + digits.
checked parse_phone(std::string_view s) {
  const auto rule = [] {
    return problem(
        "must be a Vietnamese number (10 digits starting 03, 05, 07, 08 or 09; landlines 11 digits "
        "starting 02; +84 or 84 may replace the 0) or an international number (+ and 7 to 15 digits)",
        "không hợp lệ: phải là số Việt Nam (di động 10 chữ số bắt đầu bằng 03, 05, 07, 08 hoặc 09; cố định "
        "11 chữ số bắt đầu bằng 02; có thể thay số 0 đầu bằng +84) hoặc số nước ngoài (dấu + và 7 đến 15 "
        "chữ số)");
  };
  std::string digits;
  bool plus = false;
  for (const char c : s) {
    if (c == ' ' || c == '.' || c == '-') continue;
    if (c == '+' && digits.empty() && !plus) {
      plus = true;
      continue;
    }
    if (c < '0' || c > '9') {
      return problem("may hold only digits, spaces, dots, dashes and a leading +",
                     "không hợp lệ: chỉ được có chữ số, dấu cách, dấu chấm, dấu gạch ngang và dấu + ở đầu");
    }
    digits += c;
  }
  if (digits.empty()) return rule();
  std::string national;
  if (digits.starts_with("84") && (plus || digits.size() == 11 || digits.size() == 12)) {
    national = digits.substr(2);
    // "+84 0912..." (the 0 kept after the country code) is common.
    if (!national.starts_with('0')) national.insert(0, 1, '0');
  } else if (plus) {
    if (digits.size() < 7 || digits.size() > 15) {
      return problem("international numbers have 7 to 15 digits after +",
                     "không hợp lệ: số nước ngoài có 7 đến 15 chữ số sau dấu +");
    }
    return "+" + digits;
  } else {
    national = digits;
  }
  const bool prefix_ok = national.size() >= 2 && national[0] == '0' &&
                         std::string_view("235789").find(national[1]) != std::string_view::npos;
  if (!prefix_ok) return rule();
  const bool landline = national[1] == '2';
  const std::size_t want = landline ? 11 : 10;
  if (national.size() != want) {
    return problem(fmt::format("has {} digits; {} numbers have {}", national.size(),
                               landline ? "landline (02...)" : "mobile", want),
                   fmt::format("không hợp lệ: có {} chữ số; số {} có {} chữ số", national.size(),
                               landline ? "cố định (02...)" : "di động", want));
  }
  return national;
}

checked parse_value(const form_field& f, std::string value, const chr::year_month_day& today) {
  switch (f.type) {
    case field_type::text:
    case field_type::textarea: return value;
    case field_type::date: return parse_day(value, today, f.within_days);
    case field_type::year_or_date: return parse_birth(value, today);
    case field_type::choice: return parse_choice(value, f);
    case field_type::yes_no: return parse_yes_no(value);
    case field_type::phone: return parse_phone(value);
    case field_type::id_number: return parse_id(value);
  }
  return value;
}

// The value of a field not given (or given empty).
std::string default_of(const form_field& f, const chr::year_month_day& today) {
  if (f.type == field_type::yes_no) return "unknown";
  if (f.type == field_type::date) return f.default_value == "today" ? iso(today) : std::string();
  return f.default_value;
}

}  // namespace

std::string_view declaration::value(std::string_view name) const {
  for (const auto& [n, v] : values)
    if (n == name) return v;
  return {};
}

std::expected<declaration, std::vector<field_error>> parse_declaration(
    const form_definition& form, const std::vector<std::pair<std::string, std::string>>& fields,
    std::string_view today_text) {
  std::vector<field_error> errors;
  // A problem of a field: the Vietnamese sentence starts with its label.
  const auto add = [&](const form_field& f, text_problem p) {
    errors.push_back(field_error{f.name, std::move(p.en), f.label + " " + p.vi});
  };
  const auto add_form = [&](std::string field, std::string en, std::string vi) {
    errors.push_back(field_error{std::move(field), std::move(en), std::move(vi)});
  };

  const auto today_parsed = parse_date(today_text);
  if (!today_parsed || today_text.size() != 10 || today_text[4] != '-') {
    // The caller's clock, not staff input: nothing can be checked without it.
    add_form("date",
             fmt::format("today's date \"{}\" is not YYYY-MM-DD (is the clock set?)",
                         text::escape_for_log(today_text, 32)),
             "Ngày giờ của máy chưa đúng: báo cho người quản lý thiết bị");
    return std::unexpected(std::move(errors));
  }
  const chr::year_month_day today = *today_parsed;

  if (fields.size() > max_fields) {
    add_form("form",
             fmt::format("has {} fields (at most {}; the names are {})", fields.size(), max_fields,
                         expected_names(form)),
             fmt::format("Tờ khai có {} mục (tối đa {})", fields.size(), max_fields));
    return std::unexpected(std::move(errors));
  }

  // Step 0: names. Unknown and repeated names are reported in input order.
  std::vector<const std::string*> given(form.fields.size(), nullptr);
  for (const auto& [name, value] : fields) {
    const auto it = std::ranges::find(form.fields, name, &form_field::name);
    if (name.empty()) {
      // "=VALUE": there is no field to name; the form is at fault.
      add_form("form",
               fmt::format("a value without a field name (expected NAME=VALUE, the names are {})",
                           expected_names(form)),
               "Có một giá trị không kèm tên mục");
    } else if (it == form.fields.end()) {
      const std::string shown = text::escape_for_log(name, 32);
      add_form(shown, fmt::format("unknown field \"{}\" (expected {})", shown, expected_names(form)),
               fmt::format("Mục \"{}\" không có trong tờ khai", shown));
    } else if (const auto i = static_cast<std::size_t>(it - form.fields.begin()); given[i] != nullptr) {
      add(*it, {"is given more than once", "được nhập nhiều lần"});
    } else {
      given[i] = &value;
    }
  }

  declaration d;
  for (std::size_t i = 0; i < form.fields.size(); ++i) {
    const form_field& f = form.fields[i];
    std::string stored = default_of(f, today);
    if (given[i] == nullptr) {
      if (f.required) add(f, {"is required", "là bắt buộc"});
    } else if (auto value = clean_text(*given[i], max_chars(f)); !value) {
      add(f, std::move(value.error()));
    } else if (value->empty()) {
      // An empty optional value is "not given": its default stays.
      if (f.required) add(f, {"is required and empty", "là bắt buộc nhưng đang để trống"});
    } else if (auto parsed = parse_value(f, std::move(*value), today); !parsed) {
      add(f, std::move(parsed.error()));
    } else {
      stored = std::move(*parsed);
    }
    if (f.name == "name") d.person_name = stored;
    if (f.type == field_type::id_number && d.person_id.empty()) d.person_id = stored;
    d.values.emplace_back(f.name, std::move(stored));
  }

  if (!errors.empty()) return std::unexpected(std::move(errors));
  return d;
}

std::expected<declaration, std::vector<field_error>> parse_declaration(
    const std::vector<std::pair<std::string, std::string>>& fields, std::string_view today) {
  return parse_declaration(default_form(), fields, today);
}

boost::json::object to_json(const declaration& d) {
  boost::json::object o;
  for (const auto& [name, value] : d.values) o[name] = boost::json::string(value);
  return o;
}

}  // namespace ravao::slip
