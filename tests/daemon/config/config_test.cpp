#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace {

using namespace std::chrono_literals;

// Every test file is "/etc/ravao/ravao.toml", so relative paths resolve
// against /etc/ravao whatever the working folder.
const std::filesystem::path file = "/etc/ravao/ravao.toml";

// Test documents start on the line after R"( so that editor line numbers
// minus the literal's first line are the TOML line numbers.
std::string toml(std::string_view text) {
  if (text.starts_with('\n')) text.remove_prefix(1);
  return std::string(text);
}

// The valid minimum: every key with a default left out.
const std::string minimal = toml(R"(
[site]
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
)");

ravao::config ok(const std::string& text) {
  auto r = ravao::parse_config(text, file);
  if (!r) {
    for (const auto& d : r.error()) BOOST_TEST_MESSAGE(d.to_string());
  }
  BOOST_TEST_REQUIRE(r.has_value());
  return std::move(*r);
}

// Every diagnostic, as the daemon prints it.
std::vector<std::string> errors(const std::string& text) {
  auto r = ravao::parse_config(text, file);
  BOOST_TEST_REQUIRE(!r.has_value());
  std::vector<std::string> out;
  for (const auto& d : r.error()) out.push_back(d.to_string());
  return out;
}

using lines = std::vector<std::string>;

// One usb-hid scanner, its keys written from line 11.
std::string usb_scanner(std::string_view keys) {
  return toml(R"(
[site]
id = "x"
name = "X"
[[counter]]
id = "c1"
name = "C"
scanner = "s1"
[[scanner]]
id = "s1"
kind = "usb-hid"
)") + std::string(keys);
}

// Two usb-hid scanners at counters c1 and c2, each with its own keys.
std::string two_usb_scanners(std::string_view first, std::string_view second) {
  return toml(R"(
[site]
id = "x"
name = "X"
[[counter]]
id = "c1"
name = "C1"
scanner = "s1"
[[counter]]
id = "c2"
name = "C2"
scanner = "s2"
[[scanner]]
id = "s1"
kind = "usb-hid"
)") + std::string(first) +
         "[[scanner]]\nid = \"s2\"\nkind = \"usb-hid\"\n" + std::string(second);
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_load)

BOOST_AUTO_TEST_CASE(minimal_config_takes_the_documented_defaults) {
  const auto c = ok(minimal);
  BOOST_TEST(c.source == file);
  BOOST_TEST(c.site.id == "gl-pleiku");
  BOOST_TEST(c.site.name == "Bưu điện tỉnh Gia Lai");
  BOOST_TEST(c.site.utc_offset.count() == 7 * 60);
  BOOST_TEST(c.store.path == "/var/lib/ravao/ravao.db");
  BOOST_TEST(c.store.retention_days == 30);
  BOOST_TEST(c.control.socket == "/run/ravao/ravaod.sock");
  BOOST_TEST(c.control.group.empty());
  BOOST_TEST(c.visits.duplicate_window.count() == 5000);
  BOOST_TEST(c.visits.max_duration.count() == 240 * 60);
  BOOST_TEST(!c.visits.end_of_day.has_value());
  BOOST_TEST_REQUIRE(c.scanners.size() == 1u);
  BOOST_TEST(c.scanners[0].baud == 9600u);
  BOOST_TEST(c.scanners[0].max_scan_bytes == 8192u);
  BOOST_TEST(c.scanners[0].line == 5);
  BOOST_TEST_REQUIRE(c.counters.size() == 1u);
  BOOST_TEST(c.counters[0].line == 10);
  BOOST_TEST((c.counters[0].mode == ravao::counter_mode::toggle));
  BOOST_TEST(!c.counters[0].printer.has_value());
  BOOST_TEST(c.find_scanner("s1") == &c.scanners[0]);
  BOOST_TEST(c.find_scanner("s2") == nullptr);
  BOOST_TEST(c.find_counter("c1") == &c.counters[0]);
  BOOST_TEST(c.counter_for_scanner("s1") == &c.counters[0]);
  BOOST_TEST(c.printers.empty());
}

BOOST_AUTO_TEST_CASE(every_value_is_stored) {
  const auto c = ok(toml(R"(
[site]
id = "hcm.q1_central-01"
name = "Bưu điện Trung tâm Sài Gòn"
utc_offset = "-03:30"
[store]
path = "/srv/ravao/visits.db"
retention_days = 3650
[control]
socket = "/run/r.sock"
group = "ravao-ops"
[visits]
duplicate_window_ms = 0
max_duration_minutes = 10080
end_of_day = "23:59"
[[scanner]]
id = "a"
kind = "serial"
device = "/dev/ttyS0"
baud = 921600
max_scan_bytes = 64
[[scanner]]
id = "b"
kind = "stdin"
max_scan_bytes = 65536
[[counter]]
id = "in"
name = "Lối vào"
scanner = "a"
printer = "p-usb"
mode = "entry"
[[counter]]
id = "out"
name = "Lối ra"
scanner = "b"
mode = "exit"
[[printer]]
id = "p-usb"
kind = "usb"
paper_width_mm = 58
[[printer]]
id = "p-lp"
kind = "lp"
device = "/dev/usb/lp0"
[[printer]]
id = "p-tcp"
kind = "tcp"
address = "[fd00::5]:9100"
[[printer]]
id = "p-serial"
kind = "serial"
device = "/dev/ttyUSB1"
[[printer]]
id = "p-file"
kind = "file"
path = "/tmp/slips"
)"));
  BOOST_TEST(c.site.id == "hcm.q1_central-01");
  BOOST_TEST(c.site.utc_offset.count() == -(3 * 60 + 30));
  BOOST_TEST(c.store.path == "/srv/ravao/visits.db");
  BOOST_TEST(c.store.retention_days == 3650);
  BOOST_TEST(c.control.socket == "/run/r.sock");
  BOOST_TEST(c.control.group == "ravao-ops");
  BOOST_TEST(c.visits.duplicate_window.count() == 0);
  BOOST_TEST(c.visits.max_duration.count() == 7 * 24 * 3600);
  BOOST_TEST_REQUIRE(c.visits.end_of_day.has_value());
  BOOST_TEST(c.visits.end_of_day->count() == 23 * 60 + 59);
  BOOST_TEST_REQUIRE(c.scanners.size() == 2u);
  BOOST_TEST(c.scanners[0].device == "/dev/ttyS0");
  BOOST_TEST(c.scanners[0].baud == 921600u);
  BOOST_TEST(c.scanners[0].max_scan_bytes == 64u);
  BOOST_TEST((c.scanners[1].kind == ravao::scanner_kind::stdin_));
  BOOST_TEST(c.scanners[1].max_scan_bytes == 65536u);
  BOOST_TEST_REQUIRE(c.counters.size() == 2u);
  BOOST_TEST((c.counters[0].mode == ravao::counter_mode::entry));
  BOOST_TEST(c.counters[0].printer.value_or("") == "p-usb");
  BOOST_TEST((c.counters[1].mode == ravao::counter_mode::exit));
  BOOST_TEST_REQUIRE(c.printers.size() == 5u);
  BOOST_TEST((c.printers[0].kind == ravao::printer_kind::usb));
  BOOST_TEST(c.printers[0].paper_width_mm == 58);
  BOOST_TEST(c.printers[1].device == "/dev/usb/lp0");
  BOOST_TEST(c.printers[1].paper_width_mm == 80);
  BOOST_TEST(c.printers[2].address == "[fd00::5]:9100");
  BOOST_TEST((c.printers[3].kind == ravao::printer_kind::serial));
  BOOST_TEST(c.printers[4].path == "/tmp/slips");
  BOOST_TEST(c.find_printer("p-tcp") == &c.printers[2]);
}

BOOST_AUTO_TEST_CASE(relative_paths_resolve_against_the_config_folder) {
  const auto c = ok(toml(R"(
[site]
id = "x"
name = "X"
[store]
path = "../../var/lib/ravao.db"
[control]
socket = "run/ravaod.sock"
[[scanner]]
id = "s1"
kind = "serial"
device = "./pty/scanner"
[[counter]]
id = "c1"
name = "C"
scanner = "s1"
[[printer]]
id = "p"
kind = "file"
path = "slips/"
)"));
  BOOST_TEST(c.store.path == "/var/lib/ravao.db");
  BOOST_TEST(c.control.socket == "/etc/ravao/run/ravaod.sock");
  BOOST_TEST(c.scanners[0].device == "/etc/ravao/pty/scanner");
  BOOST_TEST(c.printers[0].path == "/etc/ravao/slips/");
}

BOOST_AUTO_TEST_CASE(example_and_demo_files_load_cleanly) {
  const std::filesystem::path root = RAVAO_SOURCE_DIR;
  for (const char* name : {"config/ravao.example.toml", "config/demo.toml"}) {
    BOOST_TEST_CONTEXT(name) {
      const auto r = ravao::load_config(root / name);
      if (!r)
        for (const auto& d : r.error()) BOOST_TEST_MESSAGE(d.to_string());
      BOOST_TEST(r.has_value());
    }
  }
  const auto demo = ravao::load_config(root / "config/demo.toml");
  BOOST_TEST_REQUIRE(demo.has_value());
  const auto tree = std::filesystem::absolute(root).lexically_normal();
  BOOST_TEST(demo->store.path == tree / "var/demo/ravao.db");
  BOOST_TEST(demo->control.socket == tree / "var/demo/ravaod.sock");
  BOOST_TEST_REQUIRE(demo->scanners.size() == 1u);
  BOOST_TEST((demo->scanners[0].kind == ravao::scanner_kind::stdin_));
  BOOST_TEST_REQUIRE(demo->counters.size() == 1u);
  BOOST_TEST((demo->counters[0].mode == ravao::counter_mode::toggle));
}

// The example's commented-out USB entries are valid once uncommented.
BOOST_AUTO_TEST_CASE(example_usb_entries_load_once_uncommented) {
  std::istringstream in(read_text(std::filesystem::path(RAVAO_SOURCE_DIR) / "config/ravao.example.toml"));
  std::string text, line;
  int uncommented = 0;
  while (std::getline(in, line)) {
    // "# [[scanner]]", "# usb_port = ...": a TOML line behind "# "; prose has more spaces or no '='.
    const bool toml_line = line.starts_with("# [[") ||
                           (line.starts_with("# ") && line.size() > 2 && line[2] >= 'a' && line[2] <= 'z' &&
                            line.find(" = ") != std::string::npos && line.find(' ', 2) == line.find(" = "));
    if (toml_line) {
      line.erase(0, 2);
      ++uncommented;
    }
    text += line + "\n";
  }
  BOOST_TEST(uncommented > 10);
  const auto c = ok(text);
  const auto* s = c.find_scanner("quay3-scanner");
  BOOST_TEST_REQUIRE(s != nullptr);
  BOOST_TEST((s->kind == ravao::scanner_kind::usb_hid));
  BOOST_TEST(s->usb.port == "1-1.2");
  const auto* p = c.find_printer("quay3-printer");
  BOOST_TEST_REQUIRE(p != nullptr);
  BOOST_TEST((p->kind == ravao::printer_kind::usb));
  BOOST_TEST(p->usb.to_string() == "port 1-1.3");
  BOOST_TEST(c.find_counter("quay-3") != nullptr);
}

BOOST_AUTO_TEST_CASE(unreadable_file_is_one_diagnostic_without_line) {
  const auto missing = ravao::load_config("/nonexistent/ravao.toml");
  BOOST_TEST_REQUIRE(!missing.has_value());
  BOOST_TEST(missing.error().size() == 1u);
  BOOST_TEST(missing.error()[0].line == 0);
  BOOST_TEST(missing.error()[0].to_string() == "/nonexistent/ravao.toml: cannot read: No such file or directory");

  const auto folder = ravao::load_config(RAVAO_SOURCE_DIR "/config");
  BOOST_TEST_REQUIRE(!folder.has_value());
  BOOST_TEST(folder.error()[0].to_string() == RAVAO_SOURCE_DIR "/config: cannot read: Is a directory");
}

BOOST_AUTO_TEST_CASE(toml_syntax_error_has_its_line) {
  BOOST_TEST(errors(toml(R"(
[site]
id = "x"
name = "X
)")) == (lines{"/etc/ravao/ravao.toml:3: invalid TOML: Error while parsing string: unescaped control characters "
                 "other than TAB (U+0009) are explicitly prohibited"}),
             boost::test_tools::per_element());
  BOOST_TEST(errors(toml(R"(
[site]
id = "x"
id = "y"
)")) == (lines{"/etc/ravao/ravao.toml:3: invalid TOML: Error while parsing key-value pair: cannot redefine "
                 "existing string 'id'"}),
             boost::test_tools::per_element());
}

// Found by config_fuzz: toml++ quotes the offending byte verbatim, here a
// newline, which split the diagnostic over two lines.
BOOST_AUTO_TEST_CASE(regression_raw_newline_in_toml_error) {
  BOOST_TEST(errors("[site]\nname =t\nid = \"x\"\n") ==
                 (lines{R"(/etc/ravao/ravao.toml:2: invalid TOML: Error while parsing boolean: expected 'true', saw 't\x0a')"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(unknown_keys_are_errors_with_a_suggestion) {
  BOOST_TEST(errors(toml(R"(
[site]
id = "x"
name = "X"
[store]
pth = "a.db"
colour = "blue"
[[scanner]]
id = "s1"
kind = "serial"
device = "/dev/ttyACM0"
bauds = 9600
[[counter]]
id = "c1"
name = "C"
scanner = "s1"
)")) == (lines{
               R"(/etc/ravao/ravao.toml:5: unknown key "pth" in [store] (did you mean "path"?))",
               R"(/etc/ravao/ravao.toml:6: unknown key "colour" in [store] (expected path, retention_days, alarm_megabytes))",
               R"(/etc/ravao/ravao.toml:11: unknown key "bauds" in [[scanner]] (did you mean "baud"?))",
           }),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(unknown_sections_and_top_level_keys_are_errors) {
  BOOST_TEST(errors(minimal + toml(R"(
[[scanners]]
id = "s2"
[upload]
url = "https://example.vn"
retention_days = 5
)")) == (lines{
               R"(/etc/ravao/ravao.toml:14: unknown section [[scanners]] (did you mean [[scanner]]?))",
               R"(/etc/ravao/ravao.toml:16: unknown section [upload] (expected [site], [store], [control], [visits], [slips], [sync], [[scanner]], [[counter]], [[printer]]))",
           }),
             boost::test_tools::per_element());
  BOOST_TEST(errors("retention_days = 5\n" + minimal) ==
                 (lines{R"(/etc/ravao/ravao.toml:1: unknown top-level key "retention_days" (it belongs in [store]))"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(sections_of_the_wrong_shape_are_errors) {
  BOOST_TEST(errors(toml(R"(
[[site]]
id = "x"
name = "X"
[scanner]
id = "s1"
[[counter]]
id = "c1"
name = "C"
scanner = "s1"
)")) == (lines{
               "/etc/ravao/ravao.toml:1: site must be a table [site], got [[site]]",
               "/etc/ravao/ravao.toml:4: scanner must be an array of tables [[scanner]], got [scanner]",
               R"(/etc/ravao/ravao.toml:9: counter "c1": scanner "s1" is not declared (no [[scanner]] is declared))",
           }),
             boost::test_tools::per_element());
  BOOST_TEST(errors("printer = [1]\n" + minimal) ==
                 (lines{"/etc/ravao/ravao.toml:1: printer #1 must be a table, got integer"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(wrong_types_name_both_types) {
  BOOST_TEST(errors(toml(R"(
[site]
id = "x"
name = 42
[store]
retention_days = 30.5
[visits]
end_of_day = 17:30:00
[[scanner]]
id = "s1"
kind = "serial"
device = "/dev/ttyACM0"
baud = "9600"
[[counter]]
id = "c1"
name = "C"
scanner = "s1"
mode = ["entry"]
)")) == (lines{
               "/etc/ravao/ravao.toml:3: site.name must be a string, got integer",
               "/etc/ravao/ravao.toml:5: store.retention_days must be an integer, got float",
               "/etc/ravao/ravao.toml:7: visits.end_of_day must be a string, got time",
               R"(/etc/ravao/ravao.toml:12: scanner "s1": baud must be an integer, got string)",
               R"(/etc/ravao/ravao.toml:17: counter "c1": mode must be a string, got array)",
           }),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(missing_required_keys_are_reported) {
  BOOST_TEST(errors(toml(R"(
[store]
retention_days = 30
[[scanner]]
kind = "stdin"
[[counter]]
id = "c1"
)")) == (lines{
               R"(/etc/ravao/ravao.toml: missing required key "id" in [site])",
               R"(/etc/ravao/ravao.toml: missing required key "name" in [site])",
               R"(/etc/ravao/ravao.toml:3: scanner #1: missing required key "id")",
               R"(/etc/ravao/ravao.toml:5: counter "c1": missing required key "name")",
               R"(/etc/ravao/ravao.toml:5: counter "c1": missing required key "scanner")",
           }),
             boost::test_tools::per_element());
  BOOST_TEST(errors(toml(R"(
[site]
id = "x"
name = "X"
)")) == (lines{"/etc/ravao/ravao.toml: no [[counter]] declared (at least one is required)"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(out_of_range_values_say_what_is_allowed) {
  BOOST_TEST(errors(toml(R"(
[site]
id = "Gia Lai"
name = "   "
utc_offset = "+15:00"
[store]
retention_days = 0
[control]
group = "Ravao"
[visits]
duplicate_window_ms = 600001
max_duration_minutes = 0
end_of_day = "24:00"
[[scanner]]
id = "s1"
kind = "serial"
device = "/dev/ttyACM0"
baud = 9601
max_scan_bytes = 63
[[counter]]
id = "c1"
name = "Quầy\u0007"
scanner = "s1"
mode = "both"
printer = "p1"
[[printer]]
id = "p1"
kind = "usbb"
paper_width_mm = 57
)")) == (lines{
               R"(/etc/ravao/ravao.toml:2: site.id "Gia Lai" is not a valid id (expected 1 to 64 characters from a-z 0-9 . _ -, starting with a letter or digit))",
               "/etc/ravao/ravao.toml:3: site.name must not be empty",
               R"(/etc/ravao/ravao.toml:4: site.utc_offset must be between -12:00 and +14:00, got "+15:00")",
               "/etc/ravao/ravao.toml:6: store.retention_days must be between 1 and 3650, got 0",
               R"(/etc/ravao/ravao.toml:8: control.group "Ravao" is not a valid group name (expected up to 32 of a-z 0-9 _ -, starting with a letter or _))",
               "/etc/ravao/ravao.toml:10: visits.duplicate_window_ms must be between 0 and 600000, got 600001",
               "/etc/ravao/ravao.toml:11: visits.max_duration_minutes must be between 1 and 10080, got 0",
               R"(/etc/ravao/ravao.toml:12: visits.end_of_day must be a time "HH:MM" from 00:00 to 23:59, got "24:00")",
               R"(/etc/ravao/ravao.toml:17: scanner "s1": baud must be one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, got 9601)",
               R"(/etc/ravao/ravao.toml:18: scanner "s1": max_scan_bytes must be between 64 and 65536, got 63)",
               R"(/etc/ravao/ravao.toml:21: counter "c1": name "Quầy\x07" must not contain control characters)",
               R"(/etc/ravao/ravao.toml:23: counter "c1": unknown mode "both" (expected entry, exit, toggle))",
               R"(/etc/ravao/ravao.toml:27: printer "p1": unknown kind "usbb" (expected usb, lp, tcp, serial, file))",
               R"(/etc/ravao/ravao.toml:28: printer "p1": paper_width_mm must be one of 58, 80, got 57)",
           }),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(malformed_times_and_ids_are_rejected) {
  BOOST_TEST(errors(toml(R"(
[site]
id = "-x"
name = "X"
utc_offset = "7"
[visits]
end_of_day = "5:30"
[[scanner]]
id = "s1"
kind = "stdin"
[[counter]]
id = "c1"
name = "C"
scanner = "S1"
)")) == (lines{
               R"(/etc/ravao/ravao.toml:2: site.id "-x" is not a valid id (expected 1 to 64 characters from a-z 0-9 . _ -, starting with a letter or digit))",
               R"(/etc/ravao/ravao.toml:4: site.utc_offset must look like "+07:00" (sign, hours, minutes), got "7")",
               R"(/etc/ravao/ravao.toml:6: visits.end_of_day must be a time "HH:MM" from 00:00 to 23:59, got "5:30")",
               R"(/etc/ravao/ravao.toml:7: scanner "s1": not used by any counter (each scanner serves exactly one counter: add a [[counter]] with scanner = "s1" or remove it))",
               R"(/etc/ravao/ravao.toml:13: counter "c1": scanner "S1" is not a valid id (expected 1 to 64 characters from a-z 0-9 . _ -, starting with a letter or digit))",
           }),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(duplicate_ids_name_both_lines) {
  BOOST_TEST(errors(minimal + toml(R"(
[[scanner]]
id = "s1"
kind = "stdin"
[[counter]]
id = "c1"
name = "C again"
scanner = "s1"
)")) == (lines{
               R"(/etc/ravao/ravao.toml:15: scanner "s1": duplicate id (first declared at line 6))",
               R"(/etc/ravao/ravao.toml:18: counter "c1": duplicate id (first declared at line 11))",
               R"(/etc/ravao/ravao.toml:20: counter "c1": scanner "s1" is already used by counter "c1" (line 10); a scanner serves exactly one counter)",
           }),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(dangling_references_list_what_is_declared) {
  BOOST_TEST(errors(toml(R"(
[site]
id = "x"
name = "X"
[[scanner]]
id = "s1"
kind = "stdin"
[[counter]]
id = "c1"
name = "C"
scanner = "s9"
printer = "p1"
[[counter]]
id = "c2"
name = "C2"
scanner = "s1"
printer = "p2"
[[printer]]
id = "p1"
kind = "usb"
)")) == (lines{
               R"(/etc/ravao/ravao.toml:10: counter "c1": scanner "s9" is not declared (declared: "s1"))",
               R"(/etc/ravao/ravao.toml:16: counter "c2": printer "p2" is not declared (declared: "p1"))",
           }),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_scanner_serves_exactly_one_counter) {
  BOOST_TEST(errors(minimal + toml(R"(
[[counter]]
id = "c2"
name = "C2"
scanner = "s1"
[[scanner]]
id = "s2"
kind = "stdin"
)")) == (lines{
               R"(/etc/ravao/ravao.toml:17: counter "c2": scanner "s1" is already used by counter "c1" (line 10); a scanner serves exactly one counter)",
               R"(/etc/ravao/ravao.toml:18: scanner "s2": not used by any counter (each scanner serves exactly one counter: add a [[counter]] with scanner = "s2" or remove it))",
           }),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(at_most_one_stdin_scanner) {
  BOOST_TEST(errors(toml(R"(
[site]
id = "x"
name = "X"
[[scanner]]
id = "a"
kind = "stdin"
[[scanner]]
id = "b"
kind = "stdin"
[[counter]]
id = "c1"
name = "C"
scanner = "a"
[[counter]]
id = "c2"
name = "C"
scanner = "b"
)")) == (lines{R"(/etc/ravao/ravao.toml:9: scanner "b": only one stdin scanner is allowed (scanner "a" at line 4 already reads stdin))"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(kind_specific_keys_are_required_and_checked) {
  BOOST_TEST(errors(toml(R"(
[site]
id = "x"
name = "X"
[[scanner]]
id = "s1"
kind = "serial"
[[scanner]]
id = "s2"
kind = "stdin"
baud = 9600
device = "/dev/tty0"
[[scanner]]
id = "s3"
kind = "serial"
device = "/dev/ttyUSB0"
[[scanner]]
id = "s4"
kind = "serial"
device = "/dev/ttyUSB0"
[[counter]]
id = "c1"
name = "C"
scanner = "s1"
[[counter]]
id = "c2"
name = "C"
scanner = "s2"
[[counter]]
id = "c3"
name = "C"
scanner = "s3"
[[counter]]
id = "c4"
name = "C"
scanner = "s4"
)")) == (lines{
               R"(/etc/ravao/ravao.toml:4: scanner "s1": missing required key "device" (kind serial needs it))",
               R"(/etc/ravao/ravao.toml:10: scanner "s2": key "baud" does not apply to kind stdin (only to serial))",
               R"(/etc/ravao/ravao.toml:11: scanner "s2": key "device" does not apply to kind stdin (only to serial))",
               R"(/etc/ravao/ravao.toml:19: scanner "s4": device "/dev/ttyUSB0" is already used by scanner "s3" (line 12))",
           }),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(usb_hid_scanner_keys_are_stored) {
  const auto c = ok(toml(R"(
[site]
id = "x"
name = "X"
[[scanner]]
id = "s1"
kind = "usb-hid"
mode = "pos"
usb_id = "05E0:1300"
usb_serial = "S/N 0042-a"
usb_port = "3-1.4.2"
[[scanner]]
id = "s2"
kind = "usb-hid"
usb_port = "1-1"
[[scanner]]
id = "s3"
kind = "usb-hid"
mode = "keyboard"
usb_serial = "HW1234"
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
)"));
  BOOST_TEST_REQUIRE(c.scanners.size() == 3u);
  const auto& s1 = c.scanners[0];
  BOOST_TEST((s1.kind == ravao::scanner_kind::usb_hid));
  BOOST_TEST((s1.mode == ravao::usb_hid_mode::pos));
  BOOST_TEST_REQUIRE(s1.usb.vendor.has_value());
  BOOST_TEST_REQUIRE(s1.usb.product.has_value());
  BOOST_TEST(*s1.usb.vendor == 0x05e0);
  BOOST_TEST(*s1.usb.product == 0x1300);
  BOOST_TEST(s1.usb.serial == "S/N 0042-a");
  BOOST_TEST(s1.usb.port == "3-1.4.2");
  BOOST_TEST(s1.usb.to_string() == "usb_id 05e0:1300, serial S/N 0042-a, port 3-1.4.2");
  BOOST_TEST(s1.device.empty());
  BOOST_TEST(s1.max_scan_bytes == 8192u);
  const auto& s2 = c.scanners[1];
  BOOST_TEST((s2.mode == ravao::usb_hid_mode::auto_));  // the default
  BOOST_TEST(!s2.usb.vendor.has_value());
  BOOST_TEST(!s2.usb.product.has_value());
  BOOST_TEST(s2.usb.serial.empty());
  BOOST_TEST(s2.usb.port == "1-1");
  BOOST_TEST(s2.usb.to_string() == "port 1-1");
  const auto& s3 = c.scanners[2];
  BOOST_TEST((s3.mode == ravao::usb_hid_mode::keyboard));
  BOOST_TEST(s3.usb.serial == "HW1234");
  BOOST_TEST(s3.usb.to_string() == "serial HW1234");
  BOOST_TEST(!s3.usb.empty());
  BOOST_TEST(ravao::usb_match{}.empty());
  BOOST_TEST(ravao::usb_match{}.to_string() == "any");
}

BOOST_AUTO_TEST_CASE(a_usb_hid_scanner_needs_a_criterion) {
  BOOST_TEST(errors(usb_scanner("mode = \"keyboard\"\n")) ==
                 (lines{R"(/etc/ravao/ravao.toml:8: scanner "s1": a usb-hid scanner needs usb_id, usb_serial or usb_port (an unmatched USB keyboard is never taken: it may be the staff's))"}),
             boost::test_tools::per_element());
  // The old way of naming the device is not a criterion.
  BOOST_TEST(errors(usb_scanner("device = \"0c2e:0b61\"\n")) ==
                 (lines{
                     R"(/etc/ravao/ravao.toml:8: scanner "s1": a usb-hid scanner needs usb_id, usb_serial or usb_port (an unmatched USB keyboard is never taken: it may be the staff's))",
                     R"(/etc/ravao/ravao.toml:11: scanner "s1": key "device" does not apply to kind usb-hid (only to serial))",
                 }),
             boost::test_tools::per_element());
  BOOST_TEST(errors(usb_scanner("usb_port = \"1-2\"\nmode = \"hid\"\n")) ==
                 (lines{R"(/etc/ravao/ravao.toml:12: scanner "s1": unknown mode "hid" (expected auto, keyboard, pos))"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(malformed_usb_ids_are_rejected) {
  for (const char* id : {"05e0", "05e0:13000", "zzzz:0001", "05e0-1300", "", " 05e0:1300", "05e0:130g"}) {
    BOOST_TEST_CONTEXT(id) {
      BOOST_TEST(errors(usb_scanner("usb_port = \"1-1\"\nusb_id = \"" + std::string(id) + "\"\n")) ==
                     (lines{R"(/etc/ravao/ravao.toml:12: scanner "s1": usb_id must be vendor:product in hex as lsusb shows it, e.g. "05e0:1300", got ")" +
                            std::string(id) + "\""}),
                 boost::test_tools::per_element());
    }
  }
  BOOST_TEST(errors(usb_scanner("usb_id = 0x05e01300\n")) ==
                 (lines{
                     R"(/etc/ravao/ravao.toml:8: scanner "s1": a usb-hid scanner needs usb_id, usb_serial or usb_port (an unmatched USB keyboard is never taken: it may be the staff's))",
                     R"(/etc/ravao/ravao.toml:11: scanner "s1": usb_id must be a string, got integer)",
                 }),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(usb_port_paths_are_checked) {
  for (const char* port : {"1", "0-1", "1-0", "1-1.", "1-256", "a-1", "1-1.2.3.4.5.6.7.8", "", "1-", "-1",
                           "1-01", "256-1", "1-1..2", "1-1.2 "}) {
    BOOST_TEST_CONTEXT(port) {
      BOOST_TEST(errors(usb_scanner("usb_id = \"05e0:1300\"\nusb_port = \"" + std::string(port) + "\"\n")) ==
                     (lines{R"(/etc/ravao/ravao.toml:12: scanner "s1": usb_port must be a USB port path such as "1-1.2" (bus-port.port...), got ")" +
                            std::string(port) + "\""}),
                 boost::test_tools::per_element());
    }
  }
  for (const char* port : {"1-1", "3-1.4.2", "255-255", "1-1.2.3.4.5.6.7"}) {
    BOOST_TEST_CONTEXT(port) {
      const auto c = ok(usb_scanner("usb_port = \"" + std::string(port) + "\"\n"));
      BOOST_TEST(c.scanners[0].usb.port == port);
    }
  }
}

BOOST_AUTO_TEST_CASE(usb_keys_apply_only_to_usb_kinds) {
  BOOST_TEST(errors(toml(R"(
[site]
id = "x"
name = "X"
[[scanner]]
id = "s1"
kind = "serial"
device = "/dev/ttyACM0"
usb_id = "05e0:1300"
usb_serial = "A1"
usb_port = "1-1.2"
mode = "pos"
[[counter]]
id = "c1"
name = "C"
scanner = "s1"
[[printer]]
id = "p1"
kind = "lp"
device = "/dev/usb/lp0"
usb_port = "1-1.3"
[[printer]]
id = "p2"
kind = "usb"
mode = "pos"
)")) == (lines{
               R"(/etc/ravao/ravao.toml:8: scanner "s1": key "usb_id" does not apply to kind serial (only to usb-hid))",
               R"(/etc/ravao/ravao.toml:9: scanner "s1": key "usb_serial" does not apply to kind serial (only to usb-hid))",
               R"(/etc/ravao/ravao.toml:10: scanner "s1": key "usb_port" does not apply to kind serial (only to usb-hid))",
               R"(/etc/ravao/ravao.toml:11: scanner "s1": key "mode" does not apply to kind serial (only to usb-hid))",
               R"(/etc/ravao/ravao.toml:20: printer "p1": key "usb_port" does not apply to kind lp (only to usb))",
               R"(/etc/ravao/ravao.toml:24: unknown key "mode" in [[printer]] (expected id, kind, paper_width_mm, device, baud, address, path, usb_id, usb_serial, usb_port, profile))",
           }),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(usb_entries_with_the_same_criteria_are_errors) {
  // Lines: the first scanner's header is 12, its keys from 15; the second's header follows them.
  BOOST_TEST(errors(two_usb_scanners("usb_id = \"05e0:1300\"\n", "usb_id = \"05E0:1300\"\n")) ==
                 (lines{R"(/etc/ravao/ravao.toml:16: scanner "s2": matches the same USB devices (usb_id 05e0:1300) as scanner "s1" (line 12); add usb_port or usb_serial to tell them apart)"}),
             boost::test_tools::per_element());
  BOOST_TEST(errors(two_usb_scanners("usb_port = \"1-1.2\"\nusb_id = \"05e0:1300\"\n",
                                     "usb_id = \"05e0:1300\"\nusb_port = \"1-1.2\"\n")) ==
                 (lines{R"(/etc/ravao/ravao.toml:17: scanner "s2": matches the same USB devices (usb_id 05e0:1300, port 1-1.2) as scanner "s1" (line 12); add usb_port or usb_serial to tell them apart)"}),
             boost::test_tools::per_element());
  // Identical scanners told apart by their ports, or one by a port and one not at all.
  ok(two_usb_scanners("usb_id = \"05e0:1300\"\nusb_port = \"1-1.2\"\n",
                      "usb_id = \"05e0:1300\"\nusb_port = \"1-1.3\"\n"));
  ok(two_usb_scanners("usb_id = \"05e0:1300\"\nusb_port = \"1-1.2\"\n", "usb_id = \"05e0:1300\"\n"));
  ok(two_usb_scanners("usb_serial = \"A1\"\n", "usb_serial = \"A2\"\n"));

  // Printers: one without criteria takes any printer-class device; two would fight over it.
  const auto one = ok(minimal + "[[printer]]\nid = \"p1\"\nkind = \"usb\"\n");
  BOOST_TEST_REQUIRE(one.printers.size() == 1u);
  BOOST_TEST(one.printers[0].usb.empty());
  BOOST_TEST(one.printers[0].usb.to_string() == "any");
  BOOST_TEST(errors(minimal + toml(R"(
[[printer]]
id = "p1"
kind = "usb"
[[printer]]
id = "p2"
kind = "usb"
)")) == (lines{R"(/etc/ravao/ravao.toml:17: printer "p2": matches the same USB devices (any) as printer "p1" (line 14); add usb_port or usb_serial to tell them apart)"}),
             boost::test_tools::per_element());
  const auto two = ok(minimal + toml(R"(
[[printer]]
id = "p1"
kind = "usb"
usb_id = "04b8:0202"
usb_port = "1-1.3"
usb_serial = "TM88-1"
[[printer]]
id = "p2"
kind = "usb"
)"));
  BOOST_TEST(*two.printers[0].usb.vendor == 0x04b8);
  BOOST_TEST(*two.printers[0].usb.product == 0x0202);
  BOOST_TEST(two.printers[0].usb.to_string() == "usb_id 04b8:0202, serial TM88-1, port 1-1.3");

  // Scanners and printers share the check.
  BOOST_TEST(errors(usb_scanner("usb_port = \"1-4\"\n") + "[[printer]]\nid = \"p1\"\nkind = \"usb\"\nusb_port = \"1-4\"\n") ==
                 (lines{R"(/etc/ravao/ravao.toml:12: printer "p1": matches the same USB devices (port 1-4) as scanner "s1" (line 8); add usb_port or usb_serial to tell them apart)"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(printers_need_their_kind_specific_keys) {
  BOOST_TEST(errors(minimal + toml(R"(
[[printer]]
id = "net"
kind = "tcp"
address = "192.168.1.50"
[[printer]]
id = "net6"
kind = "tcp"
address = "fd00::5:9100"
[[printer]]
id = "port"
kind = "tcp"
address = "printer.local:99999"
[[printer]]
id = "out"
kind = "file"
[[printer]]
id = "lp"
kind = "lp"
path = "/tmp"
)")) == (lines{
               R"(/etc/ravao/ravao.toml:17: printer "net": address "192.168.1.50" has no port (expected host:port, e.g. "192.168.1.50:9100"))",
               R"(/etc/ravao/ravao.toml:21: printer "net6": address "fd00::5:9100": write an IPv6 address in brackets, e.g. "[fd00::5]:9100")",
               R"(/etc/ravao/ravao.toml:25: printer "port": address "printer.local:99999": port must be a number from 1 to 65535)",
               R"(/etc/ravao/ravao.toml:26: printer "out": missing required key "path" (kind file needs it))",
               R"(/etc/ravao/ravao.toml:29: printer "lp": missing required key "device" (kind lp needs it))",
               R"(/etc/ravao/ravao.toml:32: printer "lp": key "path" does not apply to kind lp (only to file))",
           }),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(serial_printers_take_a_standard_baud_rate) {
  const auto c = ok(minimal + toml(R"(
[[printer]]
id = "fast"
kind = "serial"
device = "/dev/ttyUSB0"
baud = 115200
[[printer]]
id = "default"
kind = "serial"
device = "/dev/ttyUSB1"
)"));
  BOOST_TEST_REQUIRE(c.printers.size() == 2u);
  BOOST_TEST(c.printers[0].baud == 115200u);
  BOOST_TEST(c.printers[1].baud == 9600u);
  // A reload that changes only the rate is a change (the printer is reopened).
  auto slower = c.printers[0];
  slower.baud = 9600;
  BOOST_TEST(!(slower == c.printers[0]));

  BOOST_TEST(errors(minimal + toml(R"(
[[printer]]
id = "odd"
kind = "serial"
device = "/dev/ttyUSB0"
baud = 12345
[[printer]]
id = "net"
kind = "tcp"
address = "192.168.1.50:9100"
baud = 9600
)")) == (lines{
               R"(/etc/ravao/ravao.toml:18: printer "odd": baud must be one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, got 12345)",
               R"(/etc/ravao/ravao.toml:23: printer "net": key "baud" does not apply to kind tcp (only to serial))",
           }),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(paths_are_checked) {
  BOOST_TEST(errors(toml(R"(
[site]
id = "x"
name = "X"
[store]
path = ""
[control]
socket = "this/socket/path/is/long/enough/to/go/past/the/one/hundred/and/seven/bytes/of/sun_path/ravaod.sock"
[[scanner]]
id = "s1"
kind = "serial"
device = "/dev/tty\u0000USB0"
[[counter]]
id = "c1"
name = "C"
scanner = "s1"
)")) == (lines{
               "/etc/ravao/ravao.toml:5: store.path must not be empty",
               R"(/etc/ravao/ravao.toml:7: control.socket is too long: "/etc/ravao/this/socket/path/is/long/enough/to/go/past/the/one/hundred/and/seven/..." is 109 bytes once resolved (at most 107))",
               R"(/etc/ravao/ravao.toml:11: scanner "s1": device "/dev/tty\x00USB0" must not contain control characters)",
           }),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_relative_config_name_anchors_at_the_working_folder) {
  const auto r = ravao::parse_config(minimal + "[store]\npath = \"v.db\"\n", "ravao.toml");
  BOOST_TEST_REQUIRE(r.has_value());
  BOOST_TEST(r->store.path == std::filesystem::current_path() / "v.db");
  BOOST_TEST(r->source == std::filesystem::current_path() / "ravao.toml");
}

BOOST_AUTO_TEST_CASE(all_problems_are_reported_in_line_order) {
  const auto r = ravao::parse_config(toml(R"(
[[counter]]
id = "c1"
name = "C"
scanner = "nope"
[store]
retention_days = -1
[site]
id = "x"
)"),
                                     "ravao.toml");
  BOOST_TEST_REQUIRE(!r.has_value());
  std::vector<int> numbers;
  for (const auto& d : r.error()) numbers.push_back(d.line);
  BOOST_TEST(numbers == (std::vector<int>{4, 6, 7}), boost::test_tools::per_element());
  BOOST_TEST(r.error()[2].to_string() == R"(ravao.toml:7: missing required key "name" in [site])");
}

BOOST_AUTO_TEST_CASE(enum_spellings_round_trip) {
  BOOST_TEST(ravao::to_string(ravao::scanner_kind::stdin_) == "stdin");
  BOOST_TEST(ravao::to_string(ravao::scanner_kind::usb_hid) == "usb-hid");
  BOOST_TEST(ravao::to_string(ravao::counter_mode::toggle) == "toggle");
  BOOST_TEST(ravao::to_string(ravao::printer_kind::file) == "file");
  BOOST_TEST(ravao::to_string(ravao::printer_kind::usb) == "usb");
  BOOST_TEST(ravao::to_string(ravao::usb_hid_mode::auto_) == "auto");
  BOOST_TEST(ravao::to_string(ravao::usb_hid_mode::keyboard) == "keyboard");
  BOOST_TEST(ravao::to_string(ravao::usb_hid_mode::pos) == "pos");
  const ravao::config_diagnostic d{"f.toml", 0, "m"};
  BOOST_TEST(d.to_string() == "f.toml: m");
}

BOOST_AUTO_TEST_CASE(key_reference_lists_every_key_and_matches_the_docs) {
  const std::string keys = ravao::describe_config_keys();
  for (const char* row : {
           "| `id` | string | required | `[a-z0-9][a-z0-9._-]{0,63}` |",
           "| `utc_offset` | string | `\"+07:00\"` |",
           "| `retention_days` | integer | 30 | 1 .. 3650 |",
           "| `socket` | string | `\"/run/ravao/ravaod.sock\"` |",
           "| `group` | string | none |",
           "| `duplicate_window_ms` | integer | 5000 | 0 .. 600000 |",
           "| `end_of_day` | string | none |",
           "| `kind` | string | required | `serial`, `stdin`, `usb-hid` | all |",
           "| `mode` | string | `\"auto\"` | `auto`, `keyboard`, `pos` | `usb-hid` |",
           "| `usb_id` | string | none | `\"vvvv:pppp\"`, hex | `usb-hid` |",
           "| `usb_port` | string | none | `\"bus-port[.port]...\"`, e.g. `\"1-1.2\"` | `usb` |",
           "| `baud` | integer | 9600 | 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600 | `serial` |",
           "| `mode` | string | `\"toggle\"` | `entry`, `exit`, `toggle` |",
           "| `paper_width_mm` | integer | 80 | 58, 80 | all |",
           "| `address` | string | required | `host:port` or `[ipv6]:port`, port 1 .. 65535 | `tcp` |",
       }) {
    BOOST_TEST_CONTEXT(row) { BOOST_TEST(keys.find(row) != std::string::npos); }
  }
  for (const char* header : {"### `[site]`", "### `[store]`", "### `[control]`", "### `[visits]`",
                             "### `[[scanner]]`", "### `[[counter]]`", "### `[[printer]]`"})
    BOOST_TEST(keys.find(header) != std::string::npos);
  // docs/configuration.md carries the generated reference verbatim.
  const auto docs = read_text(std::filesystem::path(RAVAO_SOURCE_DIR) / "docs/configuration.md");
  BOOST_TEST(docs.find(keys) != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
