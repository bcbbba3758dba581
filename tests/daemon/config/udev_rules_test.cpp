#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/udev_rules.hpp"

namespace {

std::string toml(std::string_view text) {
  if (text.starts_with('\n')) text.remove_prefix(1);
  return std::string(text);
}

// [site] and one stdin scanner at counter c0 (lines 1-10); USB entries follow
// from line 11.
const std::string base = toml(R"(
[site]
id = "x"
name = "X"
[[scanner]]
id = "s0"
kind = "stdin"
[[counter]]
id = "c0"
name = "C0"
scanner = "s0"
)");

ravao::config load(const std::string& text) {
  auto r = ravao::parse_config(text, "/etc/ravao/ravao.toml");
  if (!r)
    for (const auto& d : r.error()) BOOST_TEST_MESSAGE(d.to_string());
  BOOST_TEST_REQUIRE(r.has_value());
  return std::move(*r);
}

// The lines of `text` that are not comments or blank.
std::vector<std::string> rules_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto end = text.find('\n', at);
    const std::string line = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (!line.empty() && line[0] != '#') out.push_back(line);
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return out;
}

using lines = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_SUITE(udev_rules)

BOOST_AUTO_TEST_CASE(one_rule_per_usb_entry_with_every_criterion) {
  const auto c = load(base + toml(R"(
[[scanner]]
id = "s1"
kind = "usb-hid"
usb_id = "05E0:1300"
[[scanner]]
id = "s2"
kind = "usb-hid"
mode = "pos"
usb_port = "1-1.2"
[[scanner]]
id = "s3"
kind = "usb-hid"
usb_serial = "HW-0042"
[[scanner]]
id = "s4"
kind = "usb-hid"
usb_id = "0c2e:0b61"
usb_serial = "A1"
usb_port = "2-3.1"
[[scanner]]
id = "s5"
kind = "serial"
device = "/dev/ttyACM0"
[[counter]]
id = "c1"
name = "C1"
scanner = "s1"
[[counter]]
id = "c2"
name = "C2"
scanner = "s2"
[[counter]]
id = "c3"
name = "C3"
scanner = "s3"
[[counter]]
id = "c4"
name = "C4"
scanner = "s4"
[[counter]]
id = "c5"
name = "C5"
scanner = "s5"
[[printer]]
id = "p1"
kind = "usb"
usb_id = "04b8:0202"
[[printer]]
id = "p2"
kind = "usb"
[[printer]]
id = "p3"
kind = "lp"
device = "/dev/usb/lp0"
)"));
  const std::string text = ravao::udev_rules(c);
  BOOST_TEST(rules_of(text) ==
                 (lines{
                     R"(SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{idVendor}=="05e0", ATTR{idProduct}=="1300", GROUP="ravao", MODE="0660")",
                     R"(SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", KERNEL=="1-1.2", GROUP="ravao", MODE="0660")",
                     R"(SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{serial}=="HW-0042", GROUP="ravao", MODE="0660")",
                     R"(SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{idVendor}=="0c2e", ATTR{idProduct}=="0b61", ATTR{serial}=="A1", KERNEL=="2-3.1", GROUP="ravao", MODE="0660")",
                     R"(SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{idVendor}=="04b8", ATTR{idProduct}=="0202", GROUP="ravao", MODE="0660")",
                     R"(SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ENV{ID_USB_INTERFACES}=="*:0701*", GROUP="ravao", MODE="0660")",
                 }),
             boost::test_tools::per_element());
  // Each rule follows a comment naming its entry and where it is declared.
  for (const char* comment : {
           "# scanner \"s1\" (usb-hid, line 11): usb_id 05e0:1300\nSUBSYSTEM",
           "# scanner \"s2\" (usb-hid, line 15): port 1-1.2\nSUBSYSTEM",
           "# scanner \"s3\" (usb-hid, line 20): serial HW-0042\nSUBSYSTEM",
           "# scanner \"s4\" (usb-hid, line 24): usb_id 0c2e:0b61, serial A1, port 2-3.1\nSUBSYSTEM",
           "# printer \"p1\" (usb, line 54): usb_id 04b8:0202\nSUBSYSTEM",
           "# printer \"p2\" (usb, line 58): any USB printer-class device\nSUBSYSTEM",
       }) {
    BOOST_TEST_CONTEXT(comment) { BOOST_TEST(text.find(comment) != std::string::npos); }
  }
  BOOST_TEST(text.starts_with("# udev rules for the USB devices named in /etc/ravao/ravao.toml,\n"));
  BOOST_TEST(text.find("udevadm control --reload") != std::string::npos);
  // Serial scanners and non-USB printers have no rule of their own.
  BOOST_TEST(text.find("s5") == std::string::npos);
  BOOST_TEST(text.find("p3") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_serial_number_a_rule_cannot_hold_gets_a_comment) {
  for (const char* serial : {R"(A\"1)", R"(A\\1)", "A*1", "A?1", "A[1]", "A|1", "A$1", "A%1", "Số1"}) {
    BOOST_TEST_CONTEXT(serial) {
      const auto c = load(base + toml(R"(
[[scanner]]
id = "s1"
kind = "usb-hid"
usb_id = "05e0:1300"
usb_serial = ")") + serial + toml(R"("
[[counter]]
id = "c1"
name = "C1"
scanner = "s1"
)"));
      const std::string text = ravao::udev_rules(c);
      BOOST_TEST(rules_of(text).empty());
      BOOST_TEST(text.find("# scanner \"s1\" (usb-hid, line 11): usb_id 05e0:1300, serial ") != std::string::npos);
      BOOST_TEST(text.find("# no rule: its usb_serial has characters a udev rule cannot match literally") !=
                 std::string::npos);
    }
  }
  // Spaces and ordinary punctuation are fine inside the quotes.
  const auto c = load(base + toml(R"(
[[printer]]
id = "p1"
kind = "usb"
usb_serial = "TM T88 #7/b-c_d.e:f"
)"));
  BOOST_TEST(rules_of(ravao::udev_rules(c)) ==
                 (lines{R"(SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{serial}=="TM T88 #7/b-c_d.e:f", GROUP="ravao", MODE="0660")"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_configuration_without_usb_devices_has_no_rules) {
  const std::string text = ravao::udev_rules(load(base));
  BOOST_TEST(rules_of(text).empty());
  BOOST_TEST(text.find("no usb-hid scanner and no usb printer") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
