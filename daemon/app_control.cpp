// ravaod's answers to ravaoctl (protocol: docs/control.md). The store holds
// personal data only sealed to the province (docs/privacy.md): what leaves
// the daemon is the masked forms it keeps, ID numbers as 0010******45, names
// as NGUYỄN V. A.

#include <unistd.h>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "app.hpp"
#include "control/since.hpp"
#include "common/text.hpp"

namespace ravao {
namespace json = boost::json;

namespace {

std::string arg_string(const json::object& r, std::string_view key) {
  const auto* v = r.if_contains(key);
  if (!v || v->is_null()) return {};
  if (!v->is_string()) throw std::invalid_argument(fmt::format("\"{}\" must be a string", key));
  return std::string(v->as_string());
}

int arg_limit(const json::object& r) {
  const auto* v = r.if_contains("limit");
  if (!v || v->is_null()) return 200;
  if (!v->is_int64() || v->as_int64() < 1 || v->as_int64() > 100'000)
    throw std::invalid_argument("\"limit\" must be an integer from 1 to 100000");
  return static_cast<int>(v->as_int64());
}

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

template <class T>
T unwrap(result<T> r) {
  if (!r) throw std::runtime_error(r.error().message());
  return std::move(*r);
}

}  // namespace

json::value app::handle_control(const json::object& r) {
  const std::string cmd = arg_string(r, "cmd");
  if (cmd == "status") return status_json();
  if (cmd == "counters") return counters_json();
  if (cmd == "visits") return visits_json(r);
  if (cmd == "events") return events_json(r);
  if (cmd == "devices") return devices_json();
  if (cmd == "ping") return "pong";
  if (cmd == "slip.print") return slip_print_json(r);
  if (cmd == "slip.reprint") return slip_reprint_json(r);
  if (cmd == "slip.preview") return slip_preview_json(r);
  if (cmd == "card.print") return card_print_json(r);
  if (cmd == "printer.test") return printer_test_json(r);
  if (cmd == "jobs") return jobs_json(r);
  if (cmd == "declare") return declare_json(r);
  if (cmd == "sync") return sync_json(r);
  throw std::invalid_argument(fmt::format(
      "unknown command \"{}\" (expected status, counters, visits, events, devices, ping, slip.print, slip.reprint, "
      "slip.preview, card.print, printer.test, jobs, declare, sync)",
      cmd));
}

json::value app::status_json() const {
  const timestamp t = now();
  const store_totals totals = committer_->totals();
  const store_state st = committer_->state();
  const store_health health = reader_->health();
  const auto [online, total] = devices_online();
  const bool today = totals.today == local_day(t.wall_ms, cfg_.site.utc_offset);
  json::object store_obj{
      {"path", cfg_.store.path.string()},
      {"available", st.available},
      {"error", st.last_error},
      {"pending_scans", st.pending},
      {"schema_version", health.schema_version},
      {"file_bytes", health.file_bytes},
      {"recovered_from", health.recovered_from},
      {"last_seq", totals.last_seq},
  };
  std::vector<std::string> alarms;
  if (!st.available) alarms.push_back("store unavailable: " + st.last_error);
  if (store_recovered_)
    alarms.push_back("store was corrupt and was moved aside to " + health.recovered_from);
  for (const auto& [id, rt] : counters_) {
    if (rt.state != device_state::online) alarms.push_back(fmt::format("counter {}: scanner {} {}: {}", id, rt.scanner.id, to_string(rt.state), rt.reason));
  }
  for (const auto& [id, rt] : printers_) {
    if (rt.state != device_state::online)
      alarms.push_back(fmt::format("printer {} {}: {}", id, to_string(rt.state), rt.reason));
  }
  for (auto& a : sync_alarms()) alarms.push_back(std::move(a));
  json::array alarm_arr;
  for (auto& a : alarms) alarm_arr.emplace_back(a);
  return json::object{
      {"site", json::object{{"id", cfg_.site.id}, {"name", cfg_.site.name}}},
      {"version", RAVAO_VERSION},
      {"pid", ::getpid()},
      {"started", format_local(started_ms_, cfg_.site.utc_offset)},
      {"now", format_local(t.wall_ms, cfg_.site.utc_offset)},
      {"clock_synchronised", t.synced},
      {"boot_id", boot_id()},
      {"config", cfg_.source.string()},
      {"last_reload", last_reload_},
      {"counters", counters_.size()},
      {"devices_online", online},
      {"devices_total", total},
      {"visits_today", today ? totals.visits_today : 0},
      {"open_visits", totals.open_visits},
      {"duplicates", totals.duplicates},
      {"rejected", totals.rejected},
      {"scans_since_start", accepted_},
      {"store", std::move(store_obj)},
      {"sync", uploader_ ? json::value(uploader_->status().to_json()) : json::value(nullptr)},
      {"alarms", std::move(alarm_arr)},
      {"summary", status_line()},
  };
}

json::value app::counters_json() const {
  const auto rows = unwrap(reader_->counters(now()));
  json::array out;
  for (const auto& [id, rt] : counters_) {
    json::object o{
        {"id", id},
        {"name", rt.cfg.name},
        {"mode", to_string(rt.cfg.mode)},
        {"scanner", rt.scanner.id},
        {"scanner_kind", to_string(rt.scanner.kind)},
        {"device", rt.scanner.device},
        {"state", to_string(rt.state)},
        {"reason", rt.reason},
        {"printer", rt.cfg.printer.value_or("")},
        {"last_event", rt.last_event},
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
      o["last_scan"] = time_value(c.last_scan_wall_ms, cfg_.site.utc_offset);
    }
    out.push_back(std::move(o));
  }
  return out;
}

json::value app::visits_json(const json::object& r) const {
  visit_filter f;
  f.counter_id = arg_string(r, "counter");
  if (const auto since = arg_string(r, "since"); !since.empty())
    f.since_wall_ms = unwrap(parse_since(since, now().wall_ms, cfg_.site.utc_offset));
  if (const auto* o = r.if_contains("open"); o && !o->is_null()) {
    if (!o->is_bool()) throw std::invalid_argument("\"open\" must be true or false");
    f.open_only = o->as_bool();
  }
  f.limit = arg_limit(r);
  json::array out;
  for (const auto& v : unwrap(reader_->visits(f))) {
    out.push_back(json::object{
        {"id", v.id},
        {"counter", v.counter_id},
        {"person_id", v.id_masked},
        {"person_name", display_name(v.name_masked)},
        {"opened", time_value(v.opened_wall_ms, cfg_.site.utc_offset)},
        {"opened_ms", v.opened_wall_ms ? json::value(*v.opened_wall_ms) : json::value(nullptr)},
        {"closed", time_value(v.closed_wall_ms, cfg_.site.utc_offset)},
        {"closed_ms", v.closed_wall_ms ? json::value(*v.closed_wall_ms) : json::value(nullptr)},
        {"closed_at_counter", v.closed_counter_id},
        {"close_reason", v.close_reason},
        {"open", !v.closed_wall_ms.has_value()},
        {"clock_synchronised", v.opened_clock_synced},
        {"duplicates", v.duplicates},
        {"rescans", v.rescans},
    });
  }
  return out;
}

json::value app::events_json(const json::object& r) const {
  record_filter f;
  f.counter_id = arg_string(r, "counter");
  if (const auto since = arg_string(r, "since"); !since.empty())
    f.since_wall_ms = unwrap(parse_since(since, now().wall_ms, cfg_.site.utc_offset));
  if (const auto* a = r.if_contains("after_seq"); a && !a->is_null()) {
    if (!a->is_int64() || a->as_int64() < 0) throw std::invalid_argument("\"after_seq\" must be a non-negative integer");
    f.after_seq = a->as_int64();
  }
  f.limit = arg_limit(r);
  json::array out;
  for (const auto& e : unwrap(reader_->records(f))) {
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
        {"time", format_local(e.wall_ms, cfg_.site.utc_offset)},
        {"wall_ms", e.wall_ms},
        {"boot_id", e.boot_id},
        {"boottime_ns", e.boottime_ns},
        {"clock_synchronised", e.clock_synced},
    });
  }
  return out;
}

namespace {
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

json::value app::devices_json() const {
  // Which configured device holds which USB device, and the USB devices no
  // entry took (ids and port paths to copy into the configuration).
  std::map<std::string, const usb::usb_bus::device_entry*> held;
  std::vector<usb::usb_bus::device_entry> usb_devices;
  if (usb_) usb_devices = usb_->devices();
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
  for (const auto& [id, rt] : counters_) {
    out.push_back(json::object{
        {"id", rt.scanner.id},
        {"type", "scanner"},
        {"kind", to_string(rt.scanner.kind)},
        {"device", rt.scanner.device},
        {"match", match_text(rt.scanner)},
        {"usb", usb_json("scanner " + rt.scanner.id)},
        {"attached", attached("scanner " + rt.scanner.id)},
        {"counter", id},
        {"state", to_string(rt.state)},
        {"reason", rt.reason},
        {"since", format_local(rt.state_since_ms, cfg_.site.utc_offset)},
        {"frames", rt.frames},
        {"last_event", rt.last_event},
    });
  }
  for (const auto& [id, rt] : printers_) {
    json::array counters;
    for (const auto& c : cfg_.counters)
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
        {"state", to_string(rt.state)},
        {"paper", !rt.worker ? "-" : rt.worker->status() ? std::string(escpos::to_string(*rt.worker->status()))
                                                           : std::string("unknown")},
        {"profile", rt.worker ? std::string(rt.worker->profile().name) : std::string()},
        {"reason", rt.worker && rt.worker->status() && *rt.worker->status() != escpos::printer_status::online
                       ? (rt.reason.empty() ? "" : rt.reason + "; ") + "printer reports " + rt.worker->status_reason()
                       : rt.reason},
        {"since", format_local(rt.state_since_ms, cfg_.site.utc_offset)},
        {"last_event", rt.last_event},
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
  return out;
}

}  // namespace ravao
