// The control commands the counter console needs (issue 14; docs/control.md):
// check a visitor out and undo the last scan from the page rather than with
// the command card, print the site's check-in poster, queue the visitor's
// copy of a declaration, and the supervisor's summary. Each write is a
// control::store_call carrying the request's actor (resolved by handle()).

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/log.hpp"
#include "control/args.hpp"
#include "control/commands.hpp"
#include "control/store_call.hpp"
#include "print/declaration_copy.hpp"
#include "print/print_jobs.hpp"

namespace ravao {
namespace asio = boost::asio;
namespace json = boost::json;
using control::arg_string;
using control::store_call;
using control::unwrap;

namespace {

json::object staff_result(const staff_command_outcome& o) {
  return {{"seq", o.seq}, {"visit", o.visit_id}, {"detail", o.detail}};
}

void log_staff_command(bool undo, const std::string& counter, const std::string& actor,
                       const staff_command_outcome& o) {
  log::info(!o.seq ? "visit.nothing_to_do" : undo ? "visit.undone" : "visit.staff_checkout", o.detail,
            {{"counter", counter}, {"actor", actor}, {"seq", std::to_string(o.seq)},
             {"visit", std::to_string(o.visit_id)}});
}

// "days": 1 to 31, 7 when absent.
int arg_days(const json::object& r) {
  const auto* v = r.if_contains("days");
  if (!v || v->is_null()) return 7;
  if (!v->is_int64() || v->as_int64() < 1 || v->as_int64() > 31)
    throw std::invalid_argument("\"days\" must be an integer from 1 to 31");
  return static_cast<int>(v->as_int64());
}

}  // namespace

asio::awaitable<json::value> control_commands::visit_checkout(const json::object& r) {
  const std::string counter = counter_arg(arg_string(r, "counter")).id;
  std::optional<std::int64_t> visit;
  if (const auto* v = r.if_contains("visit"); v && !v->is_null()) {
    if (!v->is_int64() || v->as_int64() < 1) throw std::invalid_argument("\"visit\" must be a visit id (see visits)");
    visit = v->as_int64();
  }
  const std::string actor = arg_string(r, "actor");
  auto call = store_call<staff_command_outcome>(s_.writer, [counter, visit, actor, at = now()](store_writer& s) {
    return s.checkout_visit(counter, visit, at, actor);
  });
  const auto done = co_await std::move(call);
  log_staff_command(false, counter, actor, done);
  co_return staff_result(done);
}

asio::awaitable<json::value> control_commands::visit_undo(const json::object& r) {
  const std::string counter = counter_arg(arg_string(r, "counter")).id;
  const std::string actor = arg_string(r, "actor");
  auto call = store_call<staff_command_outcome>(s_.writer, [counter, actor, at = now()](store_writer& s) {
    return s.undo_last(counter, at, undo_window, actor);
  });
  const auto done = co_await std::move(call);
  log_staff_command(true, counter, actor, done);
  co_return staff_result(done);
}

asio::awaitable<json::value> control_commands::poster_print(const json::object& r) {
  const counter_config& c = counter_arg(arg_string(r, "counter"));
  const printer_config* p = unwrap(printer_of(s_.cfg, c));
  auto job = unwrap(poster_job(s_.cfg, c, *p, now()));
  log::info("poster.queued", "check-in poster queued",
            {{"counter", c.id}, {"printer", p->id}, {"actor", arg_string(r, "actor")}});
  auto queued = add_job(std::move(job), {"poster.print", arg_string(r, "actor")});
  co_return co_await std::move(queued);
}

asio::awaitable<std::int64_t> control_commands::declaration_copy(declaration_request req, declared done,
                                                                 json::object answers) {
  const counter_config& c = counter_arg(req.counter_id);
  const std::string printer = unwrap(printer_of(s_.cfg, c))->id;
  slip::declaration_copy_content copy = declaration_copy_for(s_.cfg, c, req.at, done.seq, req.slip_number,
                                                             req.person_id, req.person_name, req.actor);
  job_request stored{printer, c.id, copy, req.at};  // without the answers
  copy.answers = declaration_answers(answers);
  std::string full = slip::encode(copy);
  auto call = store_call<print_job_row>(s_.writer, [stored = std::move(stored)](store_writer& s) {
    return s.add_job(stored);
  });
  print_job_row job;
  try {
    job = co_await std::move(call);
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("declaration recorded (record #{}), but its printed copy was not queued: {}",
                                         done.seq, e.what()));
  }
  s_.printing.hold_content(job.id, std::move(full));
  s_.printing.wake(printer);
  log::info("declaration.copy_queued", "printed copy of a declaration queued",
            {{"counter", c.id}, {"seq", std::to_string(done.seq)}, {"job", std::to_string(job.id)}});
  co_return job.id;
}

asio::awaitable<json::value> control_commands::summary(const json::object& r) {
  const int days = arg_days(r);
  const timestamp at = now();
  const auto offset = s_.cfg.site.utc_offset;
  // The dates asked for, oldest first, today last.
  std::vector<std::string> dates;
  for (int k = days - 1; k >= 0; --k) dates.push_back(format_local(at.wall_ms - k * 86'400'000ll, offset).substr(0, 10));
  // Today is read every time; the days before, once: a record counts on the
  // day it was written, so a past day's counts no longer change (see
  // summary_days_).
  auto today = unwrap(s_.reader.summary(at, 1));
  std::int64_t records_read = today.records_read;
  const bool missing = std::ranges::any_of(dates.begin(), dates.end() - 1,
                                           [&](const std::string& d) { return !summary_days_.contains(d); });
  if (missing) {
    timestamp yesterday = at;
    yesterday.wall_ms -= 86'400'000;
    auto past = unwrap(s_.reader.summary(yesterday, days - 1));
    records_read += past.records_read;
    for (const auto& d : past.dates) summary_days_[d].clear();
    for (auto& d : past.days) summary_days_[d.date].push_back(std::move(d));
  }
  const std::string oldest_kept = format_local(at.wall_ms - 31 * 86'400'000ll, offset).substr(0, 10);
  std::erase_if(summary_days_, [&](const auto& kv) { return kv.first < oldest_kept; });
  // Every configured counter on every day, zeros included (the weekly
  // report lists them all); then counters since removed that had activity.
  std::vector<std::string> counters;
  for (const auto& c : s_.cfg.counters) counters.push_back(c.id);
  const auto find = [&](const std::string& date) -> const std::vector<day_summary>& {
    return date == dates.back() ? today.days : summary_days_[date];
  };
  for (const auto& date : dates)
    for (const auto& d : find(date))
      if (std::ranges::find(counters, d.counter_id) == counters.end()) counters.push_back(d.counter_id);
  json::array day_rows;
  for (const auto& date : dates) {
    for (const auto& counter : counters) {
      day_summary d{date, counter};
      for (const auto& f : find(date))
        if (f.counter_id == counter) d = f;
      day_rows.push_back(json::object{{"date", d.date},
                                      {"counter", d.counter_id},
                                      {"visits", d.visits},
                                      {"declarations", d.declarations},
                                      {"slips_issued", d.slips_issued},
                                      {"slips_returned", d.slips_returned},
                                      {"duplicates", d.duplicates},
                                      {"staff_checkouts", d.staff_checkouts}});
    }
  }
  json::array hours;
  for (const auto& h : today.today_hours)
    hours.push_back(json::object{{"counter", h.counter_id}, {"hour", h.hour}, {"visits", h.visits}});
  co_return json::object{{"today_hours", std::move(hours)}, {"days", std::move(day_rows)},
                         {"records_read", records_read}};
}

// From i14-live (merged for the front-end integration build).
asio::awaitable<json::value> control_commands::last_scan(const json::object& r) {
  // ravaod cannot know web sessions: ravao-web gives these only to a
  // session bound to the counter (docs/privacy.md).
  const counter_config& c = counter_arg(control::arg_string(r, "counter"));
  co_return s_.last_scans.find(c.id);
}

asio::awaitable<json::value> control_commands::web_register(const json::object& r) {
  const bool changed = control::unwrap(s_.web.register_console(r));
  if (changed) {
    const auto web = s_.web.current();
    log::info("control.web_registered", "the counter console registered its address",
              {{"url", web->url}, {"fingerprint", web->fingerprint}});
  }
  co_return json::object{{"registered", true}};
}

}  // namespace ravao
