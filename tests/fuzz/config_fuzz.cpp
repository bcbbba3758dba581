// libFuzzer target: parse_config() on arbitrary bytes. It must never crash,
// hang or throw; a loaded config must satisfy every documented invariant; a
// rejected one must carry well-formed diagnostics in line order.
// Seeds: tests/fuzz/corpus/config/.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace {

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "config_fuzz: invariant violated: %s\n", what);
  std::abort();
}

// Written out again here, independently of the schema's own check.
bool valid_id(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
  }
  return true;
}

bool no_control(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

template <class T>
void require_unique_valid_ids(const std::vector<T>& items) {
  std::set<std::string_view> seen;
  for (const auto& item : items) {
    require(valid_id(item.id), "ids match [a-z0-9][a-z0-9._-]{0,63}");
    require(seen.insert(item.id).second, "ids are unique");
    require(item.line > 0, "entries carry their header line");
  }
}

void check(const ravao::config& c) {
  using namespace std::chrono_literals;
  require(c.source.is_absolute(), "source is absolute");
  require(valid_id(c.site.id), "site.id is valid");
  require(!c.site.name.empty() && no_control(c.site.name), "site.name is printable");
  require(c.site.utc_offset >= -12h && c.site.utc_offset <= 14h, "utc_offset in -12:00..+14:00");
  require(c.store.path.is_absolute(), "store.path is absolute");
  require(c.store.retention_days >= 1 && c.store.retention_days <= 3650, "retention_days in range");
  require(c.control.socket.is_absolute() && c.control.socket.native().size() <= 107, "socket fits sun_path");
  require(c.visits.duplicate_window >= 0ms && c.visits.duplicate_window <= 600s, "duplicate window in range");
  require(c.visits.max_duration >= 60s && c.visits.max_duration <= std::chrono::hours(7 * 24), "max duration");
  require(!c.visits.end_of_day || (*c.visits.end_of_day >= 0min && *c.visits.end_of_day < 24h), "end_of_day");

  require_unique_valid_ids(c.scanners);
  require_unique_valid_ids(c.counters);
  require_unique_valid_ids(c.printers);
  require(!c.counters.empty(), "at least one counter");

  int stdin_scanners = 0;
  std::vector<const ravao::usb_match*> usb_matches;
  for (const auto& s : c.scanners) {
    if (s.kind == ravao::scanner_kind::usb_hid) {
      require(!s.usb.empty(), "a usb-hid scanner has a usb_id, usb_serial or usb_port");
      require(s.device.empty(), "a usb-hid scanner has no device path");
      usb_matches.push_back(&s.usb);
    } else {
      require(s.usb.empty(), "only usb-hid scanners have USB criteria");
    }
    if (s.kind == ravao::scanner_kind::stdin_) ++stdin_scanners;
    if (s.kind == ravao::scanner_kind::serial)
      require(std::filesystem::path(s.device).is_absolute() && no_control(s.device), "serial device is absolute");
    require(s.max_scan_bytes >= 64 && s.max_scan_bytes <= 65536, "max_scan_bytes in range");
    const auto served = std::count_if(c.counters.begin(), c.counters.end(),
                                      [&](const ravao::counter_config& k) { return k.scanner == s.id; });
    require(served == 1, "each scanner serves exactly one counter");
  }
  require(stdin_scanners <= 1, "at most one stdin scanner");

  for (const auto& k : c.counters) {
    require(!k.name.empty() && no_control(k.name), "counter name is printable");
    require(c.find_scanner(k.scanner) != nullptr, "every counter's scanner exists");
    require(c.counter_for_scanner(k.scanner) == &k, "scanner maps back to its counter");
    require(!k.printer || c.find_printer(*k.printer) != nullptr, "every counter's printer exists");
  }

  for (const auto& p : c.printers) {
    require(p.paper_width_mm == 58 || p.paper_width_mm == 80, "paper width 58 or 80");
    using ravao::printer_kind;
    if (p.kind == printer_kind::lp || p.kind == printer_kind::serial)
      require(std::filesystem::path(p.device).is_absolute(), "printer device is absolute");
    if (p.kind == printer_kind::tcp)
      require(p.address.find(':') != std::string::npos && p.address.back() != ':', "tcp address has a port");
    if (p.kind == printer_kind::file) require(p.path.is_absolute(), "file printer path is absolute");
    if (p.kind == printer_kind::usb) usb_matches.push_back(&p.usb);
    else require(p.usb.empty(), "only usb printers have USB criteria");
  }

  for (std::size_t i = 0; i < usb_matches.size(); ++i) {
    const auto& m = *usb_matches[i];
    require(m.vendor.has_value() == m.product.has_value(), "usb_id sets vendor and product together");
    require(no_control(m.serial), "usb_serial is printable");
    require(m.port.empty() || (m.port.find('-') != std::string::npos && m.port.back() != '.'), "usb_port is a path");
    for (std::size_t j = 0; j < i; ++j) require(!(m == *usb_matches[j]), "no two USB entries match alike");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::filesystem::path file = "/etc/ravao/fuzz.toml";
  const auto result = ravao::parse_config(text, file);
  if (result) {
    check(*result);
    return 0;
  }
  const auto& diagnostics = result.error();
  require(!diagnostics.empty(), "a rejection has diagnostics");
  int previous = 0;
  for (const auto& d : diagnostics) {
    require(d.file == file.native(), "diagnostics name the file");
    require(!d.message.empty(), "diagnostics say something");
    require(d.line >= previous, "diagnostics are in line order");
    previous = d.line;
    const auto line = d.to_string();
    require(line.find('\n') == std::string::npos, "one diagnostic, one line");
  }
  return 0;
}
