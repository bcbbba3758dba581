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
#include "control/json_views.hpp"
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

std::string display_name(const std::string& name_masked) { return text::escape_for_log(name_masked, 256); }

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
    out.push_back(control::record_json(e, s_.cfg.site.utc_offset));
  }
  co_return out;
}

asio::awaitable<json::value> control_commands::devices(const json::object&) {
  // Which configured device holds which USB device, and the USB devices no
  // entry took (ids and port paths to copy into the configuration).
  const control::device_views views(s_.cfg, s_.usb);
  json::array out;
  for (const auto& [id, rt] : s_.counters.all()) out.push_back(views.scanner(id, rt));
  for (const auto& [id, rt] : s_.printing.all()) out.push_back(views.printer(id, rt));
  for (auto& d : views.unassigned()) out.push_back(std::move(d));
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
