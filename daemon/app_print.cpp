// ravaod's slips: the print queues of the configured printers, the staff
// commands scanned at a counter (RAVAO:CMD:...), and the ravaoctl requests
// for slips, command cards, print jobs and proxy declarations
// (docs/slips.md, docs/declarations.md, docs/control.md).

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include <future>

#include "app.hpp"
#include "common/text.hpp"
#include "payload/formats.hpp"
#include "common/log.hpp"
#include "slip/declaration.hpp"
#include "slip/slip_number.hpp"

namespace ravao {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

template <class T>
T unwrap_or_throw(result<T> r) {
  if (!r) throw std::runtime_error(r.error().message());
  return std::move(*r);
}

std::string arg_text(const json::object& r, std::string_view key) {
  const auto* v = r.if_contains(key);
  if (!v || v->is_null()) return {};
  if (!v->is_string()) throw std::invalid_argument(fmt::format("\"{}\" must be a string", key));
  return std::string(v->as_string());
}

// Civil date and time at the site: "23/11/2026 14:05" as printed on slips.
struct local_time {
  int year, month, day, hour, minute;
};

local_time to_local(std::int64_t wall_ms, std::chrono::minutes offset) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds{wall_ms} + offset};
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day())), static_cast<int>(hms.hours().count()),
          static_cast<int>(hms.minutes().count())};
}

std::string printed_time(const timestamp& at, std::chrono::minutes offset) {
  if (!at.synced) return {};  // a guess would be printed on a legal form: leave it for the pen
  const auto t = to_local(at.wall_ms, offset);
  return fmt::format("{:02}/{:02}/{:04} {:02}:{:02}", t.day, t.month, t.year, t.hour, t.minute);
}

std::string iso_day(const timestamp& at, std::chrono::minutes offset) {
  const auto t = to_local(at.wall_ms, offset);
  return fmt::format("{:04}-{:02}-{:02}", t.year, t.month, t.day);
}

void log_issued(const std::string& counter, const issued_slip& s) {
  log::info("slip.issued", "slip issued",
            {{"counter", counter}, {"slip", slip::display_slip_number(s.number)},
             {"visit", std::to_string(s.visit_id)}, {"job", std::to_string(s.job.id)}});
}

json::object job_json(const print_job_row& j, std::chrono::minutes offset) {
  std::string number;
  boost::system::error_code ec;
  auto v = json::parse(j.content, ec);
  bool reprint = false;
  if (!ec && v.is_object()) {
    if (const auto* n = v.as_object().if_contains("number"); n && n->is_string()) number = n->as_string();
    if (const auto* r = v.as_object().if_contains("reprint"); r && r->is_bool()) reprint = r->as_bool();
  }
  return json::object{
      {"id", j.id},
      {"printer", j.printer_id},
      {"counter", j.counter_id},
      {"kind", reprint ? j.kind + " (reprint)" : j.kind},
      {"slip", number.empty() ? std::string() : slip::display_slip_number(number)},
      {"state", to_string(j.state)},
      {"attempts", j.attempts},
      {"error", j.last_error},
      {"created", format_local(j.created_wall_ms, offset)},
      {"done", j.done_wall_ms ? json::value(format_local(*j.done_wall_ms, offset)) : json::value(nullptr)},
  };
}

}  // namespace

std::shared_ptr<slip::fonts> app::fonts() {
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

void app::start_worker(printer_runtime& rt) {
  auto f = fonts();
  if (!f) {
    rt.reason = "cannot draw slips: " + fonts_error_;
    return;
  }
  const std::string id = rt.cfg.id;
  print::worker_hooks hooks{
      .pending = [this, id]() -> result<std::vector<print_job_row>> {
        return reader_->jobs(job_filter{.printer_id = id, .pending_only = true, .limit = 20});
      },
      .set_state =
          [this](std::int64_t job, job_state to, std::string error) {
            const timestamp at = now();
            committer_->run_on_store([job, to, error = std::move(error), at](store& s) {
              if (auto r = s.set_job_state(job, to, error, at); !r)
                std::fprintf(stderr, "print job %lld: state not saved: %s\n", static_cast<long long>(job),
                             r.error().message().c_str());
            });
          },
      .on_status =
          [this, id](escpos::printer_status from, escpos::printer_status to, std::string_view reason) {
            const std::initializer_list<log::field> fields = {{"printer", id},
                                                              {"from", std::string(escpos::to_string(from))},
                                                              {"to", std::string(escpos::to_string(to))},
                                                              {"reason", std::string(reason)}};
            if (to == escpos::printer_status::online) log::info("printer.status", "printer reports ready", fields);
            else log::warning("printer.status", "printer reports a problem", fields);
            // Paper out, cover open and back: device records for the province's report.
            record_device_event(id, fmt::format("printer status {}", escpos::to_string(to)));
            if (auto it = printers_.find(id); it != printers_.end())
              it->second.last_event = fmt::format("{} {}", escpos::to_string(to),
                                                  format_local(now().wall_ms, cfg_.site.utc_offset));
            status_changed();
          },
      .on_job = [this, id](const print_job_row& job, std::string_view outcome,
                           std::string_view detail) { log_job(id, job, outcome, detail); },
  };
  rt.worker = std::make_shared<print::printer_worker>(io_.get_executor(), rt.cfg, rt.transport, f, std::move(hooks));
  rt.worker->transport_state(rt.state);
  rt.worker->start();
}

void app::log_job(const std::string& printer_id, const print_job_row& job, std::string_view outcome,
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

void app::wake_printer(const std::string& printer_id) {
  if (auto it = printers_.find(printer_id); it != printers_.end() && it->second.worker) it->second.worker->wake();
}

result<const printer_config*> app::printer_of(const counter_config& c) const {
  if (!c.printer)
    return fail(errc::not_found,
                fmt::format("counter {} has no printer (set printer = \"...\" in its [[counter]])", c.id));
  const printer_config* p = cfg_.find_printer(*c.printer);
  if (!p) return fail(errc::not_found, fmt::format("printer {} is not configured", *c.printer));
  return p;
}

std::string app::slip_content_json(const counter_config& c, const timestamp& at) const {
  return json::serialize(json::object{
      {"site_name", cfg_.site.name},
      {"counter_name", c.name},
      {"issued_at", printed_time(at, cfg_.site.utc_offset)},
      {"retention_days", cfg_.store.retention_days},
  });
}

slip_request app::slip_request_for(const counter_config& c, const printer_config& p, const timestamp& at) const {
  return slip_request{c.id, p.id, cfg_.slips.preprint == slip_preprint::masked, cfg_.slips.link_window,
                      slip_content_json(c, at), [](std::int64_t n) { return slip::format_slip_number(n); }, at};
}

job_request app::test_page_job(const counter_config& c, const printer_config& p, const timestamp& at) const {
  return job_request{p.id, c.id, "test",
                     json::serialize(json::object{{"site_name", cfg_.site.name},
                                                  {"printer_id", p.id},
                                                  {"profile_name", std::string(print::printer_worker::profile_for(p).name)},
                                                  {"printed_at", printed_time(at, cfg_.site.utc_offset)}}),
                     at};
}

template <class T>
T app::on_store_wait(std::function<T(store&)> work) {
  auto done = std::make_shared<std::promise<T>>();
  auto future = done->get_future();
  committer_->run_on_store([work = std::move(work), done](store& s) { done->set_value(work(s)); });
  // The writer thread never waits for the loop, so blocking here is safe; it
  // is bounded for a store that keeps failing (disk full).
  if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready)
    throw std::runtime_error("the store did not answer within 10 s (see ravaoctl status)");
  return future.get();
}

// A staff command barcode, committed as a command record, now acted on.
void app::on_command(const committed_scan& s) {
  const auto& p = s.request.payload;
  const counter_config* c = cfg_.find_counter(p.command_arg.empty() ? s.request.counter_id : p.command_arg);
  const std::initializer_list<log::field> where = {{"counter", s.request.counter_id}, {"command", p.command}};
  if (!c) {
    log::warning("command.refused", "command names a counter that is not configured",
                 {{"counter", s.request.counter_id}, {"command", p.command}, {"target", p.command_arg}});
    return;
  }
  if (p.command == "PRINT_SLIP" || p.command == "PRINTER_TEST") {
    auto printer = printer_of(*c);
    if (!printer) {
      log::warning("command.refused", printer.error().message(), where);
      return;
    }
    const timestamp at = now();
    if (p.command == "PRINT_SLIP") {
      committer_->run_on_store([this, req = slip_request_for(*c, **printer, at)](store& st) {
        auto r = st.issue_slip(req);
        asio::post(io_, [this, r = std::move(r), printer = req.printer_id, counter = req.counter_id] {
          if (!r) {
            log::error("slip.failed", "slip not issued", {{"counter", counter}, {"error", r.error().message()}});
            return;
          }
          log_issued(counter, *r);
          wake_printer(printer);
        });
      });
    } else {
      committer_->run_on_store([this, req = test_page_job(*c, **printer, at)](store& st) {
        auto r = st.add_job(req);
        asio::post(io_, [this, ok = r.has_value(), printer = req.printer_id] {
          if (ok) wake_printer(printer);
        });
      });
    }
    return;
  }
  if (p.command == "CHECKOUT_LAST" || p.command == "UNDO_LAST") {
    const bool undo = p.command == "UNDO_LAST";
    const timestamp at = now();
    committer_->run_on_store([this, undo, at, counter = c->id, verb = p.command](store& st) {
      // Undo reaches back at most 10 minutes: staff correct a scan they just saw go wrong.
      auto r = undo ? st.undo_last(counter, at, std::chrono::minutes(10)) : st.checkout_last(counter, at);
      asio::post(io_, [this, r = std::move(r), counter, verb] {
        if (!r) {
          log::error("command.failed", "staff command not done",
                     {{"counter", counter}, {"command", verb}, {"error", r.error().message()}});
          return;
        }
        log::info(r->seq ? "command.done" : "command.nothing_to_do", r->detail,
                  {{"counter", counter}, {"command", verb}, {"seq", std::to_string(r->seq)},
                   {"visit", std::to_string(r->visit_id)}});
        status_changed();
      });
    });
    return;
  }
  log::notice("command.recorded", "command recorded; this build does not act on it", where);
}

json::value app::slip_print_json(const json::object& r) {
  const std::string counter = arg_text(r, "counter");
  const counter_config* c = cfg_.find_counter(counter);
  if (!c) throw std::invalid_argument(fmt::format("no counter \"{}\" (see ravaoctl counters)", counter));
  const printer_config* p = unwrap_or_throw(printer_of(*c));
  const slip_request req = slip_request_for(*c, *p, now());
  auto issued = unwrap_or_throw(on_store_wait<result<issued_slip>>([&req](store& s) { return s.issue_slip(req); }));
  log_issued(c->id, issued);
  wake_printer(p->id);
  return json::object{{"slip", slip::display_slip_number(issued.number)}, {"number", issued.number},
                      {"job", issued.job.id}, {"printer", p->id}, {"visit", issued.visit_id},
                      {"preprinted", issued.job.content.find("\"person_id_masked\"") != std::string::npos}};
}

json::value app::slip_reprint_json(const json::object& r) {
  const std::string text = arg_text(r, "number");
  const auto sequence = slip::parse_slip_number(text);
  if (!sequence)
    throw std::invalid_argument(fmt::format("\"{}\" is not a slip number (digits and a check digit, as printed "
                                            "under the slip's QR code)", text::escape_for_log(text)));
  auto found = unwrap_or_throw(reader_->slip(*sequence));
  if (!found) throw std::invalid_argument(fmt::format("slip {} was not issued here", text));
  const counter_config* c = cfg_.find_counter(found->counter_id);
  if (!c) throw std::invalid_argument(fmt::format("slip {} was issued at counter {}, which is no longer configured",
                                                  text, found->counter_id));
  const printer_config* p = unwrap_or_throw(printer_of(*c));
  const timestamp at = now();
  auto job = unwrap_or_throw(on_store_wait<result<print_job_row>>(
      [&, seqno = *sequence](store& s) { return s.reprint_slip(seqno, p->id, at); }));
  log::info("slip.reprinted", "slip printed again", {{"counter", c->id}, {"slip", text}, {"job", std::to_string(job.id)}});
  wake_printer(p->id);
  return job_json(job, cfg_.site.utc_offset);
}

json::value app::slip_preview_json(const json::object& r) {
  // What a slip printed now at this counter would look like; ravaoctl draws
  // it with the same code that prints, with the number the next slip will
  // get (not reserved: a preview uses no number up).
  const std::string counter = arg_text(r, "counter");
  const counter_config* c = counter.empty() ? &cfg_.counters.front() : cfg_.find_counter(counter);
  if (!c) throw std::invalid_argument(fmt::format("no counter \"{}\" (see ravaoctl counters)", counter));
  int width_mm = 80;
  if (c->printer)
    if (const auto* p = cfg_.find_printer(*c->printer)) width_mm = p->paper_width_mm;
  auto content = json::parse(slip_content_json(*c, now())).as_object();
  content["number"] = slip::format_slip_number(unwrap_or_throw(reader_->next_slip_sequence()));
  return json::object{{"kind", "slip"}, {"content", std::move(content)},
                      {"width_dots", width_mm >= 80 ? 576 : 384}, {"counter", c->id}};
}

json::value app::card_print_json(const json::object& r) {
  const std::string counter = arg_text(r, "counter");
  const counter_config* c = cfg_.find_counter(counter);
  if (!c) throw std::invalid_argument(fmt::format("no counter \"{}\" (see ravaoctl counters)", counter));
  if (!payload::is_command_counter_id(c->id))
    throw std::invalid_argument(fmt::format(
        "counter id \"{}\" cannot go on a command card: its codes take 1-32 of A-Z a-z 0-9 _ - "
        "(rename the counter in the configuration)", c->id));
  const printer_config* p = unwrap_or_throw(printer_of(*c));
  job_request req{p->id, c->id, "card",
                  json::serialize(json::object{{"site_name", cfg_.site.name}, {"counter_id", c->id},
                                               {"counter_name", c->name}}),
                  now()};
  auto job = unwrap_or_throw(on_store_wait<result<print_job_row>>([&req](store& s) { return s.add_job(req); }));
  wake_printer(p->id);
  return job_json(job, cfg_.site.utc_offset);
}

json::value app::printer_test_json(const json::object& r) {
  const std::string counter = arg_text(r, "counter");
  const counter_config* c = cfg_.find_counter(counter);
  if (!c) throw std::invalid_argument(fmt::format("no counter \"{}\" (see ravaoctl counters)", counter));
  const printer_config* p = unwrap_or_throw(printer_of(*c));
  const job_request req = test_page_job(*c, *p, now());
  auto job = unwrap_or_throw(on_store_wait<result<print_job_row>>([&req](store& s) { return s.add_job(req); }));
  wake_printer(p->id);
  return job_json(job, cfg_.site.utc_offset);
}

json::value app::jobs_json(const json::object& r) const {
  job_filter f;
  f.printer_id = arg_text(r, "printer");
  if (const auto* v = r.if_contains("pending"); v && v->is_bool()) f.pending_only = v->as_bool();
  if (const auto* v = r.if_contains("limit"); v && v->is_int64()) f.limit = static_cast<int>(v->as_int64());
  auto rows = unwrap_or_throw(reader_->jobs(f));
  json::array out;
  for (const auto& j : rows) out.push_back(job_json(j, cfg_.site.utc_offset));
  return out;
}

json::value app::declare_json(const json::object& r) {
  const timestamp at = now();
  std::vector<std::pair<std::string, std::string>> fields;
  if (const auto* v = r.if_contains("fields"); v && v->is_array()) {
    for (const auto& f : v->as_array()) {
      if (!f.is_array() || f.as_array().size() != 2 || !f.as_array()[0].is_string() || !f.as_array()[1].is_string())
        throw std::invalid_argument("\"fields\" must be [[name, value], ...]");
      fields.emplace_back(std::string(f.as_array()[0].as_string()), std::string(f.as_array()[1].as_string()));
    }
  }
  auto parsed = slip::parse_declaration(fields, iso_day(at, cfg_.site.utc_offset));
  if (!parsed) {
    std::string msg = "declaration not recorded:";
    for (const auto& e : parsed.error()) msg += fmt::format("\n  {}: {}", e.field, e.message);
    throw std::invalid_argument(msg);
  }
  declaration_request req;
  req.at = at;
  req.link_window = cfg_.slips.link_window;
  req.person_id = parsed->id_number;
  req.person_name = parsed->full_name;
  req.declaration_json = json::serialize(slip::to_json(*parsed));
  if (const std::string number = arg_text(r, "slip"); !number.empty()) {
    const auto sequence = slip::parse_slip_number(number);
    if (!sequence) throw std::invalid_argument(fmt::format("\"{}\" is not a slip number", text::escape_for_log(number)));
    auto found = unwrap_or_throw(reader_->slip(*sequence));
    if (!found) throw std::invalid_argument(fmt::format("slip {} was not issued here", text::escape_for_log(number)));
    req.slip_sequence = sequence;
    req.slip_number = slip::format_slip_number(*sequence);
    req.counter_id = found->counter_id;
  }
  if (const std::string counter = arg_text(r, "counter"); !counter.empty()) {
    if (!cfg_.find_counter(counter)) throw std::invalid_argument(fmt::format("no counter \"{}\"", counter));
    if (req.counter_id.empty()) req.counter_id = counter;
  }
  if (req.counter_id.empty()) throw std::invalid_argument("give --slip N, or --counter C right after a card scan");
  auto done = unwrap_or_throw(on_store_wait<result<declared>>([&req](store& s) { return s.declare(req); }));
  log::info("declaration.recorded", "proxy declaration recorded",
            {{"counter", req.counter_id}, {"seq", std::to_string(done.seq)}, {"visit", std::to_string(done.visit_id)},
             {"slip", req.slip_number.empty() ? std::string() : slip::display_slip_number(req.slip_number)}});
  return json::object{{"seq", done.seq}, {"visit", done.visit_id}, {"counter", req.counter_id},
                      {"slip", req.slip_number.empty() ? std::string() : slip::display_slip_number(req.slip_number)}};
}

}  // namespace ravao
