// load_config / parse_config: TOML text -> validated, immutable config.
//
// Three passes, all reporting every problem as FILE:LINE: message:
//   1. toml++ parses the text (a syntax error stops here: toml++ reports one);
//   2. every section and key is checked and stored by walking the schema
//      tables (schema.cpp): unknown keys, types, ranges, formats, paths;
//   3. rules across entries: unique ids, references, one counter per scanner.
// No exception leaves this file.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <system_error>
#include <tuple>
#include <utility>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "config/config.hpp"
#include "config/form_section.hpp"
#include "config/schema.hpp"

namespace ravao {
namespace {

using namespace config_schema;

constexpr std::size_t max_config_bytes = 1 << 20;

int line_of(const toml::node& n) { return static_cast<int>(n.source().begin.line); }
int line_of(const toml::key& k) { return static_cast<int>(k.source().begin.line); }

std::string_view type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// A plausible misspelling of one of `names`: at most 2 edits away, and fewer
// edits than the word has characters.
std::optional<std::string_view> nearest(std::string_view word, const std::vector<std::string_view>& names) {
  std::optional<std::string_view> best;
  std::size_t best_distance = 3;
  for (auto name : names) {
    if (word.size() > name.size() + 2 || name.size() > word.size() + 2) continue;
    const auto d = edit_distance(word, name);
    if (d < best_distance && d < word.size()) {
      best = name;
      best_distance = d;
    }
  }
  return best;
}

class loader {
 public:
  loader(std::string file, std::filesystem::path source)
      : file_(std::move(file)), anchor_(source.parent_path()) {
    config_.source = std::move(source);
  }

  void load(const toml::table& root) {
    std::vector<std::string_view> names;
    for_each_section([&](const auto& sec) { names.push_back(sec.name); });
    names.push_back("form");
    for (auto&& [k, node] : root)
      if (std::ranges::find(names, k.str()) == names.end()) report_unknown_top_level(k, node, names);
    for_each_section([&](const auto& sec) { load_section(sec, root.get(sec.name)); });
    std::vector<config_form::problem> form_problems;
    config_form::load_form(root.get("form"), config_.form, form_problems);
    for (auto& p : form_problems) report(p.line, std::move(p.message));
    check_unique_ids(scanner_section());
    check_unique_ids(counter_section());
    check_unique_ids(printer_section());
    check_scanners();
    check_counters();
    check_printers();
    check_sync();
  }

  config_result finish() && {
    if (diagnostics_.empty()) return std::move(config_);
    std::ranges::stable_sort(diagnostics_, {}, &config_diagnostic::line);
    return std::unexpected(std::move(diagnostics_));
  }

 private:
  void report(int line, std::string message) {
    diagnostics_.push_back(config_diagnostic{file_, line, std::move(message)});
  }

  void report_unknown_top_level(const toml::key& k, const toml::node& node,
                                const std::vector<std::string_view>& names) {
    std::vector<std::string> headers;
    std::string belongs_in;
    for_each_section([&](const auto& sec) {
      headers.push_back(section_header(sec.name, sec.shape));
      for (const auto& key : sec.keys)
        if (belongs_in.empty() && key.info.name == k.str()) belongs_in = section_header(sec.name, sec.shape);
    });
    if (!node.is_table() && !node.is_array_of_tables()) {
      report(line_of(k), "unknown top-level key " + quote(k.str()) +
                             (belongs_in.empty() ? " (keys belong in a section: " + join(headers) + ")"
                                                 : " (it belongs in " + belongs_in + ")"));
      return;
    }
    const std::string header =
        section_header(escaped(k.str()), node.is_table() ? section_shape::table : section_shape::array_of_tables);
    std::string hint = " (expected " + join(headers) + ")";
    if (const auto near = nearest(k.str(), names)) {
      for_each_section([&](const auto& sec) {
        if (sec.name == *near) hint = " (did you mean " + section_header(sec.name, sec.shape) + "?)";
      });
    }
    report(line_of(k), "unknown section " + header + hint);
  }

  template <class S>
  void load_section(const section<S>& sec, const toml::node* node) {
    const std::string header = section_header(sec.name, sec.shape);
    if (sec.shape == section_shape::table) {
      const place at{.prefix = {}, .qualifier = std::string(sec.name) + ".", .header = header};
      if (!node) {
        // Absent: every key takes its default; required ones are reported (line 0).
        load_keys(sec, toml::table{}, config_.*sec.member, at, 0, 0);
      } else if (const auto* table = node->as_table()) {
        load_keys(sec, *table, config_.*sec.member, at, line_of(*node), 0);
      } else {
        report(line_of(*node), std::string(sec.name) + " must be a table " + header + ", got " +
                                   (node->is_array_of_tables() ? std::string("[[") + std::string(sec.name) + "]]"
                                                               : std::string(type_name(node->type()))));
      }
      return;
    }
    if (!node) {
      if (sec.required) report(0, "no " + header + " declared (at least one is required)");
      return;
    }
    const auto* array = node->as_array();
    if (!array) {
      report(line_of(*node), std::string(sec.name) + " must be an array of tables " + header + ", got " +
                                 (node->is_table() ? "[" + std::string(sec.name) + "]"
                                                   : std::string(type_name(node->type()))));
      return;
    }
    if (array->empty() && sec.required)
      report(line_of(*node), "no " + header + " declared (at least one is required)");
    std::size_t index = 0;
    for (const auto& element : *array) {
      ++index;
      const std::string number = std::string(sec.name) + " #" + std::to_string(index);
      const auto* table = element.as_table();
      if (!table) {
        report(line_of(element), number + " must be a table, got " + std::string(type_name(element.type())));
        continue;
      }
      const auto* id = table->get_as<std::string>("id");
      const place at{.prefix = (id && is_id(id->get()) ? std::string(sec.name) + " " + quote(id->get())
                                                       : number) + ": ",
                     .qualifier = {},
                     .header = header};
      S entry{};
      load_keys(sec, *table, entry, at, line_of(element), index);
      (config_.*sec.list).push_back(std::move(entry));
    }
  }

  // The kind of an entry when it is written and supported: decides which keys apply.
  template <class S>
  static std::optional<std::string_view> known_kind(const section<S>& sec, const toml::table& table) {
    if (sec.kind_key.empty()) return std::nullopt;
    const auto* written = table.get_as<std::string>(sec.kind_key);
    if (!written) return std::nullopt;
    for (const auto& k : sec.keys) {
      if (k.info.name != sec.kind_key) continue;
      for (const auto& c : k.info.choices)
        if (c.supported && c.name == written->get()) return c.name;
    }
    return std::nullopt;
  }

  template <class S>
  void load_keys(const section<S>& sec, const toml::table& table, S& out, const place& at, int table_line,
                 std::size_t index) {
    if constexpr (requires { out.line; }) out.line = table_line;
    std::vector<std::string_view> names;
    for (const auto& k : sec.keys) names.push_back(k.info.name);
    for (auto&& [k, node] : table) {
      if (std::ranges::find(names, k.str()) != names.end()) continue;
      const auto near = nearest(k.str(), names);
      std::vector<std::string> expected(names.begin(), names.end());
      report(line_of(k), "unknown key " + quote(k.str()) + " in " + at.header +
                             (near ? " (did you mean " + quote(*near) + "?)" : " (expected " + join(expected) + ")"));
    }

    const auto kind = known_kind(sec, table);
    for (const auto& k : sec.keys) {
      const key_info& info = k.info;
      const bool per_kind = !info.kinds.empty();
      const bool applies = !per_kind || (kind && std::ranges::find(info.kinds, *kind) != info.kinds.end());
      const toml::node* node = table.get(info.name);
      if (!node) {
        if (!applies) continue;  // not for this kind, or the kind itself is wrong (reported)
        if (info.presence == key_presence::required) {
          std::string message = at.prefix.empty()
                                    ? "missing required key " + quote(info.name) + " in " + at.header
                                    : at.prefix + "missing required key " + quote(info.name);
          if (per_kind) message += " (kind " + std::string(*kind) + " needs it)";
          report(table_line, std::move(message));
        } else if (info.presence == key_presence::defaulted) {
          store(k, out, check_value(info, info.default_value, at, anchor_), table_line);
        }
        continue;
      }
      const int line = line_of(*node);
      key_lines_[{sec.name, index, info.name}] = line;
      if (per_kind && !kind) continue;  // the kind is missing or wrong: reported there
      if (!applies) {
        std::vector<std::string> kinds(info.kinds.begin(), info.kinds.end());
        report(line, at.prefix + "key " + quote(info.name) + " does not apply to kind " + std::string(*kind) +
                         " (only to " + join(kinds, " and ") + ")");
        continue;
      }
      const bool wants_integer = info.type == value_type::integer || info.type == value_type::integer_set;
      raw_value raw;
      if (const auto* n = node->as_integer(); n && wants_integer) raw = n->get();
      if (const auto* s = node->as_string(); s && !wants_integer) raw = std::string_view{s->get()};
      if (std::holds_alternative<std::monostate>(raw)) {
        report(line, at.what(info.name) + " must be " + (wants_integer ? "an integer" : "a string") + ", got " +
                         std::string(type_name(node->type())));
        continue;
      }
      store(k, out, check_value(info, raw, at, anchor_), line);
    }
  }

  template <class S>
  void store(const key<S>& k, S& out, check_result&& checked, int line) {
    if (checked) k.store(out, std::move(*checked));
    else report(line, std::move(checked.error()));
  }

  // Line of `key` in entry `index` (1-based) of [[section]], else the entry's header line.
  int line_at(std::string_view section_name, std::size_t index, std::string_view key, int fallback) const {
    const auto it = key_lines_.find({section_name, index, key});
    return it == key_lines_.end() ? fallback : it->second;
  }

  // `scanner "s1"`, or `scanner #2` when its id is missing or invalid.
  template <class S>
  static std::string name_of(const section<S>& sec, const S& entry, std::size_t index) {
    if (entry.id.empty()) return std::string(sec.name) + " #" + std::to_string(index);
    return std::string(sec.name) + " " + quote(entry.id);
  }

  template <class S>
  static std::string subject(const section<S>& sec, const S& entry, std::size_t index) {
    return name_of(sec, entry, index) + ": ";
  }

  template <class S>
  void check_unique_ids(const section<S>& sec) {
    const auto& entries = config_.*sec.list;
    std::map<std::string_view, int> first_line;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const auto& e = entries[i];
      if (e.id.empty()) continue;
      const int line = line_at(sec.name, i + 1, "id", e.line);
      const auto [it, inserted] = first_line.emplace(e.id, line);
      if (!inserted)
        report(line, subject(sec, e, i + 1) + "duplicate id (first declared at line " + std::to_string(it->second) + ")");
    }
  }

  void check_scanners() {
    const auto& sec = scanner_section();
    const scanner_config* stdin_scanner = nullptr;
    std::map<std::string_view, const scanner_config*> device_users;
    for (std::size_t i = 0; i < config_.scanners.size(); ++i) {
      const auto& s = config_.scanners[i];
      if (s.id.empty()) continue;
      if (s.kind == scanner_kind::stdin_) {
        if (stdin_scanner)
          report(line_at(sec.name, i + 1, "kind", s.line),
                 subject(sec, s, i + 1) + "only one stdin scanner is allowed (scanner " + quote(stdin_scanner->id) +
                     " at line " + std::to_string(stdin_scanner->line) + " already reads stdin)");
        else stdin_scanner = &s;
      }
      if (s.kind == scanner_kind::serial && !s.device.empty()) {
        const auto [it, inserted] = device_users.emplace(s.device, &s);
        if (!inserted)
          report(line_at(sec.name, i + 1, "device", s.line),
                 subject(sec, s, i + 1) + "device " + quote(s.device) + " is already used by scanner " +
                     quote(it->second->id) + " (line " + std::to_string(it->second->line) + ")");
      }
      if (s.kind == scanner_kind::usb_hid) {
        if (s.usb.empty())
          report(s.line, subject(sec, s, i + 1) + "a usb-hid scanner needs usb_id, usb_serial or usb_port (an "
                                                  "unmatched USB keyboard is never taken: it may be the staff's)");
        check_usb_unique(s.usb, subject(sec, s, i + 1), s.line);
      }
      if (!config_.counter_for_scanner(s.id))
        report(s.line, subject(sec, s, i + 1) + "not used by any counter (each scanner serves exactly one " +
                           "counter: add a [[counter]] with scanner = " + quote(s.id) + " or remove it)");
    }
  }

  // Two entries with the same criteria would fight over one device.
  void check_usb_unique(const usb_match& m, const std::string& who, int line) {
    for (const auto& [other, other_line] : usb_matches_) {
      if (other.first == m) {
        report(line, who + "matches the same USB devices (" + m.to_string() + ") as " + other.second + " (line " +
                         std::to_string(other_line) + "); add usb_port or usb_serial to tell them apart");
        return;
      }
    }
    usb_matches_.push_back({{m, who.substr(0, who.size() - 2)}, line});
  }

  void check_printers() {
    const auto& sec = printer_section();
    for (std::size_t i = 0; i < config_.printers.size(); ++i) {
      const auto& p = config_.printers[i];
      if (!p.id.empty() && p.kind == printer_kind::usb) check_usb_unique(p.usb, subject(sec, p, i + 1), p.line);
      for (std::size_t k = 0; k < std::size(printer_profiles); ++k) {
        if (p.profile != printer_profiles[k].name || printer_profile_paper_mm[k] == p.paper_width_mm) continue;
        report(line_at(sec.name, i + 1, "profile", p.line),
               subject(sec, p, i + 1) + "profile " + quote(p.profile) + " is for " +
                   std::to_string(printer_profile_paper_mm[k]) + " mm paper but paper_width_mm is " +
                   std::to_string(p.paper_width_mm));
      }
    }
  }

  // [sync]: what a working upload needs, and secrets only the daemon can read.
  void check_sync() {
    const auto& sy = config_.sync;
    const int fallback = line_at("sync", 0, "url", 0);
    const auto at = [&](std::string_view key) { return line_at("sync", 0, key, fallback); };
    if ((sy.client_cert.empty()) != (sy.client_key.empty()))
      report(at(sy.client_cert.empty() ? "client_key" : "client_cert"),
             "[sync] client_cert and client_key go together (the certificate and its private key)");
    if (sy.enabled()) {
      if (sy.ca_file.empty())
        report(at("url"), "[sync] url needs ca_file: the CA the server's certificate must chain to "
                          "(verification cannot be switched off)");
      if (sy.client_cert.empty() && sy.token_file.empty())
        report(at("url"), "[sync] url needs a way to prove who this gateway is: client_cert + client_key, "
                          "or token_file");
      if (sy.public_key.empty())
        report(at("url"), "[sync] url needs public_key, the province's sealing key (ravao-receiver keygen prints it)");
    }
    const auto readable = [&](const std::filesystem::path& p, std::string_view key, bool secret) {
      if (p.empty()) return;
      struct stat st {};
      if (::stat(p.c_str(), &st) != 0) {
        report(at(key), "[sync] " + std::string(key) + " " + quote(p.native()) + ": " + std::strerror(errno));
      } else if (!S_ISREG(st.st_mode)) {
        report(at(key), "[sync] " + std::string(key) + " " + quote(p.native()) + " is not a regular file");
      } else if (secret && (st.st_mode & 077) != 0) {
        report(at(key), "[sync] " + std::string(key) + " " + quote(p.native()) +
                            " may be read by other users (mode " + fmt::format("{:04o}", st.st_mode & 07777) +
                            "): make it readable only by the daemon's user (chmod 600)");
      }
    };
    readable(sy.ca_file, "ca_file", false);
    readable(sy.client_cert, "client_cert", false);
    readable(sy.client_key, "client_key", true);
    readable(sy.token_file, "token_file", true);
  }

  template <class S>
  static std::string declared(const section<S>& sec, const std::vector<S>& entries) {
    std::vector<std::string> ids;
    for (const auto& e : entries)
      if (!e.id.empty() && ids.size() < 10) ids.push_back(quote(e.id));
    if (ids.empty()) return " (no " + section_header(sec.name, sec.shape) + " is declared)";
    return " (declared: " + join(ids) + (ids.size() < entries.size() ? ", ...)" : ")");
  }

  void check_counters() {
    const auto& sec = counter_section();
    std::map<std::string_view, std::size_t> scanner_user;  // scanner id -> index of its first counter
    for (std::size_t i = 0; i < config_.counters.size(); ++i) {
      const auto& c = config_.counters[i];
      const std::string who = subject(sec, c, i + 1);
      if (!c.scanner.empty()) {
        const int line = line_at(sec.name, i + 1, "scanner", c.line);
        if (!config_.find_scanner(c.scanner)) {
          report(line, who + "scanner " + quote(c.scanner) + " is not declared" +
                           declared(scanner_section(), config_.scanners));
        } else if (const auto [it, inserted] = scanner_user.emplace(c.scanner, i); !inserted) {
          const auto& first = config_.counters[it->second];
          report(line, who + "scanner " + quote(c.scanner) + " is already used by " +
                           name_of(sec, first, it->second + 1) +
                           " (line " + std::to_string(first.line) + "); a scanner serves exactly one counter");
        }
      }
      if (c.printer && !config_.find_printer(*c.printer))
        report(line_at(sec.name, i + 1, "printer", c.line),
               who + "printer " + quote(*c.printer) + " is not declared" +
                   declared(printer_section(), config_.printers));
    }
  }

  std::string file_;
  std::filesystem::path anchor_;
  config config_;
  std::vector<std::pair<std::pair<usb_match, std::string>, int>> usb_matches_;  // criteria, who, line
  std::vector<config_diagnostic> diagnostics_;
  // (section, entry index from 1 or 0 for a table, key) -> line of the value.
  std::map<std::tuple<std::string_view, std::size_t, std::string_view>, int> key_lines_;
};

config_result failure(std::string file, int line, std::string message) {
  return std::unexpected(std::vector{config_diagnostic{std::move(file), line, std::move(message)}});
}

// The whole file, or the reason it cannot be read.
std::expected<std::string, std::string> read_file(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(std::error_code(errno, std::system_category()).message());
  std::string text;
  std::optional<std::string> problem;
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      problem = std::error_code(errno, std::system_category()).message();
      break;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > max_config_bytes) {
      problem = "larger than " + std::to_string(max_config_bytes >> 20) + " MiB";
      break;
    }
  }
  ::close(fd);
  if (problem) return std::unexpected(std::move(*problem));
  return text;
}

}  // namespace

config_result load_config(const std::filesystem::path& file) {
  try {
    auto text = read_file(file);
    if (!text) return failure(file.string(), 0, "cannot read: " + text.error());
    return parse_config(*text, file);
  } catch (const std::exception& e) {
    return failure(file.string(), 0, std::string("cannot load: ") + e.what());
  }
}

config_result parse_config(std::string_view toml_text, const std::filesystem::path& file) {
  try {
    const std::string name = file.string();
    std::error_code ec;
    std::filesystem::path source = std::filesystem::absolute(file, ec);
    if (ec) source = file;  // relative paths in it then fail the "absolute once resolved" check
    try {
      const toml::table root = toml::parse(toml_text, std::string_view{name});
      loader l(name, source.lexically_normal());
      l.load(root);
      return std::move(l).finish();
    } catch (const toml::parse_error& e) {
      // toml++ may quote the offending bytes (a raw newline, a NUL) verbatim.
      return failure(name, static_cast<int>(e.source().begin.line),
                     "invalid TOML: " + escaped(e.description(), 400));
    }
  } catch (const std::exception& e) {
    return failure(file.string(), 0, std::string("cannot load: ") + e.what());
  }
}

}  // namespace ravao
