#include "scanned_commands.hpp"

#include "common/log.hpp"
#include "print/print_jobs.hpp"

namespace ravao {

void scanned_commands::on_command(const committed_scan& s) {
  const auto& p = s.request.payload;
  const counter_config* c = cfg_.find_counter(p.command_arg.empty() ? s.request.counter_id : p.command_arg);
  const std::initializer_list<log::field> where = {{"counter", s.request.counter_id}, {"command", p.command}};
  if (!c) {
    log::warning("command.refused", "command names a counter that is not configured",
                 {{"counter", s.request.counter_id}, {"command", p.command}, {"target", p.command_arg}});
    return;
  }
  if (p.command == "PRINT_SLIP" || p.command == "PRINTER_TEST") {
    auto printer = printer_of(cfg_, *c);
    if (!printer) {
      log::warning("command.refused", printer.error().message(), where);
      return;
    }
    const timestamp at = now();
    if (p.command == "PRINT_SLIP") {
      writer_.async_run<result<issued_slip>>(
          [req = slip_request_for(cfg_, *c, **printer, at)](store_writer& st) { return st.issue_slip(req); },
          [this, printer = (*printer)->id, counter = c->id](boost::system::error_code ec, result<issued_slip> r) {
            if (ec) return;  // not run: the daemon is stopping
            if (!r) {
              log::error("slip.failed", "slip not issued", {{"counter", counter}, {"error", r.error().message()}});
              return;
            }
            log_issued(counter, *r);
            printing_.wake(printer);
          });
    } else {
      writer_.async_run<result<print_job_row>>(
          [req = test_page_job(cfg_, *c, **printer, at)](store_writer& st) { return st.add_job(req); },
          [this, printer = (*printer)->id](boost::system::error_code ec, result<print_job_row> r) {
            if (!ec && r) printing_.wake(printer);
          });
    }
    return;
  }
  if (p.command == "CHECKOUT_LAST" || p.command == "UNDO_LAST") {
    const bool undo = p.command == "UNDO_LAST";
    writer_.async_run<result<staff_command_outcome>>(
        [undo, at = now(), counter = c->id](store_writer& st) {
          // Undo reaches back at most 10 minutes: staff correct a scan they just saw go wrong.
          return undo ? st.undo_last(counter, at, undo_window) : st.checkout_last(counter, at);
        },
        [this, counter = c->id, verb = p.command](boost::system::error_code ec, result<staff_command_outcome> r) {
          if (ec) return;  // not run: the daemon is stopping
          if (!r) {
            log::error("command.failed", "staff command not done",
                       {{"counter", counter}, {"command", verb}, {"error", r.error().message()}});
            return;
          }
          log::info(r->seq ? "command.done" : "command.nothing_to_do", r->detail,
                    {{"counter", counter}, {"command", verb}, {"seq", std::to_string(r->seq)},
                     {"visit", std::to_string(r->visit_id)}});
          on_change_();
        });
    return;
  }
  log::notice("command.recorded", "command recorded; this build does not act on it", where);
}

}  // namespace ravao
