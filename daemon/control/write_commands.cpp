// The control API's write commands (docs/control.md, docs/slips.md,
// docs/declarations.md): slips, command cards, test pages and proxy
// declarations. The store work of each is a control::store_call that owns
// its request by value; the answer comes when it is committed, or "nothing
// was done" when the store did not start it within the deadline.

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/log.hpp"
#include "common/text.hpp"
#include "control/args.hpp"
#include "control/commands.hpp"
#include "control/server.hpp"
#include "control/store_call.hpp"
#include "payload/formats.hpp"
#include "print/print_jobs.hpp"
#include "slip/declaration.hpp"
#include "slip/slip_number.hpp"

namespace ravao {
namespace asio = boost::asio;
namespace json = boost::json;
using control::arg_string;
using control::store_call;
using control::unwrap;

asio::awaitable<json::value> control_commands::slip_print(const json::object& r) {
  const counter_config& c = counter_arg(arg_string(r, "counter"));
  const printer_config* p = unwrap(printer_of(s_.cfg, c));
  const std::string counter = c.id, printer = p->id;  // the configuration may be reloaded while we wait
  slip_request request = slip_request_for(s_.cfg, c, *p, now());
  request.actor = arg_string(r, "actor");
  auto call = store_call<issued_slip>(s_.writer,
                                      [req = std::move(request)](store_writer& s) { return s.issue_slip(req); });
  auto issued = co_await std::move(call);
  log_issued(counter, issued);
  s_.printing.wake(printer);
  co_return json::object{{"slip", slip::display_slip_number(issued.number)}, {"number", issued.number},
                         {"job", issued.job.id}, {"printer", printer}, {"visit", issued.visit_id},
                         {"preprinted", preprinted(issued.job)}};
}

asio::awaitable<json::value> control_commands::slip_reprint(const json::object& r) {
  const std::string text = arg_string(r, "number");
  const auto sequence = slip::parse_slip_number(text);
  if (!sequence)
    throw std::invalid_argument(fmt::format("\"{}\" is not a slip number (digits and a check digit, as printed "
                                            "under the slip's QR code)", text::escape_for_log(text)));
  auto found = unwrap(s_.reader.slip(*sequence));
  if (!found) throw std::invalid_argument(fmt::format("slip {} was not issued here", text));
  const counter_config* c = s_.cfg.find_counter(found->counter_id);
  if (!c) throw std::invalid_argument(fmt::format("slip {} was issued at counter {}, which is no longer configured",
                                                  text, found->counter_id));
  const std::string counter = c->id, printer = unwrap(printer_of(s_.cfg, *c))->id;
  // The action record names the slip by its printed number, as staff read it.
  auto call = store_call<print_job_row>(
      s_.writer, [seqno = *sequence, printer, at = now(), actor = arg_string(r, "actor"),
                  number = slip::format_slip_number(*sequence)](store_writer& s) {
        return s.reprint_slip(seqno, printer, at, actor, number);
      });
  auto job = co_await std::move(call);
  log::info("slip.reprinted", "slip printed again",
            {{"counter", counter}, {"slip", text}, {"job", std::to_string(job.id)}, {"actor", arg_string(r, "actor")}});
  s_.printing.wake(printer);
  co_return job_json(job, s_.cfg.site.utc_offset);
}

asio::awaitable<json::value> control_commands::slip_preview(const json::object& r) {
  // What a slip printed now at this counter would look like; ravaoctl draws
  // it with the same code that prints, with the number the next slip will
  // get (not reserved: a preview uses no number up).
  const std::string counter = arg_string(r, "counter");
  const counter_config& c = counter.empty() ? s_.cfg.counters.front() : counter_arg(counter);
  int width_mm = 80;
  if (c.printer)
    if (const auto* p = s_.cfg.find_printer(*c.printer)) width_mm = p->paper_width_mm;
  slip::slip_content content = slip_content_for(s_.cfg, c, now());
  content.slip_number = slip::format_slip_number(unwrap(s_.reader.next_slip_sequence()));
  co_return json::object{{"kind", "slip"}, {"content", json::parse(slip::encode(content))},
                         {"width_dots", width_mm >= 80 ? 576 : 384}, {"counter", c.id}};
}

asio::awaitable<json::value> control_commands::card_print(const json::object& r) {
  const counter_config& c = counter_arg(arg_string(r, "counter"));
  if (!payload::is_command_counter_id(c.id))
    throw std::invalid_argument(fmt::format(
        "counter id \"{}\" cannot go on a command card: its codes take 1-32 of A-Z a-z 0-9 _ - "
        "(rename the counter in the configuration)", c.id));
  const printer_config* p = unwrap(printer_of(s_.cfg, c));
  job_request job = card_job(s_.cfg, c, *p, now());
  if (const auto web = s_.web.current()) {
    auto& card = std::get<slip::card_content>(job.content);
    card.console_url = web->url;
    card.console_fingerprint = web->fingerprint;
  }
  auto queued = add_job(std::move(job), {"card.print", arg_string(r, "actor")});
  co_return co_await std::move(queued);
}

asio::awaitable<json::value> control_commands::printer_test(const json::object& r) {
  const counter_config& c = counter_arg(arg_string(r, "counter"));
  const printer_config* p = unwrap(printer_of(s_.cfg, c));
  auto queued = add_job(test_page_job(s_.cfg, c, *p, now()), {"printer.test", arg_string(r, "actor")});
  co_return co_await std::move(queued);
}

asio::awaitable<json::value> control_commands::add_job(job_request req, person_action by) {
  const std::string printer = req.printer_id;
  auto call = store_call<print_job_row>(
      s_.writer, [req = std::move(req), by = std::move(by)](store_writer& s) { return s.add_job(req, by); });
  auto job = co_await std::move(call);
  s_.printing.wake(printer);
  co_return job_json(job, s_.cfg.site.utc_offset);
}

asio::awaitable<json::value> control_commands::declare(const json::object& r) {
  const timestamp at = now();
  std::vector<std::pair<std::string, std::string>> fields;
  constexpr std::string_view shape = "\"fields\" must be [[name, value], ...] or {\"name\": value, ...}";
  if (const auto* v = r.if_contains("fields"); v && v->is_array()) {
    for (const auto& f : v->as_array()) {
      if (!f.is_array() || f.as_array().size() != 2 || !f.as_array()[0].is_string() || !f.as_array()[1].is_string())
        throw std::invalid_argument(std::string(shape));
      fields.emplace_back(std::string(f.as_array()[0].as_string()), std::string(f.as_array()[1].as_string()));
    }
  } else if (v && v->is_object()) {
    for (const auto& [name, value] : v->as_object()) {
      if (!value.is_string()) throw std::invalid_argument(std::string(shape));
      fields.emplace_back(std::string(name), std::string(value.as_string()));
    }
  }
  auto parsed = slip::parse_declaration(s_.cfg.form, fields, iso_day(at, s_.cfg.site.utc_offset));
  if (!parsed) {
    std::string msg = "declaration not recorded:";
    json::array errors;
    for (const auto& e : parsed.error()) {
      msg += fmt::format("\n  {}: {}", e.field, e.message);
      errors.push_back(json::object{{"field", e.field}, {"message", e.message}, {"message_vi", e.message_vi}});
    }
    throw control_error(msg, json::object{{"field_errors", std::move(errors)}});
  }
  declaration_request req;
  req.actor = arg_string(r, "actor");
  req.at = at;
  req.link_window = s_.cfg.slips.link_window;
  req.person_id = parsed->person_id;
  req.person_name = parsed->person_name;
  req.declaration_json = json::serialize(slip::to_json(*parsed));
  if (const std::string number = arg_string(r, "slip"); !number.empty()) {
    const auto sequence = slip::parse_slip_number(number);
    if (!sequence) throw std::invalid_argument(fmt::format("\"{}\" is not a slip number", text::escape_for_log(number)));
    auto found = unwrap(s_.reader.slip(*sequence));
    if (!found) throw std::invalid_argument(fmt::format("slip {} was not issued here", text::escape_for_log(number)));
    req.slip_sequence = sequence;
    req.slip_number = slip::format_slip_number(*sequence);
    req.counter_id = found->counter_id;
  }
  if (const std::string counter = arg_string(r, "counter"); !counter.empty()) {
    if (!s_.cfg.find_counter(counter)) throw std::invalid_argument(fmt::format("no counter \"{}\"", counter));
    if (req.counter_id.empty()) req.counter_id = counter;
  }
  if (req.counter_id.empty()) throw std::invalid_argument("give --slip N, or --counter C right after a card scan");
  const bool print_copy = control::arg_bool(r, "print_copy");
  if (print_copy) unwrap(printer_of(s_.cfg, counter_arg(req.counter_id)));  // refused before anything is recorded
  auto call = store_call<declared>(s_.writer, [req](store_writer& s) { return s.declare(req); });
  auto done = co_await std::move(call);
  const std::string slip_shown = req.slip_number.empty() ? std::string() : slip::display_slip_number(req.slip_number);
  log::info("declaration.recorded", "proxy declaration recorded",
            {{"counter", req.counter_id}, {"seq", std::to_string(done.seq)}, {"visit", std::to_string(done.visit_id)},
             {"slip", slip_shown}});
  json::object out{{"seq", done.seq}, {"visit", done.visit_id}, {"counter", req.counter_id}, {"slip", slip_shown}};
  if (print_copy) out["job"] = co_await declaration_copy(req, done, slip::to_json(*parsed));
  co_return out;
}

}  // namespace ravao
