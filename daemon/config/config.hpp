#pragma once
// The validated, immutable configuration. load_config() is the one validation
// used both at start-up and by `ravaod --check-config` (and on SIGHUP): every
// problem is reported as FILE:LINE: message, all of them, not just the first.
// Keys are declared once in a table (config/schema.cpp) with type, default,
// range and documentation; unknown keys are errors.

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ravao {

struct site_config {
  std::string id;    // [a-z0-9][a-z0-9._-]{0,63}
  std::string name;  // shown on slips and in status
  std::chrono::minutes utc_offset{7 * 60};  // "+07:00": local time for "today" and end of day
};

struct store_config {
  std::filesystem::path path;  // absolute after loading
  int retention_days = 30;     // 1..3650
  std::int64_t alarm_bytes = 256ll << 20;  // store file size that raises the store alarm
};

struct control_config {
  std::filesystem::path socket;  // absolute after loading
  std::string group;             // socket group; empty: the daemon's primary group
};

struct visits_config {
  std::chrono::milliseconds duplicate_window{5000};  // 0..600000
  std::chrono::seconds max_duration{4 * 3600};      // 60 .. 7 days
  std::optional<std::chrono::minutes> end_of_day;   // local time "HH:MM"; none: off
};

enum class scanner_kind { serial, stdin_, usb_hid };
std::string_view to_string(scanner_kind k);  // "serial", "stdin", "usb-hid"

// How a USB device is recognised (docs/usb-scanners.md): every criterion
// given must hold. From the least to the most precise: vendor:product, serial
// number, port path. When several entries could take a device, the most
// precise one does.
struct usb_match {
  std::optional<std::uint16_t> vendor, product;  // both or neither
  std::string serial;  // iSerialNumber; empty: any
  std::string port;    // "1-1.2": bus 1, port 1 of the root hub, port 2 of that hub; empty: any
  bool empty() const { return !vendor && serial.empty() && port.empty(); }
  std::string to_string() const;  // "usb_id 05e0:1300, port 1-1.2" or "any"
  friend bool operator==(const usb_match&, const usb_match&) = default;
};

// usb-hid: how reports are read. auto decides from the report descriptor.
enum class usb_hid_mode { auto_, keyboard, pos };
std::string_view to_string(usb_hid_mode m);  // "auto", "keyboard", "pos"

struct scanner_config {
  std::string id;
  scanner_kind kind = scanner_kind::serial;
  std::string device;         // serial: tty path (absolute after loading)
  unsigned baud = 9600;       // serial only: one of the standard rates
  usb_hid_mode mode = usb_hid_mode::auto_;  // usb-hid only
  usb_match usb;                            // usb-hid only: at least one criterion
  std::size_t max_scan_bytes = 8192;  // 64 .. 65536: longer frames are rejected
  int line = 0;               // line of the [[scanner]] header, for messages
  // Same device settings; where the entry sits in the file does not matter
  // (a reload keeps a scanner open when only comments or order changed).
  friend bool operator==(const scanner_config& a, const scanner_config& b) {
    return a.id == b.id && a.kind == b.kind && a.device == b.device && a.baud == b.baud &&
           a.max_scan_bytes == b.max_scan_bytes && a.mode == b.mode && a.usb == b.usb;
  }
};

enum class counter_mode { entry, exit, toggle };
std::string_view to_string(counter_mode m);  // "entry", "exit", "toggle"

struct counter_config {
  std::string id;
  std::string name;
  std::string scanner;  // id of a [[scanner]]; each scanner serves one counter
  std::optional<std::string> printer;  // id of a [[printer]]
  counter_mode mode = counter_mode::toggle;
  int line = 0;
};

enum class printer_kind { usb, lp, tcp, serial, file };
std::string_view to_string(printer_kind k);

// Validated now so counters can name printers; driven by the printing work.
struct printer_config {
  std::string id;
  printer_kind kind = printer_kind::file;
  int paper_width_mm = 80;  // 58 | 80
  std::string device;       // lp, serial
  unsigned baud = 9600;     // serial only: one of the standard rates
  std::string address;      // tcp: host:port
  std::filesystem::path path;  // file: output folder (absolute after loading)
  usb_match usb;               // usb: empty matches any printer-class device
  std::string profile;         // escpos profile name; empty: generic for the paper width
  int line = 0;
  friend bool operator==(const printer_config& a, const printer_config& b) {
    return a.id == b.id && a.kind == b.kind && a.paper_width_mm == b.paper_width_mm && a.device == b.device &&
           a.baud == b.baud && a.address == b.address && a.path == b.path && a.usb == b.usb &&
           a.profile == b.profile;
  }
};

// What a pre-printed slip may carry about the visitor just scanned.
enum class slip_preprint { none, masked };
std::string_view to_string(slip_preprint p);  // "none", "masked"

struct slips_config {
  // masked: when a slip follows a CCCD/personal QR scan at the counter, the
  // visitor's name and masked ID number are printed on it.
  slip_preprint preprint = slip_preprint::none;
  // A slip belongs to the visit whose scan at the same counter came at most
  // this long before it (and is printed with its identity when preprint allows).
  std::chrono::seconds link_window{120};
};

// Upload to the provincial server (docs/sync.md, docs/sync-protocol.md).
// No url: sync is off and records queue in the store.
struct sync_config {
  std::string url;          // https://host[:port][/base]; empty: off
  std::string gateway_id;   // empty: [site] id
  std::filesystem::path ca_file;      // CA bundle the server's certificate must chain to
  std::filesystem::path client_cert;  // mTLS: PEM certificate (chain) and key, both or neither
  std::filesystem::path client_key;
  std::filesystem::path token_file;   // bearer token; only the daemon's user may read it
  std::string public_key;   // provincial sealing key "ravao-pk1:..."; empty: personal data not kept
  std::size_t batch_max_records = 2000;
  std::size_t batch_max_bytes = 1 << 20;  // JSON before compression
  std::chrono::milliseconds batch_delay{2000};  // wait this long for a batch to fill
  std::chrono::milliseconds backoff_base{1000};
  std::chrono::seconds backoff_cap{300};
  std::chrono::seconds heartbeat_interval{300};
  std::chrono::seconds request_timeout{30};
  std::filesystem::path time_sync_flag;  // a file whose existence says the clock is synchronised
  bool enabled() const { return !url.empty(); }
  std::string effective_gateway_id(const site_config& site) const { return gateway_id.empty() ? site.id : gateway_id; }
  friend bool operator==(const sync_config&, const sync_config&) = default;
};

struct config {
  std::filesystem::path source;  // the file it was loaded from
  site_config site;
  store_config store;
  control_config control;
  visits_config visits;
  slips_config slips;
  sync_config sync;
  std::vector<scanner_config> scanners;
  std::vector<counter_config> counters;
  std::vector<printer_config> printers;

  const scanner_config* find_scanner(std::string_view id) const;
  const counter_config* find_counter(std::string_view id) const;
  const counter_config* counter_for_scanner(std::string_view scanner_id) const;
  const printer_config* find_printer(std::string_view id) const;
};

struct config_diagnostic {
  std::string file;
  int line = 0;  // 0 when the problem has no line (file unreadable)
  std::string message;
  std::string to_string() const;  // "FILE:LINE: message" (or "FILE: message")
};

using config_result = std::expected<config, std::vector<config_diagnostic>>;

// Reads and validates a file. Relative paths in it resolve against the
// file's folder.
config_result load_config(const std::filesystem::path& file);

// The same validation for text in memory; `file` names it in diagnostics and
// anchors relative paths.
config_result parse_config(std::string_view toml_text, const std::filesystem::path& file);

// Markdown table of every key (name, type, default, range, doc), generated
// from the schema table: `ravaod --print-config-keys`.
std::string describe_config_keys();

}  // namespace ravao
