// The form definition: today's default form (two-tier address, consent under
// Law 91/2025/QH15), its JSON for the `form` command and print jobs, and
// validation against a province's own definition.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "slip/declaration.hpp"
#include "slip/form_definition.hpp"

namespace slip = ravao::slip;
using fields = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr std::string_view today = "2026-11-23";

const slip::form_field* find(const slip::form_definition& d, std::string_view name) {
  const auto it = std::ranges::find(d.fields, name, &slip::form_field::name);
  return it == d.fields.end() ? nullptr : &*it;
}

std::vector<std::string> names_of(const slip::form_definition& d) {
  std::vector<std::string> out;
  for (const auto& f : d.fields) out.push_back(f.name);
  return out;
}

// A province's form: its own fields, a choice with aliases, a date with no window.
slip::form_definition province_form() {
  slip::form_definition d;
  d.consent = "Đồng ý ({retention_days} ngày).";
  slip::form_field name{.name = "name", .label = "Họ và tên", .type = slip::field_type::text, .required = true};
  name.max = 20;
  slip::form_field job{.name = "job", .label = "Nghề nghiệp", .type = slip::field_type::choice};
  job.options = {{"farmer", "Nông dân", {"nd"}}, {"worker", "Công nhân", {}}, {"other", "Khác", {}}};
  slip::form_field visit{.name = "visited", .label = "Ngày đến", .type = slip::field_type::date, .required = true};
  slip::form_field note{.name = "note", .label = "Ghi chú", .type = slip::field_type::textarea};
  note.default_value = "không";
  d.fields = {name, job, visit, note};
  return d;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_default_form_is_valid) {
  const auto problems = slip::check_form(slip::default_form());
  for (const auto& p : problems) BOOST_TEST_MESSAGE(p.key << ": " << p.message);
  BOOST_TEST(problems.empty());
}

BOOST_AUTO_TEST_CASE(the_default_address_has_two_tiers_and_no_district) {
  // Since 1 July 2025: province/city, then ward/commune/special zone.
  const auto& d = slip::default_form();
  const auto names = names_of(d);
  const auto province = std::ranges::find(names, "province");
  const auto ward = std::ranges::find(names, "ward");
  const auto address = std::ranges::find(names, "address");
  BOOST_TEST_REQUIRE((province != names.end() && ward != names.end() && address != names.end()));
  BOOST_TEST((province < ward && ward < address));
  BOOST_TEST(find(d, "province")->label == "Tỉnh/thành phố");
  BOOST_TEST(find(d, "ward")->label == "Phường/xã/đặc khu");
  BOOST_TEST(find(d, "address")->label.starts_with("Số nhà, đường"));
  for (const auto& f : d.fields) {
    BOOST_TEST(f.label.find("Quận") == std::string::npos, f.name);
    BOOST_TEST(f.label.find("huyện") == std::string::npos, f.name);
    BOOST_TEST(f.name != "district");
  }
}

BOOST_AUTO_TEST_CASE(the_default_consent_names_law_91_2025_not_decree_13) {
  const std::string c = slip::consent_text(slip::default_form(), 30);
  BOOST_TEST(c.find("Luật Bảo vệ dữ liệu cá nhân") != std::string::npos);
  BOOST_TEST(c.find("91/2025/QH15") != std::string::npos);
  BOOST_TEST(c.find("13/2023") == std::string::npos);
  BOOST_TEST(c.find("Nghị định") == std::string::npos);
  BOOST_TEST(c.find("không quá 30 ngày") != std::string::npos);
  BOOST_TEST(c.find("{retention_days}") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_default_keeps_the_names_ravaoctl_declare_took) {
  const auto names = names_of(slip::default_form());
  for (const char* n : {"name", "birth", "sex", "nationality", "id", "phone", "address", "fever", "cough", "breath",
                        "throat", "taste", "other", "contact", "travel", "date"})
    BOOST_TEST((std::ranges::find(names, n) != names.end()), n);
}

BOOST_AUTO_TEST_CASE(form_json_is_what_the_web_page_draws) {
  const auto j = slip::to_json(slip::default_form(), 30);
  const auto& list = j.at("fields").as_array();
  BOOST_TEST_REQUIRE(list.size() == slip::default_form().fields.size());
  const auto& name = list[0].as_object();
  BOOST_TEST(name.at("name").as_string() == "name");
  BOOST_TEST(name.at("label").as_string() == "Họ và tên");
  BOOST_TEST(name.at("type").as_string() == "text");
  BOOST_TEST(name.at("required").as_bool());
  BOOST_TEST(name.at("max").as_int64() == 100);
  const auto& sex = list[2].as_object();
  BOOST_TEST(sex.at("type").as_string() == "choice");
  BOOST_TEST(boost::json::serialize(sex.at("options")) == R"([["male","Nam"],["female","Nữ"]])");
  BOOST_TEST(!sex.contains("max"));
  BOOST_TEST(j.at("consent").as_string().find("không quá 30 ngày") != boost::json::string::npos);
  // Every type spelled as the contract says.
  for (const auto& f : list) {
    const std::string_view type = f.at("type").as_string();
    BOOST_TEST(slip::field_type_named(type).has_value(), type);
  }
}

BOOST_AUTO_TEST_CASE(form_json_reads_back_for_print_jobs) {
  for (const auto& d : {slip::default_form(), province_form()}) {
    auto back = slip::form_from_json(slip::to_json(d));
    BOOST_TEST_REQUIRE(back.has_value(), (back ? std::string() : back.error().message()));
    BOOST_TEST(names_of(*back) == names_of(d), boost::test_tools::per_element());
    BOOST_TEST(back->consent == d.consent);
    for (std::size_t i = 0; i < d.fields.size(); ++i) {
      BOOST_TEST(back->fields[i].label == d.fields[i].label);
      BOOST_TEST((back->fields[i].type == d.fields[i].type));
      BOOST_TEST(back->fields[i].options.size() == d.fields[i].options.size());
      BOOST_TEST(back->fields[i].printed == d.fields[i].printed);
      BOOST_TEST(slip::max_chars(back->fields[i]) == slip::max_chars(d.fields[i]));
    }
  }
  for (const char* bad : {"[]", "{}", R"({"fields":[{"name":"name","label":"A","type":"blob"}]})",
                          R"({"fields":[{"name":"x","label":"X","type":"text"}],"consent":"c"})",
                          R"({"fields":[1],"consent":"c"})"}) {
    BOOST_TEST(!slip::form_from_json(boost::json::parse(bad)).has_value(), bad);
  }
}

BOOST_AUTO_TEST_CASE(a_province_form_validates_its_own_fields) {
  const auto form = province_form();
  BOOST_TEST_REQUIRE(slip::check_form(form).empty());
  auto ok = slip::parse_declaration(form, {{"name", "Lê Thị Hoa"}, {"job", "ND"}, {"visited", "20/11/2026"}}, today);
  BOOST_TEST_REQUIRE(ok.has_value());
  BOOST_TEST(ok->value("job") == "farmer");
  BOOST_TEST(ok->value("visited") == "2026-11-20");
  BOOST_TEST(ok->value("note") == "không");
  BOOST_TEST(boost::json::serialize(slip::to_json(*ok)) ==
             R"({"name":"Lê Thị Hoa","job":"farmer","visited":"2026-11-20","note":"không"})");
  BOOST_TEST(slip::parse_declaration(form, {{"name", "A"}, {"job", "Công nhân"}, {"visited", "2026-01-01"}}, today)
                 ->value("job") == "worker");

  auto bad = slip::parse_declaration(
      form, {{"name", std::string(21, 'a')}, {"job", "teacher"}, {"visited", "2026-12-01"}, {"phone", "0912345678"}},
      today);
  BOOST_TEST_REQUIRE(!bad.has_value());
  std::vector<std::string> got;
  for (const auto& e : bad.error()) got.push_back(e.field);
  // The unknown name first (input order), then the fields in form order.
  BOOST_TEST(got == (std::vector<std::string>{"phone", "name", "job", "visited"}), boost::test_tools::per_element());
  BOOST_TEST(bad.error()[2].message.find("Nông dân (farmer, nd)") != std::string::npos);
  BOOST_TEST(bad.error()[2].message_vi == "Nghề nghiệp phải là một trong: Nông dân, Công nhân, Khác");
  BOOST_TEST(bad.error()[3].message_vi == "Ngày đến sau ngày hôm nay (23/11/2026)");
  BOOST_TEST(bad.error()[1].message_vi == "Họ và tên dài 21 ký tự (tối đa 20)");
  BOOST_TEST(bad.error()[0].message_vi == "Mục \"phone\" không có trong tờ khai");

  auto missing = slip::parse_declaration(form, {{"name", "A"}}, today);
  BOOST_TEST_REQUIRE(!missing.has_value());
  BOOST_TEST(missing.error().size() == 1u);
  BOOST_TEST(missing.error()[0].message_vi == "Ngày đến là bắt buộc");
}

BOOST_AUTO_TEST_CASE(every_error_has_a_vietnamese_sentence_with_the_label) {
  const fields bad = {{"name", ""},        {"birth", "2027"},    {"sex", "x"},       {"id", "12"},
                      {"phone", "0123"},    {"fever", "maybe"},   {"date", "2026-01-01"},
                      {"province", "Gia\x1b Lai"}};
  auto r = slip::parse_declaration(bad, today);
  BOOST_TEST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().size() == bad.size());
  for (const auto& e : r.error()) {
    const auto* f = find(slip::default_form(), e.field);
    BOOST_TEST_REQUIRE(f != nullptr, e.field);
    BOOST_TEST(e.message_vi.starts_with(f->label + " "), e.message_vi);
    BOOST_TEST(e.message_vi.size() > f->label.size() + 4, e.message_vi);
  }
  const auto vi = [&](std::string_view field) {
    for (const auto& e : r.error())
      if (e.field == field) return e.message_vi;
    return std::string();
  };
  BOOST_TEST(vi("name") == "Họ và tên là bắt buộc nhưng đang để trống");
  BOOST_TEST(vi("birth") == "Ngày sinh sau năm nay (2026)");
  BOOST_TEST(vi("sex") == "Giới tính phải là một trong: Nam, Nữ");
  BOOST_TEST(vi("phone").starts_with("Số điện thoại không hợp lệ: "));
  BOOST_TEST(vi("fever") == "Sốt phải là Có hoặc Không");
  BOOST_TEST(vi("date") == "Ngày khai đã quá 14 ngày (sớm nhất là ngày 09/11/2026)");
  BOOST_TEST(vi("province").starts_with("Tỉnh/thành phố có ký tự điều khiển hoặc ký tự ẩn (U+001B"));
}
