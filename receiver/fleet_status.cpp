#include "receiver/fleet_status.hpp"

#include <map>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "receiver/weekly_report.hpp"

namespace ravao::receiver {

namespace json = boost::json;

namespace {

const json::value* at(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* p = &v;
  for (const auto key : path) {
    if (!p->is_object()) return nullptr;
    p = p->as_object().if_contains(key);
    if (!p) return nullptr;
  }
  return p;
}

std::optional<std::int64_t> integer(const json::value* v) {
  if (v && v->is_int64()) return v->as_int64();
  if (v && v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v->as_uint64());
  }
  return std::nullopt;
}

void read_heartbeat(std::string_view text, fleet_entry& e) {
  boost::system::error_code ec;
  const auto hb = json::parse(text, ec);
  if (ec) return;
  if (const auto* v = at(hb, {"version"}); v && v->is_string()) e.version = std::string(v->as_string());
  e.backlog = integer(at(hb, {"queue", "depth"}));
  e.oldest_unsent_ms = integer(at(hb, {"queue", "oldest_unsent_wall_ms"}));
  if (const auto* v = at(hb, {"sent", "clock_synced"}); v && v->is_bool()) e.clock_synced = v->as_bool();
  if (const auto* v = at(hb, {"store", "alarm"}); v && v->is_bool() && v->as_bool()) e.alarms.emplace_back("store_full");
  if (const auto n = integer(at(hb, {"queue", "dead_letters"})); n && *n > 0) {
    e.alarms.push_back(fmt::format("dead_letters={}", *n));
  }
  if (const auto* devices = at(hb, {"devices"}); devices && devices->is_array()) {
    for (const auto& d : devices->as_array()) {
      const auto* id = at(d, {"id"});
      const std::string name = id && id->is_string() ? std::string(id->as_string()) : "?";
      if (const auto* online = at(d, {"online"}); online && online->is_bool() && !online->as_bool()) {
        e.alarms.push_back("device_offline:" + name);
      }
      if (const auto* status = at(d, {"status"}); status && status->is_string() && !status->as_string().empty() &&
                                                   status->as_string() != "ok") {
        e.alarms.push_back(fmt::format("{}:{}", name, std::string_view(status->as_string())));
      }
    }
  }
  // A later gateway may name its alarms itself (issue 14's alarms); kept as sent.
  if (const auto* alarms = at(hb, {"alarms"}); alarms && alarms->is_array()) {
    for (const auto& a : alarms->as_array()) {
      if (a.is_string()) e.alarms.emplace_back(a.as_string());
      else if (const auto* code = at(a, {"code"}); code && code->is_string()) e.alarms.emplace_back(code->as_string());
    }
  }
  if (e.clock_synced == false) e.alarms.emplace_back("clock_unsynced");
}

}  // namespace

std::vector<fleet_entry> fleet(const std::vector<site>& sites, const std::vector<gateway_contact>& contacts,
                               std::int64_t as_of_ms) {
  std::map<std::string, std::string, std::less<>> site_of;
  for (const auto& s : sites) {
    for (const auto& g : s.gateways) site_of.emplace(g, s.id);
  }
  std::vector<fleet_entry> out;
  std::map<std::string, bool, std::less<>> heard;
  for (const auto& c : contacts) {
    fleet_entry e;
    e.gateway = c.gateway;
    if (const auto it = site_of.find(c.gateway); it != site_of.end()) e.site = it->second;
    e.last_contact_ms = last_contact(c);
    e.last_heartbeat_ms = c.last_heartbeat_ms;
    e.last_batch_ms = c.last_batch_ms;
    e.status = e.last_contact_ms && *e.last_contact_ms >= as_of_ms - silent_after_ms ? "ok" : "silent";
    if (!c.last_heartbeat.empty()) read_heartbeat(c.last_heartbeat, e);
    heard.emplace(c.gateway, true);
    out.push_back(std::move(e));
  }
  for (const auto& s : sites) {
    for (const auto& g : s.gateways) {
      if (heard.contains(g)) continue;
      fleet_entry e;
      e.gateway = g;
      e.site = s.id;
      e.status = "never";
      out.push_back(std::move(e));
    }
  }
  return out;
}

}  // namespace ravao::receiver
