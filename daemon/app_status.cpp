// The daemon's own view of itself: `ravaoctl status`, the alarms, and the
// STATUS= line systemd shows (docs/control.md, docs/operations.md).

#include <unistd.h>

#include <optional>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "app.hpp"
#include "common/notify.hpp"

namespace ravao {
namespace json = boost::json;

void app::status_changed() {
  // Coalesced: at most one STATUS= per half second, and only when it changed.
  if (status_pending_ || stopping_) return;
  status_pending_ = true;
  status_timer_.expires_after(std::chrono::milliseconds(500));
  status_timer_.async_wait([this](const boost::system::error_code& ec) {
    status_pending_ = false;
    if (ec) return;
    std::string line = status_line();
    if (line != last_status_) {
      notify::status(line);
      last_status_ = std::move(line);
    }
  });
}

std::pair<std::size_t, std::size_t> app::devices_online() const {
  std::size_t online = 0, total = counters_->all().size() + printing_->all().size();
  for (const auto& [id, rt] : counters_->all()) online += rt.health.state == device_state::online ? 1 : 0;
  for (const auto& [id, rt] : printing_->all()) online += rt.health.state == device_state::online ? 1 : 0;
  return {online, total};
}

std::string app::status_line() const {
  const auto [online, total] = devices_online();
  const store_totals t = committer_->totals();
  const bool today = t.today == local_day(now().wall_ms, cfg_.site.utc_offset);
  std::string line = fmt::format("{} counters, {}/{} devices online, {} visits today, {} open",
                                 counters_->all().size(), online, total, today ? t.visits_today : 0, t.open_visits);
  const store_state st = committer_->state();
  if (!st.available) line += fmt::format("; STORE UNAVAILABLE ({} scans waiting): {}", st.pending, st.last_error);
  if (store_recovered_) line += "; store was corrupt, moved aside";
  if (const auto* up = sync_->uploader()) {
    const auto s = up->status();
    if (s.depth > 0) line += fmt::format(", {} records to upload", s.depth);
  }
  // A printer that is connected but stopped (paper out, cover open) counts
  // as online above: its alarm says why it does not print.
  for (const auto& a : printer_alarms(true)) line += "; " + a.message;
  for (const auto& a : sync_->alarms()) line += "; " + a.message;
  return line;
}

namespace {

// What a printer whose connection is up reports that stops printing and
// needs a person; nullopt when it prints (online, paper near end) or never
// answered (docs/printer-status.md).
std::optional<alarm_code> reported_alarm(const print_service::printer_runtime& rt) {
  if (rt.health.state != device_state::online || !rt.worker) return std::nullopt;
  const auto reported = rt.worker->status();
  if (!reported) return std::nullopt;
  switch (*reported) {
    case escpos::printer_status::paper_out: return alarm_code::printer_paper_out;
    case escpos::printer_status::cover_open: return alarm_code::printer_cover_open;
    case escpos::printer_status::offline: return alarm_code::printer_not_answering;
    case escpos::printer_status::error: return alarm_code::printer_fault;
    case escpos::printer_status::online:
    case escpos::printer_status::paper_near_end: break;
  }
  return std::nullopt;
}

}  // namespace

std::vector<status_alarm> app::printer_alarms(bool reported_only) const {
  std::vector<status_alarm> out;
  for (const auto& [id, rt] : printing_->all()) {
    std::string counter;
    for (const auto& c : cfg_.counters)
      if (c.printer == id && counter.empty()) counter = c.id;
    if (const auto code = reported_alarm(rt))
      out.push_back(status_alarm{
          *code, fmt::format("printer {} reports {}: printing is held until it is ready", id, rt.worker->status_reason()),
          id, std::move(counter)});
    else if (rt.health.state != device_state::online && !reported_only)
      out.push_back(status_alarm{
          rt.health.state == device_state::error ? alarm_code::printer_error : alarm_code::printer_offline,
          fmt::format("printer {} {}: {}", id, to_string(rt.health.state), rt.health.reason), id, std::move(counter)});
  }
  return out;
}

std::vector<status_alarm> app::alarms() const {
  const store_state st = committer_->state();
  std::vector<status_alarm> out;
  if (!st.available)
    out.push_back(status_alarm{alarm_code::store_unavailable, "store unavailable: " + st.last_error, {}, {}});
  if (store_recovered_)
    out.push_back(status_alarm{alarm_code::store_recovered,
                               "store was corrupt and was moved aside to " + reader_->health().recovered_from, {}, {}});
  for (const auto& [id, rt] : counters_->all()) {
    if (rt.health.state != device_state::online)
      out.push_back(status_alarm{
          rt.health.state == device_state::error ? alarm_code::scanner_error : alarm_code::scanner_offline,
          fmt::format("counter {}: scanner {} {}: {}", id, rt.scanner.id, to_string(rt.health.state), rt.health.reason),
          rt.scanner.id, id});
  }
  for (auto& a : printer_alarms(false)) out.push_back(std::move(a));
  for (auto& a : sync_->alarms()) out.push_back(std::move(a));
  return out;
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
  json::array alarm_arr;
  for (const auto& a : alarms()) alarm_arr.emplace_back(to_json(a));
  const auto* up = sync_->uploader();
  const auto web = web_.current();
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
      {"counters", counters_->all().size()},
      {"devices_online", online},
      {"devices_total", total},
      {"visits_today", today ? totals.visits_today : 0},
      {"open_visits", totals.open_visits},
      {"duplicates", totals.duplicates},
      {"rejected", totals.rejected},
      {"scans_since_start", counters_->scans_since_start()},
      {"store", std::move(store_obj)},
      {"sync", up ? json::value(up->status().to_json()) : json::value(nullptr)},
      {"alarms", std::move(alarm_arr)},
      {"summary", status_line()},
      {"web", web ? json::value(json::object{{"url", web->url}, {"fingerprint", web->fingerprint}})
                  : json::value(nullptr)},
  };
}

}  // namespace ravao
