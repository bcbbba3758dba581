#include "config/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <span>
#include <variant>

#include "config/schema.hpp"

namespace ravao {
namespace {

// The spelling of an enum value, from the same table the schema accepts.
template <class E>
std::string_view spelling(std::span<const config_schema::choice> names, E e) {
  const auto i = static_cast<std::size_t>(e);
  return i < names.size() ? names[i].name : std::string_view{"?"};
}

template <class T>
const T* find_by(const std::vector<T>& items, auto T::*member, std::string_view value) {
  const auto it = std::ranges::find_if(items, [&](const T& item) { return item.*member == value; });
  return it == items.end() ? nullptr : &*it;
}

}  // namespace

std::string_view to_string(counter_mode m) { return spelling(config_schema::counter_modes, m); }
std::string_view to_string(slip_preprint p) { return spelling(config_schema::slip_preprints, p); }

const scanner_config* config::find_scanner(std::string_view id) const {
  return find_by(scanners, &scanner_config::id, id);
}

const counter_config* config::find_counter(std::string_view id) const {
  return find_by(counters, &counter_config::id, id);
}

const counter_config* config::counter_for_scanner(std::string_view scanner_id) const {
  return find_by(counters, &counter_config::scanner, scanner_id);
}

const printer_config* config::find_printer(std::string_view id) const {
  return find_by(printers, &printer_config::id, id);
}

std::string config_diagnostic::to_string() const {
  if (line <= 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ": " + message;
}

namespace {

using namespace config_schema;

std::string join_numbers(std::span<const std::int64_t> numbers) {
  std::string out;
  for (auto n : numbers) out += (out.empty() ? "" : ", ") + std::to_string(n);
  return out;
}

std::string type_cell(const key_info& k) {
  switch (k.type) {
    case value_type::integer:
    case value_type::integer_set: return "integer";
    default: return "string";
  }
}

std::string allowed_cell(const key_info& k) {
  switch (k.type) {
    case value_type::integer: return std::to_string(k.min) + " .. " + std::to_string(k.max);
    case value_type::integer_set: return join_numbers(k.numbers);
    case value_type::choice: {
      std::string out, reserved;
      for (const auto& c : k.choices) {
        auto& to = c.supported ? out : reserved;
        to += (to.empty() ? "`" : ", `") + std::string(c.name) + "`";
      }
      if (!reserved.empty()) out += " (reserved, not supported yet: " + reserved + ")";
      return out;
    }
    case value_type::id: return "`[a-z0-9][a-z0-9._-]{0,63}`";
    case value_type::text: return "1 .. " + std::to_string(k.max) + " bytes of UTF-8, no control characters";
    case value_type::path:
      return "absolute, or relative to the config file's folder; at most " + std::to_string(k.max) +
             " bytes once resolved";
    case value_type::utc_offset: return "`\"-12:00\"` .. `\"+14:00\"`";
    case value_type::clock_time: return "`\"00:00\"` .. `\"23:59\"`";
    case value_type::address: return "`host:port` or `[ipv6]:port`, port 1 .. 65535";
    case value_type::group_name: return "a group name: `[a-z_][a-z0-9_-]{0,31}`";
    case value_type::usb_id: return "`\"vvvv:pppp\"`, hex";
    case value_type::usb_port: return "`\"bus-port[.port]...\"`, e.g. `\"1-1.2\"`";
    case value_type::https_url: return "`https://host[:port][/path]`";
    case value_type::sealing_key: return "`\"ravao-pk1:...\"`";
  }
  return {};
}

std::string default_cell(const key_info& k) {
  switch (k.presence) {
    case key_presence::required: return "required";
    case key_presence::optional: return "none";
    case key_presence::defaulted: break;
  }
  if (const auto* n = std::get_if<std::int64_t>(&k.default_value)) return std::to_string(*n);
  if (const auto* s = std::get_if<std::string_view>(&k.default_value)) return "`\"" + std::string(*s) + "\"`";
  return {};
}

std::string kinds_cell(const key_info& k) {
  if (k.kinds.empty()) return "all";
  std::string out;
  for (auto kind : k.kinds) out += (out.empty() ? "`" : ", `") + std::string(kind) + "`";
  return out;
}

// Table cells must not contain '|' or line breaks.
std::string cell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

}  // namespace

std::string describe_config_keys() {
  std::string out;
  for_each_section([&out](const auto& sec) {
    const bool has_kinds = !sec.kind_key.empty();
    out += "### `" + section_header(sec.name, sec.shape) + "`\n\n" + std::string(sec.doc) + "\n\n";
    out += has_kinds ? "| Key | Type | Default | Allowed | Applies to | Description |\n"
                       "|-----|------|---------|---------|------------|-------------|\n"
                     : "| Key | Type | Default | Allowed | Description |\n"
                       "|-----|------|---------|---------|-------------|\n";
    for (const auto& k : sec.keys) {
      const auto& i = k.info;
      out += "| `" + std::string(i.name) + "` | " + type_cell(i) + " | " + cell(default_cell(i)) + " | " +
             cell(allowed_cell(i)) + " | ";
      if (has_kinds) out += cell(kinds_cell(i)) + " | ";
      out += cell(std::string(i.doc)) + " |\n";
    }
    out += "\n";
  });
  return out;
}

}  // namespace ravao
