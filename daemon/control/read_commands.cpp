// The control API's read commands (docs/control.md): what the store and
// the services show, answered on the loop from the read-only store. Personal
// data is only sealed to the province (docs/privacy.md): what leaves the
// daemon is the masked forms it keeps, ID numbers as **********45, names as
// NGUYỄN V. A.

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/text.hpp"
#include "control/args.hpp"
#include "control/commands.hpp"
#include "control/since.hpp"
#include "print/print_jobs.hpp"

namespace ravao {
namespace asio = boost::asio;
namespace json = boost::json;
using control::arg_limit;
using control::arg_string;
using control::unwrap;

namespace {

json::value time_value(const std::optional<std::int64_t>& ms, std::chrono::minutes off) {
  if (!ms) return nullptr;
  return json::value(format_local(*ms, off));
}

// Payload text of records without identity, for display. Only payloads that
// carry nothing personal are kept in clear (ravao's own codes, device
// events); the others are sealed and shown as such.
std::string display_payload(const record_row& e) {
  if (e.payload.empty() && e.name_masked.empty() && e.id_masked.empty()) {
    if (e.has_sealed) return "(sealed)";
    if (e.flags.find("personal_data_not_kept") != std::string::npos) return "(not kept: no [sync] public_key)";
  }
  if (e.payload.empty()) return {};
  // Defence in depth: long digit runs are masked like ID numbers, and a
  // text with '|' fields and such a run is withheld.
  std::string out;
  bool long_run = false;
  for (std::size_t i = 0; i < e.payload.size();) {
    std::size_t j = i;
    while (j < e.payload.size() && e.payload[j] >= '0' && e.payload[j] <= '9') ++j;
    if (j - i >= 9) {
      long_run = true;
      out += text::mask_id(std::string_view(e.payload).substr(i, j - i));
      i = j;
    } else if (j > i) {
      out.append(e.payload, i, j - i);
      i = j;
    } else {
      out += e.payload[i++];
    }
  }
  if (long_run && e.payload.find('|') != std::string::npos)
    return "(withheld: looks like personal data, " + std::to_string(e.payload.size()) + " bytes)";
  return text::escape_for_log(out, 256);
}

std::string display_name(const std::string& name_masked) { return text::escape_for_log(name_masked, 256); }

// How a device is designated in the configuration, in words.
std::string match_text(const scanner_config& s) {
  switch (s.kind) {
    case scanner_kind::serial: return "tty " + s.device;
    case scanner_kind::stdin_: return "standard input";
    case scanner_kind::usb_hid: return s.usb.to_string() + ", mode " + std::string(to_string(s.mode));
  }
  return {};
}

std::string match_text(const printer_config& p) {
  switch (p.kind) {
    case printer_kind::usb: return p.usb.empty() ? "any USB printer-class device" : p.usb.to_string();
    case printer_kind::lp:
    case printer_kind::serial: return p.device;
    case printer_kind::tcp: return p.address;
    case printer_kind::file: return p.path.string();
  }
  return {};
}

}  // namespace

asio::awaitable<json::value> control_commands::status(const json::object&) { co_return s_.status(); }

asio::awaitable<json::value> control_commands::ping(const json::object&) { co_return "pong"; }

asio::awaitable<json::value> control_commands::counters(const json::object&) {
  const auto rows = unwrap(s_.reader.counters(now()));
  json::array out;
  for (const auto& [id, rt] : s_.counters.all()) {
    json::object o{
        {"id", id},
        {"name", rt.cfg.name},
        {"mode", to_string(rt.cfg.mode)},
        {"scanner", rt.scanner.id},
        {"scanner_kind", to_string(rt.scanner.kind)},
        {"device", rt.scanner.device},
        {"state", to_string(rt.health.state)},
        {"reason", rt.health.reason},
        {"printer", rt.cfg.printer.value_or("")},
        {"last_event", rt.health.last_event},
        {"open_visits", 0}, {"visits_today", 0}, {"records_today", 0}, {"duplicates", 0}, {"rejected", 0},
        {"last_scan", nullptr},
    };
    for (const auto& c : rows) {
      if (c.counter_id != id) continue;
      o["open_visits"] = c.open_visits;
      o["visits_today"] = c.visits_today;
      o["records_today"] = c.records_today;
      o["duplicates"] = c.duplicates;
      o["rejected"] = c.rejected;
      o["last_scan"] = time_value(c.last_scan_wall_ms, s_.cfg.site.utc_offset);
    }
    out.push_back(std::move(o));
  }
  co_return out;
}

asio::awaitable<json::value> control_commands::visits(const json::object& r) {
  visit_filter f;
  f.counter_id = arg_string(r, "counter");
  if (const auto since = arg_string(r, "since"); !since.empty())
    f.since_wall_ms = unwrap(parse_since(since, now().wall_ms, s_.cfg.site.utc_offset));
  if (const auto* o = r.if_contains("open"); o && !o->is_null()) {
    if (!o->is_bool()) throw std::invalid_argument("\"open\" must be true or false");
    f.open_only = o->as_bool();
  }
  f.limit = arg_limit(r);
  json::array out;
  for (const auto& v : unwrap(s_.reader.visits(f))) {
    out.push_back(json::object{
        {"id", v.id},
        {"counter", v.counter_id},
        {"person_id", v.id_masked},
        {"person_name", display_name(v.name_masked)},
        {"opened", time_value(v.opened_wall_ms, s_.cfg.site.utc_offset)},
        {"opened_ms", v.opened_wall_ms ? json::value(*v.opened_wall_ms) : json::value(nullptr)},
        {"closed", time_value(v.closed_wall_ms, s_.cfg.site.utc_offset)},
        {"closed_ms", v.closed_wall_ms ? json::value(*v.closed_wall_ms) : json::value(nullptr)},
        {"closed_at_counter", v.closed_counter_id},
        {"close_reason", v.close_reason},
        {"open", !v.closed_wall_ms.has_value()},
        {"clock_synchronised", v.opened_clock_synced},
        {"duplicates", v.duplicates},
        {"rescans", v.rescans},
    });
  }
  co_return out;
}

asio::awaitable<json::value> control_commands::events(const json::object& r) {
  record_filter f;
  f.counter_id = arg_string(r, "counter");
  if (const auto since = arg_string(r, "since"); !since.empty())
    f.since_wall_ms = unwrap(parse_since(since, now().wall_ms, s_.cfg.site.utc_offset));
  if (const auto* a = r.if_contains("after_seq"); a && !a->is_null()) {
    if (!a->is_int64() || a->as_int64() < 0) throw std::invalid_argument("\"after_seq\" must be a non-negative integer");
    f.after_seq = a->as_int64();
  }
  f.limit = arg_limit(r);
  json::array out;
  for (const auto& e : unwrap(s_.reader.records(f))) {
    out.push_back(json::object{
        {"seq", e.seq},
        {"type", e.type},
        {"counter", e.counter_id},
        {"visit", e.visit_id},
        {"payload_kind", e.payload_kind},
        {"person_id", e.id_masked},
        {"person_name", display_name(e.name_masked)},
        {"payload", display_payload(e)},
        {"sealed", e.has_sealed},
        {"ref", e.ref ? json::value(*e.ref) : json::value(nullptr)},
        {"symbology", e.symbology},
        {"flags", e.flags},
        {"close_reason", e.close_reason},
        {"time", format_local(e.wall_ms, s_.cfg.site.utc_offset)},
        {"wall_ms", e.wall_ms},
        {"boot_id", e.boot_id},
        {"boottime_ns", e.boottime_ns},
        {"clock_synchronised", e.clock_synced},
        {"actor", e.actor},
    });
  }
  co_return out;
}

asio::awaitable<json::value> control_commands::devices(const json::object&) {
  // Which configured device holds which USB device, and the USB devices no
  // entry took (ids and port paths to copy into the configuration).
  std::map<std::string, const usb::usb_bus::device_entry*> held;
  const std::vector<usb::usb_bus::device_entry> usb_devices = s_.usb.devices();
  for (const auto& d : usb_devices)
    if (!d.owner.empty()) held[d.owner] = &d;
  const auto attached = [&](const std::string& owner) -> std::string {
    const auto it = held.find(owner);
    if (it == held.end()) return {};
    const auto& i = it->second->info;
    return fmt::format("{} at {}{}", i.ids(), i.port, i.serial ? " serial " + *i.serial : std::string());
  };
  const auto usb_json = [&](const std::string& owner) -> json::value {
    const auto it = held.find(owner);
    if (it == held.end()) return nullptr;
    const auto& i = it->second->info;
    return json::object{{"usb_id", i.ids()}, {"port", i.port}, {"serial", i.serial.value_or("")},
                        {"bus", i.bus}, {"address", i.address}};
  };
  json::array out;
  for (const auto& [id, rt] : s_.counters.all()) {
    out.push_back(json::object{
        {"id", rt.scanner.id},
        {"type", "scanner"},
        {"kind", to_string(rt.scanner.kind)},
        {"device", rt.scanner.device},
        {"match", match_text(rt.scanner)},
        {"usb", usb_json("scanner " + rt.scanner.id)},
        {"attached", attached("scanner " + rt.scanner.id)},
        {"counter", id},
        {"state", to_string(rt.health.state)},
        {"reason", rt.health.reason},
        {"since", format_local(rt.health.since_ms, s_.cfg.site.utc_offset)},
        {"frames", rt.frames},
        {"last_event", rt.health.last_event},
    });
  }
  for (const auto& [id, rt] : s_.printing.all()) {
    json::array counters;
    for (const auto& c : s_.cfg.counters)
      if (c.printer == id) counters.emplace_back(c.id);
    out.push_back(json::object{
        {"id", id},
        {"type", "printer"},
        {"kind", to_string(rt.cfg.kind)},
        {"device", rt.cfg.kind == printer_kind::usb ? std::string() : match_text(rt.cfg)},
        {"match", match_text(rt.cfg)},
        {"usb", usb_json("printer " + id)},
        {"attached", attached("printer " + id)},
        {"counter", counters.empty() ? std::string() : std::string(counters[0].as_string())},
        {"counters", std::move(counters)},
        {"state", to_string(rt.health.state)},
        {"paper", !rt.worker ? "-" : rt.worker->status() ? std::string(escpos::to_string(*rt.worker->status()))
                                                           : std::string("unknown")},
        {"profile", rt.worker ? std::string(rt.worker->profile().name) : std::string()},
        {"reason", rt.worker && rt.worker->status() && *rt.worker->status() != escpos::printer_status::online
                       ? (rt.health.reason.empty() ? "" : rt.health.reason + "; ") + "printer reports " + rt.worker->status_reason()
                       : rt.health.reason},
        {"since", format_local(rt.health.since_ms, s_.cfg.site.utc_offset)},
        {"last_event", rt.health.last_event},
    });
  }
  for (const auto& d : usb_devices) {
    if (!d.owner.empty()) continue;
    std::string classes;
    for (auto c : d.info.interface_classes) classes += (classes.empty() ? "" : ",") + std::to_string(c);
    out.push_back(json::object{
        {"id", ""},
        {"type", "usb-unassigned"},
        {"kind", "usb"},
        {"device", ""},
        {"match", "no configured entry matches"},
        {"attached", fmt::format("{} at {}{} (interface classes {})", d.info.ids(), d.info.port,
                                 d.info.serial ? " serial " + *d.info.serial : std::string(), classes)},
        {"usb", json::object{{"usb_id", d.info.ids()}, {"port", d.info.port}, {"serial", d.info.serial.value_or("")},
                             {"bus", d.info.bus}, {"address", d.info.address}, {"interface_classes", classes}}},
        {"counter", ""},
        {"state", "unassigned"},
        {"reason", ""},
        {"since", ""},
        {"last_event", ""},
    });
  }
  co_return out;
}

asio::awaitable<json::value> control_commands::jobs(const json::object& r) {
  job_filter f;
  f.printer_id = arg_string(r, "printer");
  if (const auto* v = r.if_contains("pending"); v && v->is_bool()) f.pending_only = v->as_bool();
  f.limit = arg_limit(r, f.limit);
  auto rows = unwrap(s_.reader.jobs(f));
  json::array out;
  for (const auto& j : rows) out.push_back(job_json(j, s_.cfg.site.utc_offset));
  co_return out;
}

asio::awaitable<json::value> control_commands::sync(const json::object& request) {
  sync::uploader* up = s_.sync.uploader();
  if (!up)
    throw std::runtime_error(s_.sync.unavailable().empty() ? std::string("sync is not running")
                                                           : "sync could not start: " + s_.sync.unavailable());
  if (request.contains("now") && request.at("now").is_bool() && request.at("now").as_bool()) up->kick();
  json::object o = up->status().to_json();
  o["gateway"] = s_.cfg.sync.effective_gateway_id(s_.cfg.site);
  // Site-local times for people; the _wall_ms fields stay for programs.
  const auto local = [&](std::string_view from, std::string_view to) {
    if (const auto* v = o.if_contains(from); v && v->is_int64()) o[to] = format_local(v->as_int64(), s_.cfg.site.utc_offset);
    else o[to] = "";
  };
  local("last_success_wall_ms", "last_success");
  local("last_error_wall_ms", "last_error_time");
  local("next_attempt_wall_ms", "next_attempt");
  local("oldest_unsent_wall_ms", "oldest_unsent");
  local("last_heartbeat_wall_ms", "last_heartbeat");
  json::array dead;
  if (auto d = s_.reader.dead_letters(20)) {
    for (const auto& [letter, wall_ms] : *d)
      dead.push_back(json::object{{"seq", letter.seq}, {"reason", letter.reason}, {"wall_ms", wall_ms}});
  }
  o["dead_letter_list"] = std::move(dead);
  co_return o;
}

}  // namespace ravao
