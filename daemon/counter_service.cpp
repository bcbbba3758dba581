#include "counter_service.hpp"

#include <fmt/format.h>

#include "common/log.hpp"
#include "common/text.hpp"
#include "drivers/frame.hpp"
#include "payload/classify.hpp"
#include "slip/slip_number.hpp"

namespace ravao {

namespace {
// Committer queue marks for back-pressure on the scanners (the queue's hard
// limit is 10,000; one read can bring at most ~4 KiB of frames per source).
constexpr std::size_t high_water = 4000;
constexpr std::size_t low_water = 1000;
}  // namespace

counter_service::counter_service(boost::asio::any_io_executor ex, const config& cfg, committer& writer,
                                 usb_access& usb, std::shared_ptr<seal::window_sealer> sealer,
                                 std::function<void()> on_change)
    : cfg_(cfg),
      writer_(writer),
      usb_(usb),
      sealer_(std::move(sealer)),
      on_change_(std::move(on_change)),
      gate_(std::make_shared<flow_gate>(std::move(ex))) {}

void counter_service::start_all() {
  for (const auto& c : cfg_.counters) start(c);
}

counter_service::retired counter_service::retire(const config& next) {
  retired out;
  for (auto it = counters_.begin(); it != counters_.end();) {
    const counter_config* nc = next.find_counter(it->first);
    const scanner_config* ns = nc ? next.find_scanner(nc->scanner) : nullptr;
    if (nc && ns && *ns == it->second.scanner) {
      it->second.cfg = *nc;
      ++out.kept;
      ++it;
      continue;
    }
    if (it->second.source) it->second.source->stop();
    it = counters_.erase(it);
    ++out.stopped;
  }
  return out;
}

int counter_service::start_new() {
  int started = 0;
  for (const auto& c : cfg_.counters) {
    if (counters_.contains(c.id)) continue;
    start(c);
    ++started;
  }
  return started;
}

void counter_service::stop() {
  stopping_ = true;
  for (auto& [id, rt] : counters_) {
    if (rt.source) rt.source->stop();
    rt.source.reset();
  }
  gate_->open();  // releases sources waiting at the gate so they see the stop
}

void counter_service::start(const counter_config& c) {
  const scanner_config* sc = cfg_.find_scanner(c.scanner);
  counter_runtime& rt = counters_[c.id];
  rt.cfg = c;
  rt.scanner = *sc;
  rt.health.state = device_state::starting;
  rt.health.since_ms = now().wall_ms;
  const std::string id = c.id;
  scanner_sink sink{
      [this, id](std::string_view raw) { on_frame(id, raw); },
      [this, id](std::size_t n, std::string_view head) { on_overflow(id, n, head); },
      [this, id](device_state st, std::string_view why) { on_state(id, st, why); },
      gate_,
      [this, id](std::string_view event, std::string_view message) { on_notice(id, event, message); },
  };
  rt.source = make_scanner(*sc, usb_.drivers(cfg_), std::move(sink));
  rt.source->start();
}

void counter_service::on_notice(const std::string& counter_id, std::string_view event, std::string_view message) {
  auto it = counters_.find(counter_id);
  if (it == counters_.end()) return;
  log::warning(event, message, {{"counter", counter_id}, {"scanner", it->second.scanner.id}});
  it->second.health.last_event = std::string(event);
}

void counter_service::on_frame(const std::string& counter_id, std::string_view raw) {
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
    rt.health.last_event = "rejected: " + rej.reason;
    writer_.submit(rejection_request{counter_id, rej.reason, rej.length, shape, at});
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
  // Sealed here (a microsecond or two under the window's key; ~140 us when
  // a window begins) rather than in the writer's transaction, which would
  // hold every counter's scans behind it.
  if (sealer_) req.sealed = seal_person(req.payload, *sealer_);
  const bool queued = writer_.submit(std::move(req), received);
  if (gate_->is_open() && writer_.pending() >= high_water) gate_->close();
  if (!queued) {
    log::error("scan.dropped",
               "scan could not be queued: the store has been unavailable too long and the queue is full",
               {{"counter", counter_id}});
    rt.health.last_event = "dropped: store unavailable";
  }
}

void counter_service::on_overflow(const std::string& counter_id, std::size_t discarded, std::string_view head) {
  const std::string shape = text::shape(head);
  log::warning("scan.rejected", "scan longer than max_scan_bytes discarded",
               {{"counter", counter_id}, {"reason", "too_long"}, {"length", std::to_string(discarded)},
                {"preview", shape}});
  if (auto it = counters_.find(counter_id); it != counters_.end()) it->second.health.last_event = "rejected: too_long";
  writer_.submit(rejection_request{counter_id, "too_long", discarded, shape, now()});
}

void counter_service::on_state(const std::string& counter_id, device_state s, std::string_view reason) {
  auto it = counters_.find(counter_id);
  if (it == counters_.end()) return;
  counter_runtime& rt = it->second;
  const auto change = rt.health.set(s, reason, now(), "scanner", cfg_.site.utc_offset);
  if (change.record && !stopping_) record_device_event(writer_, rt.scanner.id, *change.record);
  const std::initializer_list<log::field> fields = {
      {"counter", counter_id}, {"scanner", rt.scanner.id}, {"device", rt.scanner.device},
      {"reason", std::string(reason)}};
  if (s == device_state::online) log::info("scanner.online", "scanner is online", fields);
  else if (change.was_online) log::warning("scanner.gone", "scanner went offline", fields);
  else if (s == device_state::error) log::warning("scanner.error", "scanner cannot be used", fields);
  else log::warning("scanner.offline", "scanner is not available", fields);
  on_change_();
}

void counter_service::on_committed(const commit_report& report) {
  if (!gate_->is_open() && writer_.pending() <= low_water) gate_->open();
  for (const auto& s : report.scans) {
    const auto& p = s.request.payload;
    const auto latency_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - s.received).count();
    const std::string name =
        s.outcome.effect == scan_effect::duplicate ? "scan.duplicate" : "scan.accepted";
    // Nothing derived from the person (not even a mask, docs/privacy.md):
    // the visit id leads to the masked forms for who may see them.
    log::info(name, to_string(s.outcome.effect),
              {{"counter", s.request.counter_id}, {"seq", std::to_string(s.outcome.seq)},
               {"kind", std::string(to_string(p.kind))}, {"visit", std::to_string(s.outcome.visit_id)},
               {"flags", text::join(p.flags, ",")},
               {"latency_us", std::to_string(latency_us)}});
    if (p.kind == payload_kind::cccd && (p.has_flag("id_sex_mismatch") || p.has_flag("id_century_mismatch") ||
                                         p.has_flag("id_birth_year_mismatch"))) {
      log::warning("scan.identity_mismatch",
                   "the ID number does not agree with the card's sex or birth date: check the card",
                   {{"counter", s.request.counter_id}, {"seq", std::to_string(s.outcome.seq)},
                    {"flags", text::join(p.flags, ",")}});
    }
    if (s.outcome.effect == scan_effect::slip_returned)
      log::info("slip.returned", "filled slip handed back",
                {{"counter", s.request.counter_id}, {"slip", slip::display_slip_number(p.slip_number)},
                 {"visit", std::to_string(s.outcome.visit_id)}});
    if (auto it = counters_.find(s.request.counter_id); it != counters_.end()) {
      it->second.health.last_event =
          fmt::format("{} {}", to_string(s.outcome.effect), format_local(s.request.at.wall_ms, cfg_.site.utc_offset));
    }
    ++accepted_;
  }
}

}  // namespace ravao
