#include "control/json_views.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/text.hpp"

namespace ravao::control {
namespace json = boost::json;

namespace {

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

json::object record_json(const record_row& e, std::chrono::minutes utc_offset) {
  return json::object{
      {"seq", e.seq},
      {"type", e.type},
      {"counter", e.counter_id},
      {"visit", e.visit_id},
      {"payload_kind", e.payload_kind},
      {"person_id", e.id_masked},
      {"person_name", text::escape_for_log(e.name_masked, 256)},
      {"payload", display_payload(e)},
      {"sealed", e.has_sealed},
      {"ref", e.ref ? json::value(*e.ref) : json::value(nullptr)},
      {"symbology", e.symbology},
      {"flags", e.flags},
      {"close_reason", e.close_reason},
      {"time", format_local(e.wall_ms, utc_offset)},
      {"wall_ms", e.wall_ms},
      {"boot_id", e.boot_id},
      {"boottime_ns", e.boottime_ns},
      {"clock_synchronised", e.clock_synced},
      {"actor", e.actor},
      {"action", e.action},
      {"printer", e.printer_id},
  };
}

device_views::device_views(const config& cfg, const usb_access& usb) : cfg_(cfg), usb_devices_(usb.devices()) {
  for (std::size_t i = 0; i < usb_devices_.size(); ++i)
    if (!usb_devices_[i].owner.empty()) held_[usb_devices_[i].owner] = i;
}

// Which USB device a configured device holds, in words and as JSON.
std::string device_views::attached(const std::string& owner) const {
  const auto it = held_.find(owner);
  if (it == held_.end()) return {};
  const auto& i = usb_devices_[it->second].info;
  return fmt::format("{} at {}{}", i.ids(), i.port, i.serial ? " serial " + *i.serial : std::string());
}

json::value device_views::usb_json(const std::string& owner) const {
  const auto it = held_.find(owner);
  if (it == held_.end()) return nullptr;
  const auto& i = usb_devices_[it->second].info;
  return json::object{{"usb_id", i.ids()}, {"port", i.port}, {"serial", i.serial.value_or("")},
                      {"bus", i.bus}, {"address", i.address}};
}

json::object device_views::scanner(const std::string& counter_id, const counter_service::counter_runtime& rt) const {
  return json::object{
      {"id", rt.scanner.id},
      {"type", "scanner"},
      {"kind", to_string(rt.scanner.kind)},
      {"device", rt.scanner.device},
      {"match", match_text(rt.scanner)},
      {"usb", usb_json("scanner " + rt.scanner.id)},
      {"attached", attached("scanner " + rt.scanner.id)},
      {"counter", counter_id},
      {"state", to_string(rt.health.state)},
      {"reason", rt.health.reason},
      {"since", format_local(rt.health.since_ms, cfg_.site.utc_offset)},
      {"frames", rt.frames},
      {"last_event", rt.health.last_event},
  };
}

json::object device_views::printer(const std::string& id, const print_service::printer_runtime& rt) const {
  json::array counters;
  for (const auto& c : cfg_.counters)
    if (c.printer == id) counters.emplace_back(c.id);
  // A plain flag and value (g++ 12 -O2 warns maybe-uninitialized on the optional).
  const auto reported = rt.worker ? rt.worker->status() : std::nullopt;
  const bool has_status = reported.has_value();
  const escpos::printer_status status_value = reported.value_or(escpos::printer_status::online);
  return json::object{
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
      {"paper", !rt.worker ? "-" : has_status ? std::string(escpos::to_string(status_value)) : std::string("unknown")},
      {"profile", rt.worker ? std::string(rt.worker->profile().name) : std::string()},
      {"reason", has_status && status_value != escpos::printer_status::online
                     ? (rt.health.reason.empty() ? "" : rt.health.reason + "; ") + "printer reports " +
                           rt.worker->status_reason()
                     : rt.health.reason},
      {"since", format_local(rt.health.since_ms, cfg_.site.utc_offset)},
      {"last_event", rt.health.last_event},
  };
}

json::array device_views::unassigned() const {
  json::array out;
  for (const auto& d : usb_devices_) {
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

}  // namespace ravao::control
