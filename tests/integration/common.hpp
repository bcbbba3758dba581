#pragma once
// Shared pieces of the integration tests: configs and JSON helpers.

#include <boost/json.hpp>

#include <string>

#include "support/harness.hpp"

namespace ravao::test {

// One toggle counter "desk" on a pty scanner (tty-desk), whose slips go to
// printer p1: `printer_section` defines it; `extra` is appended (e.g. [slips]).
inline std::string desk_printer_config(std::string_view printer_section, std::string_view extra = "") {
  std::string s = R"(
[site]
id = "bd-test"
name = "Bưu điện Văn hóa xã Tân Phú"

[store]
path = "{dir}/ravao.db"

[control]
socket = "{dir}/ravaod.sock"

[[scanner]]
id = "s-desk"
kind = "serial"
device = "{dir}/tty-desk"

[[counter]]
id = "desk"
name = "Quầy 2"
scanner = "s-desk"
mode = "toggle"
printer = "p1"

)";
  s += printer_section;
  s += extra;
  return s;
}

// Two serial counters on pty scanners: "in" (entry) and "out" (exit), plus a
// toggle counter "desk".
inline std::string three_counter_config(std::string_view extra = "") {
  std::string s = R"(
[site]
id = "bd-test"
name = "Bưu điện thử nghiệm"

[store]
path = "{dir}/ravao.db"
retention_days = 30

[control]
socket = "{dir}/ravaod.sock"

[visits]
duplicate_window_ms = 5000

[[scanner]]
id = "s-in"
kind = "serial"
device = "{dir}/tty-in"
baud = 9600

[[scanner]]
id = "s-out"
kind = "serial"
device = "{dir}/tty-out"
baud = 9600

[[scanner]]
id = "s-desk"
kind = "serial"
device = "{dir}/tty-desk"
baud = 115200
max_scan_bytes = 4096

[[counter]]
id = "in"
name = "Quầy 1 - vào"
scanner = "s-in"
mode = "entry"

[[counter]]
id = "out"
name = "Cửa ra"
scanner = "s-out"
mode = "exit"

[[counter]]
id = "desk"
name = "Quầy 2"
scanner = "s-desk"
mode = "toggle"
)";
  s += extra;
  return s;
}

inline std::int64_t as_int(const boost::json::value& v) { return v.as_int64(); }

inline std::string as_str(const boost::json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : boost::json::serialize(v);
}

// Waits until `ravaoctl events` lists at least n records.
inline bool wait_records(const daemon_under_test& d, std::size_t n) {
  return eventually([&] { return d.ctl({"events", "--limit", "100000"}).as_array().size() >= n; });
}

inline bool wait_state(const daemon_under_test& d, std::string_view counter, std::string_view state) {
  return eventually([&] {
    const auto counters = d.ctl({"counters"});
    for (const auto& c : counters.as_array()) {
      if (c.at("id").as_string() == counter && c.at("state").as_string() == state) return true;
    }
    return false;
  });
}

}  // namespace ravao::test
