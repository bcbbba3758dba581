#pragma once
// Private to daemon/config: the configuration schema as data. Every key is
// declared once, in schema.cpp, with its TOML type, format, default, range,
// documentation and the setter that stores it into the config struct. The
// loader (load.cpp) and the Markdown reference (describe_config_keys) both
// walk these tables; neither knows any key by name.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.hpp"
#include "common/text.hpp"

namespace ravao::config_schema {

// How a value is written in TOML and what it must look like.
enum class value_type {
  integer,      // TOML integer within [min, max]
  integer_set,  // TOML integer, one of `numbers`
  choice,       // TOML string, one of `choices`
  id,           // TOML string, [a-z0-9][a-z0-9._-]{0,63}
  text,         // TOML string, 1..max bytes, no control characters
  path,         // TOML string; relative: against the config file's folder; at most max bytes after that
  utc_offset,   // TOML string "+HH:MM" / "-HH:MM", -12:00 .. +14:00
  clock_time,   // TOML string "HH:MM", 00:00 .. 23:59
  address,      // TOML string "host:port", "[v6]:port"
  group_name,   // TOML string, a POSIX group name
  usb_id,       // TOML string "vvvv:pppp" (hex); number = vendor << 16 | product
  usb_port,     // TOML string "B-P[.P]...": bus 1..255, up to 7 ports 1..255
  https_url,    // TOML string "https://host[:port][/path]", no query, user info or fragment
  sealing_key,  // TOML string "ravao-pk1:..." (ravao-receiver keygen)
};

// One allowed string of a `choice` key. An unsupported choice is reserved: it
// parses (the enum has it) but is rejected with "not supported by this build yet".
struct choice {
  std::string_view name;
  bool supported = true;
};

// The value as written, before checks: what a TOML node or a default holds.
using raw_value = std::variant<std::monostate, std::int64_t, std::string_view>;

// A checked value, ready to store: `number` for integers, choices (the index
// into `choices`), offsets and times (minutes); `text` for everything else
// (paths already resolved and absolute).
struct value {
  std::int64_t number = 0;
  std::string text;
};

enum class key_presence {
  required,  // absent: an error
  optional,  // absent: the struct keeps "none" (empty string, nullopt)
  defaulted, // absent: `default_value` is checked and stored like a written value
};

struct key_info {
  std::string_view name;
  value_type type;
  key_presence presence;
  raw_value default_value{};
  std::int64_t min = 0;  // integer: lower bound
  std::int64_t max = 0;  // integer: upper bound; text, path: maximum length in bytes
  std::span<const std::int64_t> numbers{};  // integer_set
  std::span<const choice> choices{};        // choice
  // Kinds (values of the section's kind key) this key applies to; empty: all.
  // A key given for another kind is an error; a required key is required only
  // for these kinds.
  std::span<const std::string_view> kinds{};
  std::string_view doc;
};

template <class S>
struct key {
  key_info info;
  void (*store)(S& target, value&& v);
};

enum class section_shape {
  table,           // [site]: zero or one, filled into config::*member
  array_of_tables, // [[scanner]]: zero or more, appended to config::*list
};

template <class S>
struct section {
  std::string_view name;
  section_shape shape;
  std::string_view kind_key;  // key whose value selects `key_info::kinds`, or empty
  bool required;              // [[array]]: at least one entry ([table]: see its required keys)
  std::string_view doc;
  std::span<const key<S>> keys;
  S config::*member = nullptr;               // shape::table
  std::vector<S> config::*list = nullptr;    // shape::array_of_tables
};

const section<site_config>& site_section();
const section<store_config>& store_section();
const section<control_config>& control_section();
const section<visits_config>& visits_section();
const section<slips_config>& slips_section();
const section<sync_config>& sync_section();
const section<scanner_config>& scanner_section();
const section<counter_config>& counter_section();
const section<printer_config>& printer_section();

// Calls f(section) for each section, in documentation order.
template <class F>
void for_each_section(F&& f) {
  f(site_section());
  f(store_section());
  f(control_section());
  f(visits_section());
  f(slips_section());
  f(sync_section());
  f(scanner_section());
  f(counter_section());
  f(printer_section());
}

// Enum spellings, indexed by the enum's value; to_string() and the schema
// both use these (the device kinds and modes are spelled in
// drivers/device_config.hpp).
inline constexpr choice scanner_kinds[] = {{scanner_kind_names[0]}, {scanner_kind_names[1]}, {scanner_kind_names[2]}};
inline constexpr choice usb_hid_modes[] = {{usb_hid_mode_names[0]}, {usb_hid_mode_names[1]}, {usb_hid_mode_names[2]}};
inline constexpr choice counter_modes[] = {{"entry"}, {"exit"}, {"toggle"}};
inline constexpr choice printer_kinds[] = {{printer_kind_names[0]}, {printer_kind_names[1]}, {printer_kind_names[2]},
                                           {printer_kind_names[3]}, {printer_kind_names[4]}};
inline constexpr choice slip_preprints[] = {{"none"}, {"masked"}};
// The ESC/POS printer profiles (drivers/escpos/profile.cpp has their data;
// a test keeps the two lists equal).
inline constexpr choice printer_profiles[] = {{"generic-58"}, {"generic-80"}, {"epson-tm-t20"}, {"xprinter-58"}};
inline constexpr int printer_profile_paper_mm[] = {58, 80, 80, 58};

// "[site]" or "[[scanner]]".
std::string section_header(std::string_view name, section_shape s);

// What a message is about: `store.path`, or `scanner "s1": baud`.
struct place {
  std::string prefix;     // "" for a [table]; `scanner "s1": ` for an [[entry]]
  std::string qualifier;  // "store." for a [table]; "" for an [[entry]]
  std::string header;     // "[store]", "[[scanner]]"
  std::string what(std::string_view key) const { return prefix + qualifier + std::string(key); }
};

// Checks a raw value (as written, or a default) against its key: type,
// range, format. Paths are resolved against `anchor` (the config file's
// folder). The error is a complete message naming `at`.
using check_result = std::expected<value, std::string>;
check_result check_value(const key_info& k, const raw_value& raw, const place& at,
                         const std::filesystem::path& anchor);

// User text for messages, on one line: control bytes become \xNN, '"' and
// '\\' are escaped; at most `limit` bytes of `s` (cut on a UTF-8 boundary,
// then "..."). quote() adds the double quotes.
std::string escaped(std::string_view s, std::size_t limit = 80);
std::string quote(std::string_view s);

using text::join;  // common/text.hpp

// [a-z0-9][a-z0-9._-]{0,63}
bool is_id(std::string_view s);

}  // namespace ravao::config_schema
