#include "print/print_jobs.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/log.hpp"
#include "print/printer_worker.hpp"
#include "slip/job_content.hpp"
#include "slip/slip_number.hpp"

namespace ravao {
namespace json = boost::json;

namespace {

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

}  // namespace

std::string printed_time(const timestamp& at, std::chrono::minutes offset) {
  if (!at.synced) return {};
  const auto t = to_local(at.wall_ms, offset);
  return fmt::format("{:02}/{:02}/{:04} {:02}:{:02}", t.day, t.month, t.year, t.hour, t.minute);
}

std::string iso_day(const timestamp& at, std::chrono::minutes offset) {
  const auto t = to_local(at.wall_ms, offset);
  return fmt::format("{:04}-{:02}-{:02}", t.year, t.month, t.day);
}

result<const printer_config*> printer_of(const config& cfg, const counter_config& c) {
  if (!c.printer)
    return fail(errc::not_found,
                fmt::format("counter {} has no printer (set printer = \"...\" in its [[counter]])", c.id));
  const printer_config* p = cfg.find_printer(*c.printer);
  if (!p) return fail(errc::not_found, fmt::format("printer {} is not configured", *c.printer));
  return p;
}

slip::slip_content slip_content_for(const config& cfg, const counter_config& c, const timestamp& at) {
  slip::slip_content content;
  content.site_name = cfg.site.name;
  content.counter_name = c.name;
  content.issued_at = printed_time(at, cfg.site.utc_offset);
  content.retention_days = cfg.store.retention_days;
  content.form = cfg.form;
  return content;
}

slip_request slip_request_for(const config& cfg, const counter_config& c, const printer_config& p,
                              const timestamp& at) {
  return slip_request{c.id, p.id, cfg.slips.preprint == slip_preprint::masked, cfg.slips.link_window,
                      slip_content_for(cfg, c, at), [](std::int64_t n) { return slip::format_slip_number(n); }, at,
                      /*actor: set by a control request*/ {}};
}

job_request test_page_job(const config& cfg, const counter_config& c, const printer_config& p, const timestamp& at) {
  return job_request{p.id, c.id,
                     slip::test_page_content{cfg.site.name, p.id,
                                             std::string(print::printer_worker::profile_for(p).name),
                                             printed_time(at, cfg.site.utc_offset)},
                     at};
}

job_request card_job(const config& cfg, const counter_config& c, const printer_config& p, const timestamp& at) {
  return job_request{p.id, c.id, slip::card_content{cfg.site.name, c.id, c.name}, at};
}

// Content the decoder refuses lists with no slip number: the job fails when it prints.
json::object job_json(const print_job_row& j, std::chrono::minutes offset) {
  std::string number;
  bool reprint = false;
  if (auto content = slip::decode(j.kind, j.content))
    if (const auto* c = std::get_if<slip::slip_content>(&*content)) {
      number = c->slip_number;
      reprint = c->reprint;
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

bool preprinted(const print_job_row& job) {
  const auto content = slip::decode(job.kind, job.content);
  const auto* slip = content ? std::get_if<slip::slip_content>(&*content) : nullptr;
  return slip && slip->person_id_masked.has_value();
}

void log_issued(const std::string& counter, const issued_slip& s) {
  log::info("slip.issued", "slip issued",
            {{"counter", counter}, {"slip", slip::display_slip_number(s.number)},
             {"visit", std::to_string(s.visit_id)}, {"job", std::to_string(s.job.id)}});
}

}  // namespace ravao
