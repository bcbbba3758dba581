#include "slip/form_definition.hpp"

#include <algorithm>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>
#include <fmt/format.h>

#include "common/text.hpp"
#include "slip/form_text.hpp"

namespace ravao::slip {

namespace {

constexpr std::string_view retention_placeholder = "{retention_days}";

bool name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (!first && ((c >= '0' && c <= '9') || c == '_'));
}

bool is_field_name(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (!name_char(s[i], i == 0)) return false;
  return true;
}

bool is_option_value(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  return std::ranges::all_of(s, [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; });
}

// Text a definition prints: 1..max characters, printable, already NFC and trimmed.
std::optional<std::string> text_rule(std::string_view s, std::size_t max, bool may_be_empty = false) {
  if (s.empty()) return may_be_empty ? std::nullopt : std::optional<std::string>("is empty");
  auto cleaned = clean_text(s, max);
  if (!cleaned) return std::move(cleaned.error().en);
  if (*cleaned != s) return std::string("is not in normal form (NFC, no leading, trailing or doubled spaces)");
  return std::nullopt;
}

form_field field(std::string name, std::string label, field_type type, bool required = false) {
  form_field f;
  f.name = std::move(name);
  f.label = std::move(label);
  f.type = type;
  f.required = required;
  return f;
}

form_definition make_default() {
  using enum field_type;
  form_definition d;
  auto& v = d.fields;
  v.push_back(field("name", "Họ và tên", text, true));
  v.back().heading = "THÔNG TIN NGƯỜI KHAI";
  v.push_back(field("birth", "Ngày sinh", year_or_date));
  v.push_back(field("sex", "Giới tính", choice));
  v.back().options = {{"male", "Nam", {"m"}}, {"female", "Nữ", {"nu", "f"}}};
  v.push_back(field("nationality", "Quốc tịch", text));
  v.back().default_value = "Việt Nam";
  v.push_back(field("id", "Số CCCD/CMND/Hộ chiếu", id_number));
  v.push_back(field("phone", "Số điện thoại", phone, true));
  // Two tiers of local government since 1 July 2025: no district.
  v.push_back(field("province", "Tỉnh/thành phố", text));
  v.back().heading = "Địa chỉ nơi ở hiện tại";
  v.push_back(field("ward", "Phường/xã/đặc khu", text));
  v.push_back(field("address", "Số nhà, đường, thôn/tổ", textarea));
  const std::pair<const char*, const char*> questions[] = {
      {"fever", "Sốt"}, {"cough", "Ho"}, {"breath", "Khó thở"}, {"throat", "Đau họng"},
      {"taste", "Mất vị giác hoặc khứu giác"}};
  for (const auto& [name, label] : questions) v.push_back(field(name, label, yes_no));
  v[v.size() - std::size(questions)].heading = "Trong 14 ngày qua, anh/chị có:";
  v.push_back(field("other", "Triệu chứng khác (ghi rõ)", textarea));
  v.push_back(field("contact", "Tiếp xúc với người bệnh hoặc nghi nhiễm COVID-19", yes_no));
  v.push_back(field("travel", "Đi từ/qua vùng có dịch", yes_no));
  v.push_back(field("date", "Ngày khai", date));
  v.back().default_value = "today";
  v.back().within_days = 14;
  v.back().printed = false;  // the slip's "Ngày ... tháng ... năm" above the signature
  d.consent =
      "Tôi cam kết những thông tin trên là đúng sự thật. Tôi đồng ý để đơn vị có tên ở đầu phiếu này thu "
      "thập và xử lý các thông tin trên, kể cả thông tin về sức khỏe (dữ liệu cá nhân nhạy cảm), chỉ nhằm "
      "mục đích phòng, chống dịch và truy vết người tiếp xúc, cung cấp cho cơ quan y tế khi cần truy vết, "
      "và lưu giữ không quá {retention_days} ngày, theo Luật Bảo vệ dữ liệu cá nhân (Luật số 91/2025/QH15).";
  return d;
}

void check_field(const form_field& f, std::size_t i, std::vector<form_problem>& out) {
  const auto add = [&](std::string key, std::string message) { out.push_back({i, std::move(key), std::move(message)}); };
  if (!is_field_name(f.name)) add("name", "must be 1 to 32 of a-z 0-9 _, starting with a letter");
  if (auto p = text_rule(f.label, max_label_chars)) add("label", *p);
  if (auto p = text_rule(f.heading, max_heading_chars, true)) add("heading", *p);
  const bool free_text = f.type == field_type::text || f.type == field_type::textarea;
  if (f.max != 0 && !free_text) add("max", fmt::format("applies only to text and textarea fields, not {}", name_of(f.type)));
  if (f.max > max_text_chars) add("max", fmt::format("is {} (at most {})", f.max, max_text_chars));
  if (f.type == field_type::choice) {
    if (f.options.size() < min_options || f.options.size() > max_options)
      add("options", fmt::format("has {} options ({} to {})", f.options.size(), min_options, max_options));
    std::vector<std::string> spellings;
    for (const auto& o : f.options) {
      if (!is_option_value(o.value)) add("options", "an option's value must be 1 to 32 of a-z 0-9 _ -");
      if (auto p = text_rule(o.label, max_option_chars)) add("options", "an option's label " + *p);
      for (const auto& a : o.aliases)
        if (auto p = text_rule(a, max_option_chars)) add("options", "an option's alias " + *p);
      for (const std::string* s : {&o.value, &o.label}) spellings.push_back(text::to_upper(*s));
      for (const auto& a : o.aliases) spellings.push_back(text::to_upper(a));
    }
    std::ranges::sort(spellings);
    if (const auto dup = std::ranges::adjacent_find(spellings); dup != spellings.end())
      add("options", fmt::format("two options are both spelled \"{}\" (values, labels and aliases must differ)", *dup));
  } else if (!f.options.empty()) {
    add("options", fmt::format("applies only to choice fields, not {}", name_of(f.type)));
  }
  if (f.type == field_type::date) {
    if (!f.default_value.empty() && f.default_value != "today") add("default", "of a date field may only be \"today\"");
    if (f.within_days < 0 || f.within_days > max_within_days)
      add("within_days", fmt::format("is {} (0 to {})", f.within_days, max_within_days));
  } else {
    if (f.within_days != 0) add("within_days", "applies only to date fields");
    if (!f.default_value.empty() && !free_text) add("default", fmt::format("applies only to text, textarea and date fields, not {}", name_of(f.type)));
    if (free_text)
      if (auto p = text_rule(f.default_value, max_chars(f), true)) add("default", *p);
  }
}

std::string str(const boost::json::value* v) {
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

std::string_view name_of(field_type t) { return field_type_names[static_cast<std::size_t>(t)]; }

std::optional<field_type> field_type_named(std::string_view name) {
  for (std::size_t i = 0; i < std::size(field_type_names); ++i)
    if (field_type_names[i] == name) return static_cast<field_type>(i);
  return std::nullopt;
}

std::size_t default_max_chars(field_type t) {
  switch (t) {
    case field_type::text: return 100;
    case field_type::textarea: return 300;
    default: return 40;
  }
}

std::size_t max_chars(const form_field& f) { return f.max != 0 ? f.max : default_max_chars(f.type); }

const form_definition& default_form() {
  static const form_definition d = make_default();
  return d;
}

std::vector<form_problem> check_form(const form_definition& d) {
  std::vector<form_problem> out;
  constexpr std::size_t whole = std::string::npos;
  if (d.fields.empty() || d.fields.size() > max_form_fields)
    out.push_back({whole, "field", fmt::format("has {} fields (1 to {})", d.fields.size(), max_form_fields)});
  for (std::size_t i = 0; i < d.fields.size(); ++i) {
    check_field(d.fields[i], i, out);
    for (std::size_t j = 0; j < i; ++j)
      if (d.fields[j].name == d.fields[i].name)
        out.push_back({i, "name", fmt::format("\"{}\" is already the name of field #{}", d.fields[i].name, j + 1)});
  }
  const auto person = std::ranges::find(d.fields, std::string("name"), &form_field::name);
  if (person == d.fields.end() || person->type != field_type::text || !person->required)
    out.push_back({whole, "field",
                   "needs a required text field named \"name\" (the person the declaration record is about)"});
  if (auto p = text_rule(d.consent, max_consent_chars)) out.push_back({whole, "consent", *p});
  return out;
}

std::string consent_text(const form_definition& d, int retention_days) {
  std::string s = d.consent;
  for (std::size_t at = s.find(retention_placeholder); at != std::string::npos;
       at = s.find(retention_placeholder, at)) {
    const std::string days = std::to_string(retention_days);
    s.replace(at, retention_placeholder.size(), days);
    at += days.size();
  }
  return s;
}

boost::json::object to_json(const form_definition& d, int retention_days) {
  boost::json::array fields;
  for (const auto& f : d.fields) {
    boost::json::object o{{"name", f.name}, {"label", f.label}, {"type", name_of(f.type)}, {"required", f.required}};
    if (f.type == field_type::text || f.type == field_type::textarea) o["max"] = static_cast<std::int64_t>(max_chars(f));
    if (!f.options.empty()) {
      boost::json::array options;
      for (const auto& opt : f.options) options.push_back(boost::json::array{opt.value, opt.label});
      o["options"] = std::move(options);
    }
    if (!f.default_value.empty()) o["default"] = f.default_value;
    if (f.within_days != 0) o["within_days"] = f.within_days;
    if (!f.heading.empty()) o["heading"] = f.heading;
    if (!f.printed) o["printed"] = false;
    fields.push_back(std::move(o));
  }
  return {{"fields", std::move(fields)},
          {"consent", retention_days > 0 ? consent_text(d, retention_days) : d.consent}};
}

result<form_definition> form_from_json(const boost::json::value& v) {
  const auto bad = [](std::string what) { return fail(errc::invalid_argument, "form: " + what); };
  const auto* o = v.if_object();
  const auto* fields = o ? o->if_contains("fields") : nullptr;
  if (!fields || !fields->is_array()) return bad("not an object with \"fields\" [...]");
  form_definition d;
  d.consent = str(o->if_contains("consent"));
  for (const auto& fv : fields->as_array()) {
    const auto* fo = fv.if_object();
    if (!fo) return bad("a field is not an object");
    form_field f;
    f.name = str(fo->if_contains("name"));
    f.label = str(fo->if_contains("label"));
    const auto type = field_type_named(str(fo->if_contains("type")));
    if (!type) return bad("field \"" + text::escape_for_log(f.name, 32) + "\" has no known type");
    f.type = *type;
    if (const auto* r = fo->if_contains("required"); r && r->is_bool()) f.required = r->as_bool();
    if (const auto* m = fo->if_contains("max"); m && m->is_int64() && m->as_int64() > 0 &&
                                                m->as_int64() <= static_cast<std::int64_t>(max_text_chars)) {
      if (static_cast<std::size_t>(m->as_int64()) != default_max_chars(f.type)) f.max = static_cast<std::size_t>(m->as_int64());
    }
    if (const auto* opts = fo->if_contains("options"); opts && opts->is_array()) {
      for (const auto& ov : opts->as_array()) {
        const auto* pair = ov.if_array();
        if (!pair || pair->size() != 2) return bad("an option is not [value, label]");
        f.options.push_back({str(&(*pair)[0]), str(&(*pair)[1]), {}});
      }
    }
    f.default_value = str(fo->if_contains("default"));
    if (const auto* w = fo->if_contains("within_days"); w && w->is_int64() && w->as_int64() >= 0 &&
                                                        w->as_int64() <= max_within_days)
      f.within_days = static_cast<int>(w->as_int64());
    f.heading = str(fo->if_contains("heading"));
    if (const auto* p = fo->if_contains("printed"); p && p->is_bool()) f.printed = p->as_bool();
    d.fields.push_back(std::move(f));
  }
  if (const auto problems = check_form(d); !problems.empty()) {
    const auto& p = problems.front();
    return bad((p.field < d.fields.size() ? "field \"" + text::escape_for_log(d.fields[p.field].name, 32) + "\": " : "") +
               p.key + " " + p.message);
  }
  return d;
}

}  // namespace ravao::slip
