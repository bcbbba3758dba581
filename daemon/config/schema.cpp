// The configuration keys, each declared once, here; and what a value of each
// value_type must look like. load.cpp walks these tables to check and store
// values; describe_config_keys() (config.cpp) renders them as Markdown.

#include "config/schema.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include <boost/url/parse.hpp>

#include "common/seal.hpp"

namespace ravao::config_schema {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::int64_t standard_bauds[] = {1200,  2400,   4800,   9600,   19200,  38400,
                                           57600, 115200, 230400, 460800, 921600};
constexpr std::int64_t paper_widths[] = {58, 80};

constexpr std::string_view serial_only[] = {"serial"};
constexpr std::string_view device_printers[] = {"lp", "serial"};
constexpr std::string_view tcp_only[] = {"tcp"};
constexpr std::string_view file_only[] = {"file"};
constexpr std::string_view usb_hid_only[] = {"usb-hid"};
constexpr std::string_view usb_printer_only[] = {"usb"};

// USB serial numbers are at most 126 UTF-16 units; what libusb gives back as text.
constexpr std::int64_t max_usb_serial = 126;

void store_usb_id(usb_match& m, std::int64_t n) {
  m.vendor = static_cast<std::uint16_t>(n >> 16);
  m.product = static_cast<std::uint16_t>(n & 0xffff);
}

// Longest path a Linux unix socket can bind (sun_path is 108 bytes with the NUL).
constexpr std::int64_t max_socket_path = 107;
constexpr std::int64_t max_path = 4095;
constexpr std::int64_t max_name = 128;

const key<site_config> site_keys[] = {
    {{.name = "id", .type = value_type::id, .presence = key_presence::required,
      .doc = "Short stable id of this post office; it goes into every visit record and upload."},
     [](site_config& s, value&& v) { s.id = std::move(v.text); }},
    {{.name = "name", .type = value_type::text, .presence = key_presence::required,
      .max = max_name, .doc = "Name shown on slips and in `ravaoctl status`, e.g. \"Bưu điện tỉnh Gia Lai\"."},
     [](site_config& s, value&& v) { s.name = std::move(v.text); }},
    {{.name = "utc_offset", .type = value_type::utc_offset, .presence = key_presence::defaulted,
      .default_value = std::string_view{"+07:00"},
      .doc = "Local time of the site: decides the day a visit belongs to and when the end of day falls."},
     [](site_config& s, value&& v) { s.utc_offset = minutes{v.number}; }},
    {{.name = "checkin_qr", .type = value_type::text, .presence = key_presence::optional, .max = 512,
      .doc = "The check-in QR code's text as the site registered it with the national platform (usually a URL). "
             "The control command `poster.print` (the counter console's supervisor page) prints it as a poster on a "
             "counter's printer for visitors to scan with their phones; without it no poster can be printed. At "
             "most 512 bytes, so that the code stays large enough for a phone on 58 mm paper."},
     [](site_config& s, value&& v) { s.checkin_qr = std::move(v.text); }},
};

const key<store_config> store_keys[] = {
    {{.name = "path", .type = value_type::path, .presence = key_presence::defaulted,
      .default_value = std::string_view{"/var/lib/ravao/ravao.db"}, .max = max_path,
      .doc = "SQLite database of visits and the upload outbox. Its folder is created if missing and must be writable."},
     [](store_config& s, value&& v) { s.path = std::move(v.text); }},
    {{.name = "retention_days", .type = value_type::integer, .presence = key_presence::defaulted,
      .default_value = std::int64_t{30}, .min = 1, .max = 3650,
      .doc = "Days kept: rejected-scan samples, and records once the provincial server has acknowledged them (unsent or refused records are never deleted); copies of a corrupt store moved aside this long ago are deleted too."},
     [](store_config& s, value&& v) { s.retention_days = static_cast<int>(v.number); }},
    {{.name = "alarm_megabytes", .type = value_type::integer, .presence = key_presence::defaulted,
      .default_value = std::int64_t{256}, .min = 1, .max = 1 << 20,
      .doc = "When the store file grows past this size (records waiting for upload are never deleted), an alarm "
             "shows in `ravaoctl status`, the log and systemd's STATUS=."},
     [](store_config& s, value&& v) { s.alarm_bytes = v.number << 20; }},
};

const key<control_config> control_keys[] = {
    {{.name = "socket", .type = value_type::path, .presence = key_presence::defaulted,
      .default_value = std::string_view{"/run/ravao/ravaod.sock"}, .max = max_socket_path,
      .doc = "Unix socket `ravaoctl` talks to. At most 107 bytes once resolved (a kernel limit)."},
     [](control_config& s, value&& v) { s.socket = std::move(v.text); }},
    {{.name = "group", .type = value_type::group_name, .presence = key_presence::optional,
      .doc = "Group owning the socket (mode 0660); members may run `ravaoctl`. Absent: the socket's folder's group "
             "when the folder is set-group-ID, else the daemon's primary group. A group other than the daemon's "
             "comes from the folder's set-group-ID bit, or a chown where the daemon may (docs/control.md)."},
     [](control_config& s, value&& v) { s.group = std::move(v.text); }},
};

const key<visits_config> visits_keys[] = {
    {{.name = "duplicate_window_ms", .type = value_type::integer, .presence = key_presence::defaulted,
      .default_value = std::int64_t{5000}, .min = 0, .max = 600'000,
      .doc = "A second scan of the same card at the same counter within this window is ignored. 0: never."},
     [](visits_config& s, value&& v) { s.duplicate_window = milliseconds{v.number}; }},
    {{.name = "max_duration_minutes", .type = value_type::integer, .presence = key_presence::defaulted,
      .default_value = std::int64_t{240}, .min = 1, .max = 7 * 24 * 60,
      .doc = "An open visit older than this is closed automatically (marked as not scanned out)."},
     [](visits_config& s, value&& v) { s.max_duration = seconds{v.number * 60}; }},
    {{.name = "end_of_day", .type = value_type::clock_time, .presence = key_presence::optional,
      .doc = "Local time at which every open visit is closed. Absent: off."},
     [](visits_config& s, value&& v) { s.end_of_day = minutes{v.number}; }},
};

const key<slips_config> slips_keys[] = {
    {{.name = "preprint", .type = value_type::choice, .presence = key_presence::defaulted,
      .default_value = std::string_view{"none"}, .choices = slip_preprints,
      .doc = "`masked`: a slip printed right after a visitor's CCCD or personal QR was scanned at the counter "
             "carries their name and masked ID number (**********45), so they need not write them; `none`: "
             "slips are always blank."},
     [](slips_config& s, value&& v) { s.preprint = static_cast<slip_preprint>(v.number); }},
    {{.name = "link_window_seconds", .type = value_type::integer, .presence = key_presence::defaulted,
      .default_value = std::int64_t{120}, .min = 5, .max = 3600,
      .doc = "A slip printed at a counter belongs to the visit scanned there at most this long before."},
     [](slips_config& s, value&& v) { s.link_window = seconds{v.number}; }},
};

const key<sync_config> sync_keys[] = {
    {{.name = "url", .type = value_type::https_url, .presence = key_presence::optional, .max = 2048,
      .doc = "Base URL of the provincial server, e.g. \"https://so-yte.example.vn/ravao\" (docs/sync-protocol.md). "
             "Absent: sync is off and records queue in the store."},
     [](sync_config& s, value&& v) { s.url = std::move(v.text); }},
    {{.name = "gateway_id", .type = value_type::id, .presence = key_presence::optional,
      .doc = "This gateway's id at the server. Absent: the [site] id."},
     [](sync_config& s, value&& v) { s.gateway_id = std::move(v.text); }},
    {{.name = "ca_file", .type = value_type::path, .presence = key_presence::optional, .max = max_path,
      .doc = "PEM file of the CA(s) the server's certificate must chain to; the host name of `url` must match "
             "it too. Required with `url`; verification cannot be switched off."},
     [](sync_config& s, value&& v) { s.ca_file = std::move(v.text); }},
    {{.name = "client_cert", .type = value_type::path, .presence = key_presence::optional, .max = max_path,
      .doc = "PEM certificate this gateway presents (mutual TLS); with `client_key`."},
     [](sync_config& s, value&& v) { s.client_cert = std::move(v.text); }},
    {{.name = "client_key", .type = value_type::path, .presence = key_presence::optional, .max = max_path,
      .doc = "PEM private key of `client_cert`; only the daemon's user may read it."},
     [](sync_config& s, value&& v) { s.client_key = std::move(v.text); }},
    {{.name = "token_file", .type = value_type::path, .presence = key_presence::optional, .max = max_path,
      .doc = "File holding a bearer token (first line); only the daemon's user may read it (mode 0600 or 0400). "
             "With `url`, `client_cert` or `token_file` (or both) is required."},
     [](sync_config& s, value&& v) { s.token_file = std::move(v.text); }},
    {{.name = "public_key", .type = value_type::sealing_key, .presence = key_presence::optional,
      .doc = "The province's sealing key (`ravao-receiver keygen` prints it): visitors' personal data is sealed "
             "to it before it reaches the disk (docs/privacy.md). Absent: names and ID numbers are not kept at "
             "all (an alarm says so); required with `url`."},
     [](sync_config& s, value&& v) { s.public_key = std::move(v.text); }},
    {{.name = "batch_max_records", .type = value_type::integer, .presence = key_presence::defaulted,
      .default_value = std::int64_t{2000}, .min = 1, .max = 10000,
      .doc = "Most records in one upload."},
     [](sync_config& s, value&& v) { s.batch_max_records = static_cast<std::size_t>(v.number); }},
    {{.name = "batch_max_kilobytes", .type = value_type::integer, .presence = key_presence::defaulted,
      .default_value = std::int64_t{1024}, .min = 4, .max = 4096,
      .doc = "Most bytes of JSON (before gzip) in one upload."},
     [](sync_config& s, value&& v) { s.batch_max_bytes = static_cast<std::size_t>(v.number) << 10; }},
    {{.name = "batch_delay_ms", .type = value_type::integer, .presence = key_presence::defaulted,
      .default_value = std::int64_t{2000}, .min = 0, .max = 600'000,
      .doc = "A batch that is not full is sent once its oldest record waited this long."},
     [](sync_config& s, value&& v) { s.batch_delay = milliseconds{v.number}; }},
    {{.name = "backoff_base_ms", .type = value_type::integer, .presence = key_presence::defaulted,
      .default_value = std::int64_t{1000}, .min = 10, .max = 60'000,
      .doc = "First retry delay bound; it doubles with each failure (full jitter)."},
     [](sync_config& s, value&& v) { s.backoff_base = milliseconds{v.number}; }},
    {{.name = "backoff_cap_seconds", .type = value_type::integer, .presence = key_presence::defaulted,
      .default_value = std::int64_t{300}, .min = 1, .max = 3600,
      .doc = "Largest retry delay (a server's Retry-After may ask for longer, up to an hour)."},
     [](sync_config& s, value&& v) { s.backoff_cap = seconds{v.number}; }},
    {{.name = "heartbeat_seconds", .type = value_type::integer, .presence = key_presence::defaulted,
      .default_value = std::int64_t{300}, .min = 5, .max = 86400,
      .doc = "How often the heartbeat (devices, counts per day, queue depth) is sent."},
     [](sync_config& s, value&& v) { s.heartbeat_interval = seconds{v.number}; }},
    {{.name = "timeout_seconds", .type = value_type::integer, .presence = key_presence::defaulted,
      .default_value = std::int64_t{30}, .min = 1, .max = 600,
      .doc = "Longest wait for a connection, a request or a reply."},
     [](sync_config& s, value&& v) { s.request_timeout = seconds{v.number}; }},
    {{.name = "time_sync_flag", .type = value_type::path, .presence = key_presence::defaulted,
      .default_value = std::string_view{"/run/systemd/timesync/synchronized"}, .max = max_path,
      .doc = "A file whose existence says the clock is synchronised (systemd-timesyncd creates this one), "
             "besides the kernel's own flag. No upload starts before the clock is synchronised."},
     [](sync_config& s, value&& v) { s.time_sync_flag = std::move(v.text); }},
};

const key<scanner_config> scanner_keys[] = {
    {{.name = "id", .type = value_type::id, .presence = key_presence::required,
      .doc = "Id a [[counter]] refers to."},
     [](scanner_config& s, value&& v) { s.id = std::move(v.text); }},
    {{.name = "kind", .type = value_type::choice, .presence = key_presence::required,
      .choices = scanner_kinds,
      .doc = "`serial`: a scanner on a tty (USB CDC-ACM or RS-232); `usb-hid`: a USB scanner in keyboard or "
             "HID POS mode, driven through libusb; `stdin`: lines read from standard input (demos, tests; at most one)."},
     [](scanner_config& s, value&& v) { s.kind = static_cast<scanner_kind>(v.number); }},
    {{.name = "device", .type = value_type::path, .presence = key_presence::required, .max = max_path,
      .kinds = serial_only,
      .doc = "The tty, e.g. `/dev/ttyACM0` or a stable `/dev/serial/by-id/...` link."},
     [](scanner_config& s, value&& v) { s.device = std::move(v.text); }},
    {{.name = "baud", .type = value_type::integer_set, .presence = key_presence::defaulted,
      .default_value = std::int64_t{9600}, .numbers = standard_bauds, .kinds = serial_only,
      .doc = "Line speed (8N1). USB CDC-ACM scanners ignore it."},
     [](scanner_config& s, value&& v) { s.baud = static_cast<unsigned>(v.number); }},
    {{.name = "max_scan_bytes", .type = value_type::integer, .presence = key_presence::defaulted,
      .default_value = std::int64_t{8192}, .min = 64, .max = 65536,
      .doc = "Longest accepted scan; a longer frame is dropped and logged as `scan.too_long`."},
     [](scanner_config& s, value&& v) { s.max_scan_bytes = static_cast<std::size_t>(v.number); }},
    {{.name = "mode", .type = value_type::choice, .presence = key_presence::defaulted,
      .default_value = std::string_view{"auto"}, .choices = usb_hid_modes, .kinds = usb_hid_only,
      .doc = "`keyboard`: the scanner types like a USB keyboard (boot reports, US layout, Enter ends a scan); "
             "`pos`: HID POS (usage page 0x8C), the mode that carries Vietnamese text; `auto`: decided from the "
             "device's report descriptor."},
     [](scanner_config& s, value&& v) { s.mode = static_cast<usb_hid_mode>(v.number); }},
    {{.name = "usb_id", .type = value_type::usb_id, .presence = key_presence::optional, .kinds = usb_hid_only,
      .doc = "`vendor:product` in hex as `lsusb` shows it, e.g. `05e0:1300`. At least one of `usb_id`, "
             "`usb_serial`, `usb_port` is required: an unmatched keyboard is never taken."},
     [](scanner_config& s, value&& v) { store_usb_id(s.usb, v.number); }},
    {{.name = "usb_serial", .type = value_type::text, .presence = key_presence::optional, .max = max_usb_serial,
      .kinds = usb_hid_only, .doc = "The device's serial number (`lsusb -v`: iSerial); follows the scanner to any port."},
     [](scanner_config& s, value&& v) { s.usb.serial = std::move(v.text); }},
    {{.name = "usb_port", .type = value_type::usb_port, .presence = key_presence::optional, .kinds = usb_hid_only,
      .doc = "Physical port path, e.g. `1-1.2` (`ravaoctl devices` and `/sys/bus/usb/devices` show it): "
             "tells identical scanners apart."},
     [](scanner_config& s, value&& v) { s.usb.port = std::move(v.text); }},
};

const key<counter_config> counter_keys[] = {
    {{.name = "id", .type = value_type::id, .presence = key_presence::required,
      .doc = "Id stored with every visit recorded at this counter."},
     [](counter_config& s, value&& v) { s.id = std::move(v.text); }},
    {{.name = "name", .type = value_type::text, .presence = key_presence::required, .max = max_name,
      .doc = "Name shown on slips and in status, e.g. \"Quầy 1\"."},
     [](counter_config& s, value&& v) { s.name = std::move(v.text); }},
    {{.name = "scanner", .type = value_type::id, .presence = key_presence::required,
      .doc = "Id of the [[scanner]] at this counter; a scanner serves exactly one counter."},
     [](counter_config& s, value&& v) { s.scanner = std::move(v.text); }},
    {{.name = "printer", .type = value_type::id, .presence = key_presence::optional,
      .doc = "Id of the [[printer]] for visit slips. Absent: no slips."},
     [](counter_config& s, value&& v) { s.printer = std::move(v.text); }},
    {{.name = "mode", .type = value_type::choice, .presence = key_presence::defaulted,
      .default_value = std::string_view{"toggle"}, .choices = counter_modes,
      .doc = "`entry`: every scan opens a visit; `exit`: every scan closes the open one; "
             "`toggle`: a scan closes the visitor's open visit, or opens one."},
     [](counter_config& s, value&& v) { s.mode = static_cast<counter_mode>(v.number); }},
};

const key<printer_config> printer_keys[] = {
    {{.name = "id", .type = value_type::id, .presence = key_presence::required,
      .doc = "Id a [[counter]] refers to."},
     [](printer_config& s, value&& v) { s.id = std::move(v.text); }},
    {{.name = "kind", .type = value_type::choice, .presence = key_presence::required,
      .choices = printer_kinds,
      .doc = "`usb`: an ESC/POS printer on USB, found by its printer class; `lp`: a kernel printer device; "
             "`tcp`: a network printer (raw port); `serial`: a printer on a tty; `file`: each slip written "
             "to a file (testing)."},
     [](printer_config& s, value&& v) { s.kind = static_cast<printer_kind>(v.number); }},
    {{.name = "paper_width_mm", .type = value_type::integer_set, .presence = key_presence::defaulted,
      .default_value = std::int64_t{80}, .numbers = paper_widths,
      .doc = "Roll width; decides the characters per line."},
     [](printer_config& s, value&& v) { s.paper_width_mm = static_cast<int>(v.number); }},
    {{.name = "device", .type = value_type::path, .presence = key_presence::required, .max = max_path,
      .kinds = device_printers, .doc = "Device file, e.g. `/dev/usb/lp0` (lp) or `/dev/ttyUSB0` (serial)."},
     [](printer_config& s, value&& v) { s.device = std::move(v.text); }},
    {{.name = "baud", .type = value_type::integer_set, .presence = key_presence::defaulted,
      .default_value = std::int64_t{9600}, .numbers = standard_bauds, .kinds = serial_only,
      .doc = "Line speed (8N1, no flow control); the printer's own setting (its self-test page shows it). "
             "USB CDC-ACM printers ignore it."},
     [](printer_config& s, value&& v) { s.baud = static_cast<unsigned>(v.number); }},
    {{.name = "address", .type = value_type::address, .presence = key_presence::required,
      .kinds = tcp_only, .doc = "`host:port` of the printer, e.g. `192.168.1.50:9100`."},
     [](printer_config& s, value&& v) { s.address = std::move(v.text); }},
    {{.name = "path", .type = value_type::path, .presence = key_presence::required, .max = max_path,
      .kinds = file_only, .doc = "Folder the slips are written to, one file each."},
     [](printer_config& s, value&& v) { s.path = std::move(v.text); }},
    {{.name = "usb_id", .type = value_type::usb_id, .presence = key_presence::optional, .kinds = usb_printer_only,
      .doc = "`vendor:product` in hex, e.g. `04b8:0202`. Without `usb_id`, `usb_serial` and `usb_port` the "
             "printer is any USB printer-class device (one printer per gateway)."},
     [](printer_config& s, value&& v) { store_usb_id(s.usb, v.number); }},
    {{.name = "usb_serial", .type = value_type::text, .presence = key_presence::optional, .max = max_usb_serial,
      .kinds = usb_printer_only, .doc = "The printer's USB serial number."},
     [](printer_config& s, value&& v) { s.usb.serial = std::move(v.text); }},
    {{.name = "usb_port", .type = value_type::usb_port, .presence = key_presence::optional,
      .kinds = usb_printer_only, .doc = "Physical port path, e.g. `1-1.3`."},
     [](printer_config& s, value&& v) { s.usb.port = std::move(v.text); }},
    {{.name = "profile", .type = value_type::choice, .presence = key_presence::optional,
      .choices = printer_profiles,
      .doc = "Printer model profile (dots per line, band height, cutter; docs/slips.md). Absent: `generic-58` or "
             "`generic-80` by paper width."},
     [](printer_config& s, value&& v) { s.profile = printer_profiles[v.number].name; }},
};

}  // namespace

const section<site_config>& site_section() {
  static const section<site_config> s{
      .name = "site", .shape = section_shape::table, .kind_key = {}, .required = false,
      .doc = "The post office this gateway serves. Required.",
      .keys = site_keys, .member = &config::site};
  return s;
}

const section<store_config>& store_section() {
  static const section<store_config> s{
      .name = "store", .shape = section_shape::table, .kind_key = {}, .required = false,
      .doc = "Where visits are kept until they are uploaded.", .keys = store_keys, .member = &config::store};
  return s;
}

const section<control_config>& control_section() {
  static const section<control_config> s{
      .name = "control", .shape = section_shape::table, .kind_key = {}, .required = false,
      .doc = "The local control socket used by `ravaoctl`.", .keys = control_keys,
      .member = &config::control};
  return s;
}

const section<visits_config>& visits_section() {
  static const section<visits_config> s{
      .name = "visits", .shape = section_shape::table, .kind_key = {}, .required = false,
      .doc = "How scans become visits.", .keys = visits_keys, .member = &config::visits};
  return s;
}

const section<slips_config>& slips_section() {
  static const section<slips_config> s{
      .name = "slips", .shape = section_shape::table, .kind_key = {}, .required = false,
      .doc = "Paper declaration slips.", .keys = slips_keys, .member = &config::slips};
  return s;
}

const section<sync_config>& sync_section() {
  static const section<sync_config> s{
      .name = "sync", .shape = section_shape::table, .kind_key = {}, .required = false,
      .doc = "Upload to the provincial server and sealing of personal data.", .keys = sync_keys,
      .member = &config::sync};
  return s;
}

const section<scanner_config>& scanner_section() {
  static const section<scanner_config> s{
      .name = "scanner", .shape = section_shape::array_of_tables, .kind_key = "kind", .required = false,
      .doc = "One per QR-code scanner. Each scanner serves exactly one counter; at most one reads stdin.",
      .keys = scanner_keys, .list = &config::scanners};
  return s;
}

const section<counter_config>& counter_section() {
  static const section<counter_config> s{
      .name = "counter", .shape = section_shape::array_of_tables, .kind_key = {}, .required = true,
      .doc = "One per counter where visitors scan their card. At least one.", .keys = counter_keys,
      .list = &config::counters};
  return s;
}

const section<printer_config>& printer_section() {
  static const section<printer_config> s{
      .name = "printer", .shape = section_shape::array_of_tables, .kind_key = "kind", .required = false,
      .doc = "Slip printers counters may name. Optional.", .keys = printer_keys,
      .list = &config::printers};
  return s;
}

std::string section_header(std::string_view name, section_shape s) {
  return s == section_shape::table ? "[" + std::string(name) + "]" : "[[" + std::string(name) + "]]";
}

namespace {

bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

std::string supported_choices(std::span<const choice> choices) {
  std::vector<std::string> names;
  for (const auto& c : choices)
    if (c.supported) names.emplace_back(c.name);
  return join(names);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_group_name(std::string_view s) {
  const auto ok = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || c == '_' || (!first && (is_digit(c) || c == '-'));
  };
  if (s.empty() || s.size() > 32 || !ok(s[0], true)) return false;
  return std::all_of(s.begin() + 1, s.end(), [&](char c) { return ok(c, false); });
}

// "HH:MM" with HH <= max_hours: minutes, or nullopt.
std::optional<int> parse_hh_mm(std::string_view s, int max_hours) {
  if (s.size() != 5 || !is_digit(s[0]) || !is_digit(s[1]) || s[2] != ':' || !is_digit(s[3]) || !is_digit(s[4]))
    return std::nullopt;
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > max_hours || m > 59) return std::nullopt;
  return h * 60 + m;
}

}  // namespace

std::string escaped(std::string_view s, std::size_t limit) {
  std::string out;
  std::size_t n = std::min(s.size(), limit);
  while (n < s.size() && n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
  for (char c : s.substr(0, n)) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (is_control(c)) {
      constexpr char hex[] = "0123456789abcdef";
      const auto u = static_cast<unsigned char>(c);
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 0xf];
    } else {
      out += c;
    }
  }
  if (n < s.size()) out += "...";
  return out;
}

std::string quote(std::string_view s) { return "\"" + escaped(s) + "\""; }

bool is_id(std::string_view s) {
  const auto ok = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || is_digit(c) || (!first && (c == '.' || c == '_' || c == '-'));
  };
  if (s.empty() || s.size() > 64 || !ok(s[0], true)) return false;
  return std::all_of(s.begin() + 1, s.end(), [&](char c) { return ok(c, false); });
}

// Checks one raw value against its key; paths are resolved against `anchor`.
check_result check_value(const key_info& k, const raw_value& raw, const place& at,
                         const std::filesystem::path& anchor) {
  const std::string what = at.what(k.name);
  if (const auto* n = std::get_if<std::int64_t>(&raw)) {
    if (k.type == value_type::integer && (*n < k.min || *n > k.max))
      return std::unexpected(what + " must be between " + std::to_string(k.min) + " and " + std::to_string(k.max) +
                             ", got " + std::to_string(*n));
    if (k.type == value_type::integer_set && std::ranges::find(k.numbers, *n) == k.numbers.end()) {
      std::vector<std::string> allowed;
      for (auto a : k.numbers) allowed.push_back(std::to_string(a));
      return std::unexpected(what + " must be one of " + join(allowed) + ", got " + std::to_string(*n));
    }
    return value{.number = *n, .text = {}};
  }
  const auto* text = std::get_if<std::string_view>(&raw);
  if (!text) return std::unexpected(what + " has no value");
  const std::string_view s = *text;

  switch (k.type) {
    case value_type::integer:
    case value_type::integer_set: return std::unexpected(what + " must be an integer, got string");
    case value_type::choice: {
      const auto it = std::ranges::find(k.choices, s, &choice::name);
      if (it == k.choices.end())
        return std::unexpected(at.prefix + "unknown " + at.qualifier + std::string(k.name) + " " + quote(s) +
                               " (expected " + supported_choices(k.choices) + ")");
      if (!it->supported)
        return std::unexpected(what + " " + quote(s) + " is not supported by this build yet (expected " +
                               supported_choices(k.choices) + ")");
      return value{.number = it - k.choices.begin(), .text = std::string(s)};
    }
    case value_type::id:
      if (!is_id(s))
        return std::unexpected(what + " " + quote(s) +
                               " is not a valid id (expected 1 to 64 characters from a-z 0-9 . _ -, "
                               "starting with a letter or digit)");
      break;
    case value_type::text:
      if (std::ranges::all_of(s, [](char c) { return c == ' '; }))
        return std::unexpected(what + " must not be empty");
      if (std::ranges::any_of(s, is_control))
        return std::unexpected(what + " " + quote(s) + " must not contain control characters");
      if (std::cmp_greater(s.size(), k.max))
        return std::unexpected(what + " is too long: " + std::to_string(s.size()) + " bytes (at most " +
                               std::to_string(k.max) + ")");
      break;
    case value_type::path: {
      if (s.empty()) return std::unexpected(what + " must not be empty");
      if (std::ranges::any_of(s, is_control))
        return std::unexpected(what + " " + quote(s) + " must not contain control characters");
      const std::filesystem::path p = (anchor / std::filesystem::path(s)).lexically_normal();
      if (!p.is_absolute())
        return std::unexpected(what + " " + quote(s) + " must be absolute once resolved against the config " +
                               "file's folder, got " + quote(p.native()));
      if (std::cmp_greater(p.native().size(), k.max))
        return std::unexpected(what + " is too long: " + quote(p.native()) + " is " +
                               std::to_string(p.native().size()) + " bytes once resolved (at most " +
                               std::to_string(k.max) + ")");
      return value{.number = 0, .text = p.native()};
    }
    case value_type::utc_offset: {
      const auto hm = s.size() == 6 && (s[0] == '+' || s[0] == '-') ? parse_hh_mm(s.substr(1), 99) : std::nullopt;
      if (!hm) return std::unexpected(what + " must look like \"+07:00\" (sign, hours, minutes), got " + quote(s));
      const int offset = s[0] == '-' ? -*hm : *hm;
      if (offset < -12 * 60 || offset > 14 * 60)
        return std::unexpected(what + " must be between -12:00 and +14:00, got " + quote(s));
      return value{.number = offset, .text = std::string(s)};
    }
    case value_type::clock_time: {
      const auto hm = parse_hh_mm(s, 23);
      if (!hm) return std::unexpected(what + " must be a time \"HH:MM\" from 00:00 to 23:59, got " + quote(s));
      return value{.number = *hm, .text = std::string(s)};
    }
    case value_type::address: {
      const std::string expected = " (expected host:port, e.g. \"192.168.1.50:9100\")";
      std::string_view host, port;
      if (s.starts_with('[')) {
        const auto close = s.find(']');
        if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':')
          return std::unexpected(what + " " + quote(s) + " has no port" + expected);
        host = s.substr(1, close - 1);
        port = s.substr(close + 2);
      } else {
        const auto colon = s.rfind(':');
        if (colon == std::string_view::npos) return std::unexpected(what + " " + quote(s) + " has no port" + expected);
        host = s.substr(0, colon);
        port = s.substr(colon + 1);
        if (host.find(':') != std::string_view::npos)
          return std::unexpected(what + " " + quote(s) + ": write an IPv6 address in brackets, e.g. \"[fd00::5]:9100\"");
      }
      if (host.empty() || std::ranges::any_of(host, [](char c) { return is_control(c) || c == ' '; }))
        return std::unexpected(what + " " + quote(s) + " has no valid host" + expected);
      int port_number = 0;
      for (char c : port) {
        if (!is_digit(c) || port_number > 65535) {
          port_number = -1;
          break;
        }
        port_number = port_number * 10 + (c - '0');
      }
      if (port.empty() || port_number < 1 || port_number > 65535)
        return std::unexpected(what + " " + quote(s) + ": port must be a number from 1 to 65535");
      break;
    }
    case value_type::usb_id: {
      const auto hex4 = [](std::string_view h) -> std::optional<std::int64_t> {
        if (h.size() != 4) return std::nullopt;
        std::int64_t n = 0;
        for (char c : h) {
          const int d = is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
          if (d < 0) return std::nullopt;
          n = n * 16 + d;
        }
        return n;
      };
      const auto vendor = s.size() == 9 && s[4] == ':' ? hex4(s.substr(0, 4)) : std::nullopt;
      const auto product = vendor ? hex4(s.substr(5)) : std::nullopt;
      if (!product)
        return std::unexpected(what + " must be vendor:product in hex as lsusb shows it, e.g. \"05e0:1300\", got " +
                               quote(s));
      return value{.number = *vendor << 16 | *product, .text = std::string(s)};
    }
    case value_type::usb_port: {
      // "1-1.2": bus, '-', then 1 to 7 port numbers joined by '.'; each 1..255 without leading zeros.
      const std::string expected = " must be a USB port path such as \"1-1.2\" (bus-port.port...), got ";
      const auto number = [](std::string_view n) {
        if (n.empty() || n.size() > 3 || n[0] == '0' || !std::ranges::all_of(n, is_digit)) return false;
        return std::stoi(std::string(n)) <= 255;
      };
      const auto dash = s.find('-');
      if (dash == std::string_view::npos || !number(s.substr(0, dash))) return std::unexpected(what + expected + quote(s));
      std::string_view rest = s.substr(dash + 1);
      int ports = 0;
      while (true) {
        const auto dot = rest.find('.');
        if (!number(rest.substr(0, dot)) || ++ports > 7) return std::unexpected(what + expected + quote(s));
        if (dot == std::string_view::npos) break;
        rest = rest.substr(dot + 1);
      }
      break;
    }
    case value_type::https_url: {
      const auto u = boost::urls::parse_absolute_uri(s);
      if (!u || u->scheme_id() != boost::urls::scheme::https)
        return std::unexpected(what + " must be an https:// URL, e.g. \"https://so-yte.example.vn/ravao\", got " +
                               quote(s));
      if (u->host().empty() || u->has_userinfo() || u->has_query() || u->has_fragment())
        return std::unexpected(what + " " + quote(s) + " must name a host and carry no user, query or fragment");
      if (u->has_port() && (u->port_number() == 0))
        return std::unexpected(what + " " + quote(s) + ": port must be a number from 1 to 65535");
      if (std::cmp_greater(s.size(), k.max)) return std::unexpected(what + " is too long");
      break;
    }
    case value_type::sealing_key:
      if (auto key = seal::parse_public_key(s); !key) return std::unexpected(what + ": " + key.error().context);
      break;
    case value_type::group_name:
      if (!is_group_name(s))
        return std::unexpected(what + " " + quote(s) +
                               " is not a valid group name (expected up to 32 of a-z 0-9 _ -, starting with a "
                               "letter or _)");
      break;
  }
  return value{.number = 0, .text = std::string(s)};
}

}  // namespace ravao::config_schema
