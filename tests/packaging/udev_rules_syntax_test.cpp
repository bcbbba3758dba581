// packaging/udev/70-ravao.rules and the output of `ravaod --print-udev-rules`
// are well-formed udev rules of the small subset they are written in. udevadm
// cannot run here (no udevd in the test environment), so this checks the
// syntax itself: KEY OP "value" pairs separated by commas, known keys only,
// match keys with ==, assignments with = or +=, balanced quotes. (Named
// *_syntax_test: tests/daemon/config/udev_rules_test.cpp tests the generator.)

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <expected>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/udev_rules.hpp"

namespace {

struct pair {
  std::string key;    // "SUBSYSTEM", "ENV{DEVTYPE}"
  std::string op;     // "==", "=", "+="
  std::string value;  // without the quotes
};

bool is_key_char(char c) { return (c >= 'A' && c <= 'Z') || c == '_'; }

// A rule line as its pairs, or what is wrong with it.
std::expected<std::vector<pair>, std::string> parse_rule(std::string_view line) {
  std::vector<pair> out;
  std::size_t i = 0;
  const auto skip_blanks = [&] {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  };
  while (true) {
    skip_blanks();
    pair p;
    const std::size_t start = i;
    while (i < line.size() && is_key_char(line[i])) ++i;
    if (i == start) return std::unexpected("expected a key at column " + std::to_string(i + 1));
    if (i < line.size() && line[i] == '{') {
      const auto close = line.find('}', i);
      if (close == std::string_view::npos || close == i + 1)
        return std::unexpected("unbalanced or empty {} at column " + std::to_string(i + 1));
      const auto attr = line.substr(i + 1, close - i - 1);
      if (!std::ranges::all_of(attr, [](char c) {
            return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                   c == '/';
          }))
        return std::unexpected("bad {} argument \"" + std::string(attr) + "\"");
      i = close + 1;
    }
    p.key = std::string(line.substr(start, i - start));
    for (std::string_view op : {"==", "+=", "="}) {  // longest first
      if (line.substr(i).starts_with(op)) {
        p.op = std::string(op);
        break;
      }
    }
    if (p.op.empty()) return std::unexpected("expected ==, = or += after " + p.key);
    i += p.op.size();
    if (i >= line.size() || line[i] != '"') return std::unexpected("expected '\"' after " + p.key + p.op);
    const auto close = line.find('"', i + 1);
    if (close == std::string_view::npos) return std::unexpected("unbalanced quotes after " + p.key + p.op);
    p.value = std::string(line.substr(i + 1, close - i - 1));
    if (p.value.find('\\') != std::string::npos) return std::unexpected("a backslash in the value of " + p.key);
    i = close + 1;
    out.push_back(std::move(p));
    skip_blanks();
    if (i == line.size()) return out;
    if (line[i] != ',') return std::unexpected("expected ',' at column " + std::to_string(i + 1));
    ++i;
    skip_blanks();
    if (i == line.size()) return std::unexpected("a trailing comma");
  }
}

bool starts(const std::string& key, std::string_view prefix) { return key.starts_with(prefix); }

// The keys these rules may use, with the operators that make sense for them:
// matches with ==, assignments with = (or += for SYMLINK and ENV).
std::string check_pair(const pair& p) {
  const bool match = p.op == "==";
  if (p.key == "SUBSYSTEM" || p.key == "KERNEL" || p.key == "ACTION" || starts(p.key, "ATTRS{") ||
      starts(p.key, "ATTR{"))
    return match ? "" : p.key + " is a match here and needs ==";  // ATTR{x}="..." would write to sysfs
  if (starts(p.key, "ENV{")) return p.op == "+=" ? p.key + " takes == or =" : "";
  if (p.key == "GROUP" || p.key == "MODE") return p.op == "=" ? "" : p.key + " takes =";
  if (p.key == "SYMLINK") return match ? "SYMLINK takes = or +=" : "";
  return "unknown key " + p.key;
}

// Checks every rule line of `text`; returns the rules, parsed.
std::vector<std::vector<pair>> check_rules(const std::string& text) {
  std::vector<std::vector<pair>> rules;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    BOOST_TEST_CONTEXT("line " << number << ": " << line) {
      BOOST_TEST(line.find('\t') == std::string::npos);
      BOOST_TEST(!line.ends_with(' '));
      if (line.empty() || line[0] == '#') continue;
      BOOST_TEST(!line.ends_with("\\"));  // no continuation lines
      const auto rule = parse_rule(line);
      BOOST_TEST_REQUIRE(rule.has_value(), (rule ? std::string() : rule.error()));
      bool has_match = false, has_assignment = false;
      for (const auto& p : *rule) {
        const std::string problem = check_pair(p);
        BOOST_TEST(problem.empty(), problem);
        (p.op == "==" ? has_match : has_assignment) = true;
        if (p.key == "GROUP") BOOST_TEST(p.value == "ravao");
        if (p.key == "MODE") BOOST_TEST(p.value == "0660");
        if (p.key == "SYMLINK") BOOST_TEST(p.value.starts_with("ravao/"));
      }
      BOOST_TEST(has_match);  // an assignment without a match would apply to every device
      BOOST_TEST(has_assignment);
      rules.push_back(*rule);
    }
  }
  return rules;
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The value of `key` in `rule`, or "" when it is not there.
std::string value_of(const std::vector<pair>& rule, std::string_view key) {
  const auto it = std::ranges::find(rule, key, &pair::key);
  return it == rule.end() ? std::string() : it->value;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(udev_rules_syntax)

BOOST_AUTO_TEST_CASE(the_parser_refuses_what_udev_would) {
  BOOST_TEST(parse_rule(R"(SUBSYSTEM=="usb", GROUP="ravao")").has_value());
  BOOST_TEST(!parse_rule(R"(SUBSYSTEM=="usb, GROUP="ravao")").has_value());
  BOOST_TEST(!parse_rule(R"(SUBSYSTEM=="usb" GROUP="ravao")").has_value());
  BOOST_TEST(!parse_rule(R"(SUBSYSTEM=="usb", )").has_value());
  BOOST_TEST(!parse_rule(R"(SUBSYSTEM=usb)").has_value());
  BOOST_TEST(!parse_rule(R"(ENV{DEVTYPE=="usb_device")").has_value());
  BOOST_TEST(check_pair({"TAG", "+=", "uaccess"}) == "unknown key TAG");
  BOOST_TEST(!check_pair({"ATTR{idVendor}", "=", "05e0"}).empty());
  BOOST_TEST(!check_pair({"GROUP", "==", "ravao"}).empty());
  BOOST_TEST(check_pair({"SYMLINK", "+=", "ravao/x"}).empty());
}

BOOST_AUTO_TEST_CASE(the_shipped_rules_are_well_formed_and_cover_the_known_devices) {
  const auto text = read_text(std::filesystem::path(RAVAO_SOURCE_DIR) / "packaging/udev/70-ravao.rules");
  BOOST_TEST_REQUIRE(!text.empty());
  BOOST_TEST(text.ends_with("\n"));
  // A headless router: GROUP and MODE only; check_rules() refuses TAG+="uaccess".
  const auto rules = check_rules(text);

  const auto has_rule = [&](std::string_view subsystem, std::string_view vendor) {
    return std::ranges::any_of(rules, [&](const auto& r) {
      const std::string id = value_of(r, "ATTR{idVendor}") + value_of(r, "ATTRS{idVendor}");
      return value_of(r, "SUBSYSTEM") == subsystem && id == vendor && value_of(r, "GROUP") == "ravao";
    });
  };
  // The scanner vendors of docs/udev.md, as USB devices (HID) and as ttys (serial).
  for (const char* vendor : {"0c2e", "05e0", "05f9", "1eab", "23d0"}) {
    BOOST_TEST_CONTEXT(vendor) {
      BOOST_TEST(has_rule("usb", vendor));
      BOOST_TEST(has_rule("tty", vendor));
    }
  }
  BOOST_TEST(has_rule("tty", "0488"));
  // Printer-class devices for libusb and usblp's /dev/usb/lp*.
  BOOST_TEST(std::ranges::any_of(rules, [](const auto& r) {
    return value_of(r, "ENV{ID_USB_INTERFACES}") == "*:0701*" && value_of(r, "ENV{DEVTYPE}") == "usb_device";
  }));
  BOOST_TEST(std::ranges::any_of(rules, [](const auto& r) {
    return value_of(r, "SUBSYSTEM") == "usbmisc" && value_of(r, "KERNEL") == "lp[0-9]*";
  }));
  // Serial scanners get a stable name.
  BOOST_TEST(std::ranges::any_of(rules, [](const auto& r) {
    return value_of(r, "SUBSYSTEM") == "tty" && value_of(r, "SYMLINK") == "ravao/scanner-%E{ID_PATH_TAG}";
  }));
}

BOOST_AUTO_TEST_CASE(generated_rules_are_well_formed) {
  auto c = ravao::parse_config(R"([site]
id = "x"
name = "X"
[[scanner]]
id = "s1"
kind = "usb-hid"
usb_id = "05e0:1300"
usb_serial = "A 1/2"
usb_port = "1-1.2"
[[scanner]]
id = "s2"
kind = "usb-hid"
usb_serial = "bad*serial"
[[counter]]
id = "c1"
name = "C1"
scanner = "s1"
[[counter]]
id = "c2"
name = "C2"
scanner = "s2"
[[printer]]
id = "p1"
kind = "usb"
[[printer]]
id = "p2"
kind = "usb"
usb_port = "3-2"
)",
                               "/etc/ravao/ravao.toml");
  BOOST_TEST_REQUIRE(c.has_value());
  BOOST_TEST(check_rules(ravao::udev_rules(*c)).size() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
