#include "app.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <fmt/format.h>

#include "common/text.hpp"
#include "payload/classify.hpp"
#include "drivers/frame.hpp"
#include "slip/slip_number.hpp"
#include "common/log.hpp"
#include "common/notify.hpp"

namespace ravao {
namespace asio = boost::asio;

namespace {
constexpr auto expiry_period = std::chrono::seconds(30);
// Committer queue marks for back-pressure on the scanners (the queue's hard
// limit is 10,000; one read can bring at most ~4 KiB of frames per source).
constexpr std::size_t high_water = 4000;
constexpr std::size_t low_water = 1000;

std::string masked_person(const classified_payload& p) {
  if (!p.who) return {};
  return text::mask_id(p.who->id_number);
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}
}  // namespace

app::app(asio::io_context& io, config cfg)
    : io_(io),
      cfg_(std::move(cfg)),
      control_(io.get_executor(), [this](const boost::json::object& r) { return handle_control(r); }),
      gate_(std::make_shared<flow_gate>(io.get_executor())),
      signals_(io, SIGTERM, SIGINT, SIGHUP),
      expiry_timer_(io),
      watchdog_timer_(io),
      status_timer_(io),
      sync_status_timer_(io) {}

app::~app() {
  stop_uploader();
  if (committer_) committer_->stop();
}

result<void> app::start() {
  set_time_sync_flag(cfg_.sync.time_sync_flag.native());
  started_ms_ = now().wall_ms;
  store_options options;
  options.utc_offset = cfg_.site.utc_offset;
  if (!cfg_.sync.public_key.empty()) {
    auto key = seal::parse_public_key(cfg_.sync.public_key);
    if (!key) return fail(errc::config_invalid, "[sync] public_key: " + key.error().message());
    options.province_key = province_key_ = *key;
  }  // else: nothing personal is kept; app_sync.cpp raises the privacy.no_key alarm
  auto s = store_writer::open(cfg_.store.path, options);
  if (!s) return std::unexpected(s.error());
  const store_health health = s->health();
  if (health.recovered_now) {
    log::critical("store.corrupt",
                  "the store was corrupt and has been moved aside (kept, not deleted); a fresh store was started",
                  {{"path", cfg_.store.path.string()}, {"moved_to", health.recovered_from}});
  }
  store_recovered_ = health.recovered_now;
  if (auto n = s->requeue_interrupted_jobs(); n && *n > 0)
    log::warning("print.requeued", "print jobs interrupted by the last stop will be printed again",
                 {{"count", std::to_string(*n)}});
  committer_ = std::make_unique<committer>(
      std::move(*s), cfg_.visits, cfg_.store.retention_days, io_.get_executor(),
      [this](commit_report r) { on_committed(std::move(r)); },
      [this](const error& e, std::size_t pending) { on_store_failure(e, pending); });
  auto ro = store_reader::open(cfg_.store.path, cfg_.site.utc_offset);
  if (!ro) return std::unexpected(ro.error());
  reader_ = std::move(*ro);

  // Sync that cannot start (a key file the user ravao cannot read, a bad
  // certificate) must not stop the counters: they record, the records wait,
  // and the reason shows as an alarm until a reload with a fix.
  if (auto r = start_uploader(); !r)
    log::error("sync.unavailable", "sync could not start; the counters keep recording and the records wait",
               {{"error", r.error().message()}});
  if (auto r = control_.listen(cfg_.control.socket, cfg_.control.group); !r) return r;
  for (const auto& c : cfg_.counters) start_counter(c);
  for (const auto& p : cfg_.printers) start_printer(p);

  wait_signals();
  committer_->expire(now());  // visits left open by a previous run
  schedule_expiry();
  if (auto wd = notify::watchdog_interval()) schedule_watchdog(*wd);
  log::info("daemon.started", "ravaod is running",
            {{"site", cfg_.site.id}, {"counters", std::to_string(cfg_.counters.size())},
             {"store", cfg_.store.path.string()}, {"socket", cfg_.control.socket.string()},
             {"version", RAVAO_VERSION}});
  notify::ready();
  status_changed();
  return {};
}

bool app::needs_usb(const config& c) const {
  return std::ranges::any_of(c.scanners, [](const auto& s) { return s.kind == scanner_kind::usb_hid; }) ||
         std::ranges::any_of(c.printers, [](const auto& p) { return p.kind == printer_kind::usb; });
}

driver_context app::drivers() {
  if (!usb_tried_ && needs_usb(cfg_)) {
    usb_tried_ = true;
    if (auto bus = usb::usb_bus::open(io_.get_executor())) {
      usb_ = std::move(*bus);
    } else {
      usb_error_ = bus.error().message();
      log::error("usb.unavailable", "USB devices cannot be used", {{"error", usb_error_}});
    }
  }
  return driver_context{io_.get_executor(), usb_.get(), usb_error_};
}

void app::start_printer(const printer_config& p) {
  printer_runtime& rt = printers_[p.id];
  rt.cfg = p;
  rt.state_since_ms = now().wall_ms;
  const std::string id = p.id;
  rt.transport = make_printer_transport(
      p, drivers(), printer_sink{[this, id](device_state st, std::string_view why) { on_printer_state(id, st, why); }});
  start_worker(rt);
  rt.transport->start();
}

void app::stop_printer(printer_runtime& rt) {
  if (rt.worker) rt.worker->stop();
  rt.worker.reset();
  if (rt.transport) rt.transport->stop();
  rt.transport.reset();
}

void app::on_printer_state(const std::string& printer_id, device_state s, std::string_view reason) {
  auto it = printers_.find(printer_id);
  if (it == printers_.end()) return;
  printer_runtime& rt = it->second;
  const bool was_online = rt.state == device_state::online;
  rt.state = s;
  rt.reason = reason;
  rt.state_since_ms = now().wall_ms;
  const std::initializer_list<log::field> fields = {
      {"printer", printer_id}, {"kind", std::string(to_string(rt.cfg.kind))}, {"reason", std::string(reason)}};
  // Losing a device and getting it back are device records (uploaded);
  // the first start is not an event.
  if (was_online && s != device_state::online) {
    rt.was_lost = true;
    record_device_event(printer_id, fmt::format("printer {}: {}", to_string(s), reason));
  } else if (s == device_state::online && rt.was_lost) {
    rt.was_lost = false;
    record_device_event(printer_id, "printer online");
  }
  if (s == device_state::online) log::info("printer.online", "printer is online", fields);
  else if (was_online) log::warning("printer.gone", "printer went offline", fields);
  else if (s == device_state::error) log::warning("printer.error", "printer cannot be used", fields);
  else log::info("printer.offline", "printer is not available", fields);
  rt.last_event = fmt::format("{} {}", to_string(s), format_local(rt.state_since_ms, cfg_.site.utc_offset));
  if (rt.worker) rt.worker->transport_state(s);
  status_changed();
}

void app::on_scanner_notice(const std::string& counter_id, std::string_view event, std::string_view message) {
  auto it = counters_.find(counter_id);
  if (it == counters_.end()) return;
  log::warning(event, message, {{"counter", counter_id}, {"scanner", it->second.scanner.id}});
  it->second.last_event = std::string(event);
}

void app::start_counter(const counter_config& c) {
  const scanner_config* sc = cfg_.find_scanner(c.scanner);
  counter_runtime& rt = counters_[c.id];
  rt.cfg = c;
  rt.scanner = *sc;
  rt.state = device_state::starting;
  rt.state_since_ms = now().wall_ms;
  const std::string id = c.id;
  scanner_sink sink{
      [this, id](std::string_view raw) { on_frame(id, raw); },
      [this, id](std::size_t n, std::string_view head) { on_overflow(id, n, head); },
      [this, id](device_state st, std::string_view why) { on_scanner_state(id, st, why); },
      gate_,
      [this, id](std::string_view event, std::string_view message) { on_scanner_notice(id, event, message); },
  };
  rt.source = make_scanner(*sc, drivers(), std::move(sink));
  rt.source->start();
}

void app::stop_counter(counter_runtime& rt) {
  if (rt.source) rt.source->stop();
  rt.source.reset();
}

void app::on_frame(const std::string& counter_id, std::string_view raw) {
  auto it = counters_.find(counter_id);
  if (it == counters_.end() || stopping_) return;
  counter_runtime& rt = it->second;
  ++rt.frames;
  const auto received = std::chrono::steady_clock::now();
  const timestamp at = now();
  auto frame = sanitize_frame(raw);
  if (!frame) {
    const auto& rej = frame.error();
    // The shape (letters A/a, digits 9) shows what went wrong without
    // putting a name or an ID number in the log or the store.
    const std::string shape = text::shape(raw);
    log::warning("scan.rejected", "scan refused by the frame policy",
                 {{"counter", counter_id}, {"reason", rej.reason},
                  {"length", std::to_string(rej.length)}, {"offset", std::to_string(rej.offset)},
                  {"preview", shape}});
    rt.last_event = "rejected: " + rej.reason;
    committer_->submit(rejection_request{counter_id, rej.reason, rej.length, shape, at});
    return;
  }
  scan_request req;
  req.counter_id = counter_id;
  req.mode = rt.cfg.mode;
  req.payload = classify(frame->text);
  if (frame->had_bom && !req.payload.has_flag("bom")) req.payload.flags.emplace_back("bom");
  req.symbology = frame->symbology;
  req.at = at;
  if (req.payload.kind == payload_kind::ravao_slip) req.slip_sequence = slip::parse_slip_number(req.payload.slip_number);
  // Sealed here (~70 us) rather than in the writer's transaction, which
  // would hold every counter's scans behind it.
  if (province_key_) req.sealed = seal_person(req.payload, *province_key_);
  const bool queued = committer_->submit(std::move(req), received);
  if (gate_->is_open() && committer_->pending() >= high_water) gate_->close();
  if (!queued) {
    log::error("scan.dropped",
               "scan could not be queued: the store has been unavailable too long and the queue is full",
               {{"counter", counter_id}});
    rt.last_event = "dropped: store unavailable";
  }
}

void app::on_overflow(const std::string& counter_id, std::size_t discarded, std::string_view head) {
  const std::string shape = text::shape(head);
  log::warning("scan.rejected", "scan longer than max_scan_bytes discarded",
               {{"counter", counter_id}, {"reason", "too_long"}, {"length", std::to_string(discarded)},
                {"preview", shape}});
  if (auto it = counters_.find(counter_id); it != counters_.end()) it->second.last_event = "rejected: too_long";
  committer_->submit(rejection_request{counter_id, "too_long", discarded, shape, now()});
}

void app::on_scanner_state(const std::string& counter_id, device_state s, std::string_view reason) {
  auto it = counters_.find(counter_id);
  if (it == counters_.end()) return;
  counter_runtime& rt = it->second;
  const bool was_online = rt.state == device_state::online;
  rt.state = s;
  rt.reason = reason;
  rt.state_since_ms = now().wall_ms;
  const std::initializer_list<log::field> fields = {
      {"counter", counter_id}, {"scanner", rt.scanner.id}, {"device", rt.scanner.device},
      {"reason", std::string(reason)}};
  if (was_online && s != device_state::online) {
    rt.was_lost = true;
    record_device_event(rt.scanner.id, fmt::format("scanner {}: {}", to_string(s), reason));
  } else if (s == device_state::online && rt.was_lost) {
    rt.was_lost = false;
    record_device_event(rt.scanner.id, "scanner online");
  }
  if (s == device_state::online) log::info("scanner.online", "scanner is online", fields);
  else if (was_online) log::warning("scanner.gone", "scanner went offline", fields);
  else if (s == device_state::error) log::warning("scanner.error", "scanner cannot be used", fields);
  else log::warning("scanner.offline", "scanner is not available", fields);
  rt.last_event = fmt::format("{} {}", to_string(s), format_local(rt.state_since_ms, cfg_.site.utc_offset));
  status_changed();
}

void app::on_committed(commit_report report) {
  if (!gate_->is_open() && committer_->pending() <= low_water) gate_->open();
  for (const auto& s : report.scans) {
    const auto& p = s.request.payload;
    const auto latency_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - s.received).count();
    const std::string name =
        s.outcome.effect == scan_effect::duplicate ? "scan.duplicate" : "scan.accepted";
    log::info(name, to_string(s.outcome.effect),
              {{"counter", s.request.counter_id}, {"seq", std::to_string(s.outcome.seq)},
               {"kind", std::string(to_string(p.kind))}, {"visit", std::to_string(s.outcome.visit_id)},
               {"person", masked_person(p)}, {"flags", join(p.flags)},
               {"latency_us", std::to_string(latency_us)}});
    if (p.kind == payload_kind::cccd && (p.has_flag("id_sex_mismatch") || p.has_flag("id_century_mismatch") ||
                                         p.has_flag("id_birth_year_mismatch"))) {
      log::warning("scan.identity_mismatch",
                   "the ID number does not agree with the card's sex or birth date: check the card",
                   {{"counter", s.request.counter_id}, {"seq", std::to_string(s.outcome.seq)},
                    {"flags", join(p.flags)}});
    }
    if (s.outcome.effect == scan_effect::command_recorded) on_command(s);
    if (s.outcome.effect == scan_effect::slip_returned)
      log::info("slip.returned", "filled slip handed back",
                {{"counter", s.request.counter_id}, {"slip", slip::display_slip_number(p.slip_number)},
                 {"visit", std::to_string(s.outcome.visit_id)}});
    if (auto it = counters_.find(s.request.counter_id); it != counters_.end()) {
      it->second.last_event = fmt::format("{} {}", to_string(s.outcome.effect), format_local(s.request.at.wall_ms, cfg_.site.utc_offset));
    }
    ++accepted_;
  }
  if (report.expired_closed > 0) {
    log::info("visit.auto_closed", "open visits closed automatically",
              {{"count", std::to_string(report.expired_closed)}});
  }
  if (!store_available_) {
    store_available_ = true;
    log::notice("store.recovered", "the store accepts writes again; queued scans were committed");
  }
  status_changed();
}

void app::on_store_failure(const error& e, std::size_t pending) {
  if (e.code == make_error_code(errc::store_corrupt) && !stopping_) {
    // Retrying cannot help and moving a file aside under open connections is
    // unsafe; start-up does it properly. Unacknowledged scans are not lost on
    // serial scanners (they wait in the tty); the exit code makes systemd
    // restart us.
    log::critical("store.corrupt", "the store became corrupt while running; restarting to move it aside",
                  {{"error", e.message()}, {"pending", std::to_string(pending)}});
    exit_code_ = 1;
    shutdown("store corrupt");
    return;
  }
  if (store_available_) {
    store_available_ = false;
    log::critical("store.unavailable",
                  "cannot write the store; scans are held in memory and retried (free disk space?)",
                  {{"error", e.message()}, {"pending", std::to_string(pending)}});
    status_changed();
  }
}

void app::wait_signals() {
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      reload();
      wait_signals();
      return;
    }
    shutdown(sig == SIGTERM ? "SIGTERM" : "SIGINT");
  });
}

void app::reload() {
  notify::reloading();
  log::info("config.reloading", "reloading configuration", {{"file", cfg_.source.string()}});
  auto next = load_config(cfg_.source);
  if (!next) {
    for (const auto& d : next.error()) {
      log::error("config.rejected", d.to_string(), {{"file", d.file}, {"line", std::to_string(d.line)}});
    }
    last_reload_ = fmt::format("rejected ({} errors); previous configuration kept", next.error().size());
    log::error("config.reload_failed", "new configuration rejected; the running one is kept",
               {{"errors", std::to_string(next.error().size())}});
    notify::ready();
    status_changed();
    return;
  }
  config n = std::move(*next);
  if (!usb_) usb_tried_ = false;  // USB could not start before: try again if the new config needs it
  // Site, store and control need a restart; keep the running values.
  const auto restart_needed = [&](std::string_view what) {
    log::warning("config.restart_required", "change takes effect after a restart", {{"section", std::string(what)}});
  };
  if (n.site.id != cfg_.site.id || n.site.name != cfg_.site.name || n.site.utc_offset != cfg_.site.utc_offset) {
    restart_needed("site");
    n.site = cfg_.site;
  }
  if (n.store.path != cfg_.store.path || n.store.retention_days != cfg_.store.retention_days) {
    restart_needed("store");
    n.store = cfg_.store;
  }
  if (n.sync.public_key != cfg_.sync.public_key) {
    // The writing store seals with the key it was opened with.
    restart_needed("sync public_key");
    n.sync.public_key = cfg_.sync.public_key;
  }
  if (n.control.socket != cfg_.control.socket || n.control.group != cfg_.control.group) {
    restart_needed("control");
    n.control = cfg_.control;
  }
  // Counters whose counter and scanner settings are unchanged keep their open
  // device: a scan in flight is never lost to a reload.
  int kept = 0, started = 0, stopped = 0;
  for (auto it = counters_.begin(); it != counters_.end();) {
    const counter_config* nc = n.find_counter(it->first);
    const scanner_config* ns = nc ? n.find_scanner(nc->scanner) : nullptr;
    if (nc && ns && *ns == it->second.scanner) {
      it->second.cfg = *nc;
      ++kept;
      ++it;
      continue;
    }
    stop_counter(it->second);
    it = counters_.erase(it);
    ++stopped;
  }
  for (auto it = printers_.begin(); it != printers_.end();) {
    const printer_config* np = n.find_printer(it->first);
    if (np && *np == it->second.cfg) {
      ++it;
      continue;
    }
    stop_printer(it->second);
    it = printers_.erase(it);
  }
  const bool sync_changed = n.sync != cfg_.sync || n.store.alarm_bytes != cfg_.store.alarm_bytes;
  cfg_ = std::move(n);
  if (sync_changed) {
    stop_uploader();
    if (auto r = start_uploader(); !r)
      log::error("sync.unavailable", "sync could not restart with the new settings", {{"error", r.error().message()}});
  }
  for (const auto& c : cfg_.counters) {
    if (!counters_.contains(c.id)) {
      start_counter(c);
      ++started;
    }
  }
  for (const auto& p : cfg_.printers)
    if (!printers_.contains(p.id)) start_printer(p);
  committer_->update_settings(cfg_.visits);
  last_reload_ = fmt::format("applied: {} counters kept, {} started, {} stopped", kept, started, stopped);
  log::info("config.reloaded", last_reload_,
            {{"kept", std::to_string(kept)}, {"started", std::to_string(started)}, {"stopped", std::to_string(stopped)}});
  notify::ready();
  status_changed();
}

void app::shutdown(std::string_view why) {
  if (stopping_) return;
  stopping_ = true;
  notify::stopping();
  log::info("daemon.stopping", "stopping: no new scans; committing what is in flight", {{"signal", std::string(why)}});
  for (auto& [id, rt] : counters_) stop_counter(rt);
  for (auto& [id, rt] : printers_) stop_printer(rt);
  // Once the devices have given their interfaces back (usbhid, usblp reattached).
  if (usb_)
    usb_->shutdown(std::chrono::milliseconds(2000), [this] {
      // A device never gave its transfers back: stop the loop so the store
      // is closed and the daemon exits; the kernel releases the device.
      log::warning("daemon.stopped_with_usb_open", "stopping without waiting for USB devices any longer");
      io_.stop();
    });
  gate_->open();  // releases sources waiting at the gate so they see the stop
  control_.stop();
  signals_.cancel();
  expiry_timer_.cancel();
  watchdog_timer_.cancel();
  status_timer_.cancel();
  stop_uploader();  // an upload in flight is abandoned: sent again next time
  // Drains and commits the queue; its last reports are posted to the loop,
  // which runs them (scan.accepted lines) before run() returns.
  committer_->stop();
  const store_state st = committer_->state();
  if (!st.available) {
    log::error("daemon.stopped_with_pending", "store unavailable at shutdown; unacknowledged scans were not saved",
               {{"error", st.last_error}});
    exit_code_ = 1;
  }
  asio::post(io_, [] { log::info("daemon.stopped", "ravaod stopped"); });
}

void app::schedule_expiry() {
  expiry_timer_.expires_after(expiry_period);
  expiry_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    committer_->expire(now());
    schedule_expiry();
  });
}

void app::schedule_watchdog(std::chrono::microseconds interval) {
  // Pinged from the loop: a loop stuck anywhere stops the pings and systemd
  // restarts us. A store stuck in a write does not block the loop, but a
  // committer that fails for longer than the interval still pings: it is
  // alive, retrying, and says so in STATUS.
  notify::watchdog();
  watchdog_timer_.expires_after(interval);
  watchdog_timer_.async_wait([this, interval](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    schedule_watchdog(interval);
  });
}

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
  std::size_t online = 0, total = counters_.size() + printers_.size();
  for (const auto& [id, rt] : counters_) online += rt.state == device_state::online ? 1 : 0;
  for (const auto& [id, rt] : printers_) online += rt.state == device_state::online ? 1 : 0;
  return {online, total};
}

std::string app::status_line() const {
  const auto [online, total] = devices_online();
  const store_totals t = committer_->totals();
  const bool today = t.today == local_day(now().wall_ms, cfg_.site.utc_offset);
  std::string line = fmt::format("{} counters, {}/{} devices online, {} visits today, {} open", counters_.size(),
                                 online, total, today ? t.visits_today : 0, t.open_visits);
  const store_state st = committer_->state();
  if (!st.available) line += fmt::format("; STORE UNAVAILABLE ({} scans waiting): {}", st.pending, st.last_error);
  if (store_recovered_) line += "; store was corrupt, moved aside";
  if (uploader_) {
    const auto s = uploader_->status();
    if (s.depth > 0) line += fmt::format(", {} records to upload", s.depth);
  }
  for (const auto& a : sync_alarms()) line += "; " + a;
  return line;
}

}  // namespace ravao
