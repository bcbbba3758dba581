// The [form] section: a province's own declaration form in ravao.toml, and
// every problem with it reported as FILE:LINE.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "slip/form_definition.hpp"

namespace slip = ravao::slip;

namespace {

const std::filesystem::path file = "/etc/ravao/ravao.toml";

const std::string base = R"([site]
id = "gl-pleiku"
name = "Bưu điện tỉnh Gia Lai"

[[scanner]]
id = "s1"
kind = "serial"
device = "/dev/ttyACM0"

[[counter]]
id = "c1"
name = "Quầy 1"
scanner = "s1"
)";

// A small valid form.
const std::string small_form = R"([form]
consent = "Tôi đồng ý, lưu {retention_days} ngày."
[[form.field]]
name = "name"
label = "Họ và tên"
type = "text"
required = true
[[form.field]]
name = "sex"
label = "Giới tính"
type = "choice"
options = [["male", "Nam", "m"], ["female", "Nữ", "nu", "f"], ["other", "Khác"]]
[[form.field]]
name = "commune"
label = "Xã/phường"
type = "text"
max = 60
heading = "Địa chỉ"
)";

std::string errors_of(const std::string& text) {
  auto r = ravao::parse_config(text, file);
  BOOST_TEST_REQUIRE(!r.has_value());
  std::string out;
  for (const auto& d : r.error()) out += d.to_string() + "\n";
  return out;
}

// The line of `text` where `needle` first occurs (1-based).
int line_of(const std::string& text, const std::string& needle) {
  const auto at = text.find(needle);
  BOOST_TEST_REQUIRE(at != std::string::npos, needle);
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

// `good` with its first `from` replaced by `to`.
std::string changed(const std::string& from, const std::string& to) {
  std::string text = base + small_form;
  const auto at = text.find(from);
  BOOST_TEST_REQUIRE(at != std::string::npos, from);
  return text.replace(at, from.size(), to);
}

// The one error of `text`: on the line holding `where`, saying `words`.
void one_error(const std::string& text, const std::string& where, const std::string& words) {
  const int line = line_of(text, where);
  const std::string e = errors_of(text);
  BOOST_TEST_CONTEXT(e) {
    BOOST_TEST(e.find("/etc/ravao/ravao.toml:" + std::to_string(line) + ": ") == 0u);
    BOOST_TEST(e.find(words) != std::string::npos);
    BOOST_TEST(e.find('\n') == e.size() - 1);  // exactly one
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(without_a_form_section_the_default_form_is_used) {
  auto c = ravao::parse_config(base, file);
  BOOST_TEST_REQUIRE(c.has_value());
  BOOST_TEST((c->form == slip::default_form()));
}

BOOST_AUTO_TEST_CASE(a_province_form_replaces_the_fields_in_its_order) {
  auto c = ravao::parse_config(base + small_form, file);
  BOOST_TEST_REQUIRE(c.has_value());
  const auto& f = c->form;
  BOOST_TEST_REQUIRE(f.fields.size() == 3u);
  BOOST_TEST(f.fields[0].name == "name");
  BOOST_TEST(f.fields[0].required);
  BOOST_TEST(f.fields[1].name == "sex");
  BOOST_TEST((f.fields[1].type == slip::field_type::choice));
  BOOST_TEST_REQUIRE(f.fields[1].options.size() == 3u);
  BOOST_TEST(f.fields[1].options[1].label == "Nữ");
  BOOST_TEST(f.fields[1].options[1].aliases == (std::vector<std::string>{"nu", "f"}), boost::test_tools::per_element());
  BOOST_TEST(f.fields[2].max == 60u);
  BOOST_TEST(f.fields[2].heading == "Địa chỉ");
  BOOST_TEST(slip::consent_text(f, 30) == "Tôi đồng ý, lưu 30 ngày.");
}

BOOST_AUTO_TEST_CASE(only_the_consent_may_change_and_the_default_fields_stay) {
  auto c = ravao::parse_config(base + "[form]\nconsent = \"Đồng ý.\"\n", file);
  BOOST_TEST_REQUIRE(c.has_value());
  BOOST_TEST(c->form.consent == "Đồng ý.");
  BOOST_TEST(c->form.fields.size() == slip::default_form().fields.size());
}

BOOST_AUTO_TEST_CASE(every_problem_names_its_line) {
  // Types of keys.
  one_error(changed("required = true", "required = \"yes\""), "required = \"yes\"", "required must be true or false");
  one_error(changed("max = 60", "max = \"60\""), "max = ", "max must be a whole number");
  one_error(changed("max = 60", "max = 0"), "max = ", "max is 0");
  one_error(changed("max = 60", "max = 5000"), "max = ", "max is 5000 (at most 1000)");
  one_error(changed("type = \"choice\"", "type = \"radio\""), "type = \"radio\"",
            "type \"radio\" is unknown (expected text, textarea");
  one_error(changed("options = [[\"male\", \"Nam\", \"m\"], ", "options = [[\"male\"], "), "options = ",
            "options must be an array of [value, label, alias...]");
  one_error(changed("heading = \"Địa chỉ\"", "colour = \"red\""), "colour", "unknown key \"colour\"");
  one_error(changed("consent = ", "consnet = "), "consnet", "form: unknown key \"consnet\"");
  {
    const std::string t = changed("label = \"Giới tính\"\n", "");
    one_error(t, "[[form.field]]\nname = \"sex\"", "form field #2 \"sex\": label is required");
  }
  one_error(changed("type = \"text\"\nrequired", "required"), "[[form.field]]", "type is required");
  // Rules of a definition.
  one_error(changed("name = \"commune\"", "name = \"Commune\""), "name = \"Commune\"",
            "name must be 1 to 32 of a-z 0-9 _");
  one_error(changed("name = \"commune\"", "name = \"sex\"\n"), "name = \"sex\"\n\n",
            "\"sex\" is already the name of field #2");
  one_error(changed("label = \"Xã/phường\"", "label = \"\""), "label = \"\"", "label is empty");
  one_error(changed("label = \"Xã/phường\"", "label = \"Xã  phường\""), "Xã  phường", "label is not in normal form");
  one_error(changed("label = \"Xã/phường\"", "label = \"Xã\\u202Ephường\""), "u202E", "control or invisible");
  one_error(changed("max = 60", "max = 60\noptions = [[\"a\", \"A\"], [\"b\", \"B\"]]"), "[[\"a\"",
            "options applies only to choice fields");
  one_error(changed("[\"other\", \"Khác\"]", "[\"other\", \"nam\"]"), "options = ",
            "two options are both spelled \"NAM\"");
  one_error(changed("[\"male\", \"Nam\", \"m\"], [\"female\", \"Nữ\", \"nu\", \"f\"], ", ""), "options = ",
            "has 1 options (2 to 20)");
  one_error(changed("max = 60", "within_days = 3"), "within_days", "within_days applies only to date fields");
  one_error(changed("type = \"text\"\nmax = 60", "type = \"date\"\ndefault = \"yesterday\""), "yesterday",
            "default of a date field may only be \"today\"");
  one_error(changed("type = \"text\"\nrequired = true", "type = \"text\""), "[form]",
            "needs a required text field named \"name\"");
  one_error(changed("consent = \"Tôi đồng ý, lưu {retention_days} ngày.\"", "consent = \"\""), "consent",
            "consent is empty");
}

BOOST_AUTO_TEST_CASE(problems_are_all_reported_in_line_order) {
  const std::string text = base + R"([form]
[[form.field]]
name = "name"
label = ""
type = "text"
required = true
[[form.field]]
name = "x"
label = "X"
type = "choice"
)";
  const std::string e = errors_of(text);
  BOOST_TEST(e == "/etc/ravao/ravao.toml:" + std::to_string(line_of(text, "label = \"\"")) +
                      ": form field #1 \"name\": label is empty\n/etc/ravao/ravao.toml:" +
                      std::to_string(line_of(text, "name = \"x\"") - 1) +
                      ": form field #2 \"x\": options has 0 options (2 to 20)\n");
}
