#include "print_service.hpp"

#include <sodium.h>

#include <fmt/format.h>

#include "common/log.hpp"

namespace ravao {

namespace {

void log_job(const std::string& printer_id, const print_job_row& job, std::string_view outcome,
             std::string_view detail) {
  const std::initializer_list<log::field> fields = {{"printer", printer_id},
                                                    {"job", std::to_string(job.id)},
                                                    {"kind", job.kind},
                                                    {"counter", job.counter_id},
                                                    {"detail", std::string(detail)}};
  // Names spelled out, so the registry test (common/log_events.hpp) sees them.
  if (outcome == "printed") log::info("print.printed", "print job printed", fields);
  else if (outcome == "held") log::warning("print.held", "print job waits for the printer", fields);
  else if (outcome == "failed") log::error("print.failed", "print job cannot be printed", fields);
  else log::warning("print.requeued", "print job goes back to the queue", fields);
}

}  // namespace

print_service::print_service(boost::asio::any_io_executor ex, const config& cfg, committer& writer,
                             const store_reader& reader, usb_access& usb, std::function<void()> on_change)
    : ex_(std::move(ex)), cfg_(cfg), writer_(writer), reader_(reader), usb_(usb), on_change_(std::move(on_change)) {}

void print_service::start_all() {
  for (const auto& p : cfg_.printers) start(p);
}

void print_service::retire(const config& next) {
  for (auto it = printers_.begin(); it != printers_.end();) {
    const printer_config* np = next.find_printer(it->first);
    if (np && *np == it->second.cfg) {
      ++it;
      continue;
    }
    stop(it->second);
    it = printers_.erase(it);
  }
}

void print_service::start_new() {
  for (const auto& p : cfg_.printers)
    if (!printers_.contains(p.id)) start(p);
}

void print_service::stop() {
  stopping_ = true;
  for (auto& [id, rt] : printers_) stop(rt);
  for (auto& [id, h] : held_) sodium_memzero(h.json.data(), h.json.size());
  held_.clear();
}

void print_service::wake(const std::string& printer_id) {
  if (auto it = printers_.find(printer_id); it != printers_.end() && it->second.worker) it->second.worker->wake();
}

void print_service::start(const printer_config& p) {
  printer_runtime& rt = printers_[p.id];
  rt.cfg = p;
  rt.health.since_ms = now().wall_ms;
  const std::string id = p.id;
  rt.transport = make_printer_transport(
      p, usb_.drivers(cfg_),
      printer_sink{[this, id](device_state st, std::string_view why) { on_state(id, st, why); }});
  start_worker(rt);
  rt.transport->start();
}

void print_service::stop(printer_runtime& rt) {
  if (rt.worker) rt.worker->stop();
  rt.worker.reset();
  if (rt.transport) rt.transport->stop();
  rt.transport.reset();
}

std::shared_ptr<slip::fonts> print_service::fonts() {
  if (!fonts_ && fonts_error_.empty()) {
    if (auto f = slip::fonts::open_default()) {
      fonts_ = std::make_shared<slip::fonts>(std::move(*f));
    } else {
      fonts_error_ = f.error().message();
      log::error("slip.fonts_missing", "slips cannot be drawn", {{"error", fonts_error_}});
    }
  }
  return fonts_;
}

void print_service::start_worker(printer_runtime& rt) {
  auto f = fonts();
  if (!f) {
    rt.health.reason = "cannot draw slips: " + fonts_error_;
    return;
  }
  const std::string id = rt.cfg.id;
  print::worker_hooks hooks{
      .pending = [this, id]() -> result<std::vector<print_job_row>> {
        auto jobs = reader_.jobs(job_filter{.printer_id = id, .pending_only = true, .limit = 20});
        forget_held(0);
        if (jobs)
          for (auto& j : *jobs)
            if (const auto it = held_.find(j.id); it != held_.end()) j.content = it->second.json;
        return jobs;
      },
      .set_state =
          [this](std::int64_t job, job_state to, std::string error) {
            if (to != job_state::queued && to != job_state::printing) forget_held(job);
            writer_.async_run<result<void>>(
                [job, to, error = std::move(error), at = now()](store_writer& s) { return s.set_job_state(job, to, error, at); },
                [job](boost::system::error_code ec, result<void> r) {
                  if (ec || r) return;  // not run: the daemon is stopping
                  log::error("print.state_not_saved", "a print job's state could not be saved",
                             {{"job", std::to_string(job)}, {"error", r.error().message()}});
                });
          },
      .on_status = [this, id](escpos::printer_status from, escpos::printer_status to,
                              std::string_view reason) { on_status(id, from, to, reason); },
      .on_job = [id](const print_job_row& job, std::string_view outcome,
                     std::string_view detail) { log_job(id, job, outcome, detail); },
  };
  rt.worker = std::make_shared<print::printer_worker>(ex_, rt.cfg, rt.transport, f, std::move(hooks));
  rt.worker->transport_state(rt.health.state);
  rt.worker->start();
}

void print_service::hold_content(std::int64_t job_id, std::string content_json) {
  forget_held(0);
  held_[job_id] = held_content{std::move(content_json), std::chrono::steady_clock::now() + held_content_life};
}

void print_service::forget_held(std::int64_t job_id) {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->first != job_id && it->second.until > now) {
      ++it;
      continue;
    }
    sodium_memzero(it->second.json.data(), it->second.json.size());
    it = held_.erase(it);
  }
}

void print_service::on_state(const std::string& printer_id, device_state s, std::string_view reason) {
  auto it = printers_.find(printer_id);
  if (it == printers_.end()) return;
  printer_runtime& rt = it->second;
  const auto change = rt.health.set(s, reason, now(), "printer", cfg_.site.utc_offset);
  if (change.record && !stopping_) record_device_event(writer_, printer_id, *change.record);
  const std::initializer_list<log::field> fields = {
      {"printer", printer_id}, {"kind", std::string(to_string(rt.cfg.kind))}, {"reason", std::string(reason)}};
  if (s == device_state::online) log::info("printer.online", "printer is online", fields);
  else if (change.was_online) log::warning("printer.gone", "printer went offline", fields);
  else if (s == device_state::error) log::warning("printer.error", "printer cannot be used", fields);
  else log::info("printer.offline", "printer is not available", fields);
  if (rt.worker) rt.worker->transport_state(s);
  on_change_();
}

void print_service::on_status(const std::string& printer_id, escpos::printer_status from, escpos::printer_status to,
                              std::string_view reason) {
  const std::initializer_list<log::field> fields = {{"printer", printer_id},
                                                    {"from", std::string(escpos::to_string(from))},
                                                    {"to", std::string(escpos::to_string(to))},
                                                    {"reason", std::string(reason)}};
  if (to == escpos::printer_status::online) log::info("printer.status", "printer reports ready", fields);
  else log::warning("printer.status", "printer reports a problem", fields);
  // Paper out, cover open and back: device records for the province's report.
  if (!stopping_) record_device_event(writer_, printer_id, fmt::format("printer status {}", escpos::to_string(to)));
  if (auto it = printers_.find(printer_id); it != printers_.end())
    it->second.health.last_event =
        fmt::format("{} {}", escpos::to_string(to), format_local(now().wall_ms, cfg_.site.utc_offset));
  on_change_();
}

}  // namespace ravao
