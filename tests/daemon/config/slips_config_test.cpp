// The [slips] section and the printer `profile` key.

#include <boost/test/unit_test.hpp>

#include <string>

#include "config/config.hpp"
#include "config/schema.hpp"
#include "drivers/escpos/profile.hpp"

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
printer = "p1"
)";

std::string errors_of(const std::string& text) {
  auto r = ravao::parse_config(text, file);
  BOOST_TEST_REQUIRE(!r.has_value());
  std::string out;
  for (const auto& d : r.error()) out += d.to_string() + "\n";
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(defaults_are_blank_slips_and_the_generic_profile) {
  auto c = ravao::parse_config(base + "[[printer]]\nid = \"p1\"\nkind = \"file\"\npath = \"/tmp/s\"\n", file);
  BOOST_TEST_REQUIRE(c.has_value());
  BOOST_TEST(to_string(c->slips.preprint) == "none");
  BOOST_TEST(c->slips.link_window.count() == 120);
  BOOST_TEST(c->printers[0].profile.empty());
}

BOOST_AUTO_TEST_CASE(preprint_link_window_and_profile_are_read) {
  auto c = ravao::parse_config(base +
                                   "[[printer]]\nid = \"p1\"\nkind = \"tcp\"\naddress = \"10.0.0.5:9100\"\n"
                                   "profile = \"epson-tm-t20\"\n\n[slips]\npreprint = \"masked\"\nlink_window_seconds = 30\n",
                               file);
  BOOST_TEST_REQUIRE(c.has_value());
  BOOST_TEST(to_string(c->slips.preprint) == "masked");
  BOOST_TEST(c->slips.link_window.count() == 30);
  BOOST_TEST(c->printers[0].profile == "epson-tm-t20");
}

BOOST_AUTO_TEST_CASE(bad_values_are_errors_with_lines) {
  const auto e = errors_of(base +
                           "[[printer]]\nid = \"p1\"\nkind = \"tcp\"\naddress = \"10.0.0.5:9100\"\n"
                           "paper_width_mm = 58\nprofile = \"epson-tm-t20\"\n\n[slips]\npreprint = \"full\"\n"
                           "link_window_seconds = 1\n");
  BOOST_TEST(e.find("is for 80 mm paper but paper_width_mm is 58") != std::string::npos, e);
  BOOST_TEST(e.find("ravao.toml:20:") != std::string::npos, e);  // the profile line
  BOOST_TEST(e.find("preprint") != std::string::npos, e);
  BOOST_TEST(e.find("link_window_seconds") != std::string::npos, e);
  const auto u = errors_of(base + "[[printer]]\nid = \"p1\"\nkind = \"file\"\npath = \"/tmp\"\nprofile = \"tm-88\"\n");
  BOOST_TEST(u.find("generic-58") != std::string::npos, u);  // the choices are listed
}

// The configuration's list of profile names is the encoder's table.
BOOST_AUTO_TEST_CASE(config_profiles_match_the_encoder_profiles) {
  const auto table = ravao::escpos::profiles();
  BOOST_TEST_REQUIRE(table.size() == std::size(ravao::config_schema::printer_profiles));
  for (std::size_t i = 0; i < table.size(); ++i) {
    BOOST_TEST(table[i].name == ravao::config_schema::printer_profiles[i].name);
    BOOST_TEST(table[i].dots_per_line == (ravao::config_schema::printer_profile_paper_mm[i] == 80 ? 576 : 384));
  }
}
