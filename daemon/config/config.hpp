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

#include "drivers/device_config.hpp"
#include "slip/form_definition.hpp"

namespace ravao {

struct site_config {
  std::string id;    // [a-z0-9][a-z0-9._-]{0,63}
  std::string name;  // shown on slips and in status
  std::chrono::minutes utc_offset{7 * 60};  // "+07:00": local time for "today" and end of day
  std::string checkin_qr;  // the check-in code registered with the national platform; empty: none (no poster)
};

struct store_config {
  std::filesystem::path path;  // absolute after loading
  int retention_days = 30;     // 1..3650
  std::int64_t alarm_bytes = 256ll << 20;  // store file size that raises the store alarm
};

struct control_config {
  std::filesystem::path socket;  // absolute after loading
  std::string group;             // socket group; empty: the socket's folder's (set-group-ID) or the daemon's
};

struct visits_config {
  std::chrono::milliseconds duplicate_window{5000};  // 0..600000
  std::chrono::seconds max_duration{4 * 3600};      // 60 .. 7 days
  std::optional<std::chrono::minutes> end_of_day;   // local time "HH:MM"; none: off
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
  // [form] and [[form.field]]: the declaration form (slip/form_definition.hpp).
  slip::form_definition form = slip::default_form();

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
