#pragma once
// What goes into a print job (slips, command cards, test pages) and how a
// job is shown to ravaoctl: pure functions of the configuration, used by the
// staff commands scanned at a counter and by the control commands
// (docs/slips.md). Job content is typed (slip/job_content.hpp): the store
// keeps it encoded, slip/render_job.cpp draws it.

#include <boost/json/object.hpp>

#include <chrono>
#include <string>

#include "config/config.hpp"
#include "slip/job_content.hpp"
#include "store/store.hpp"

namespace ravao {

// Civil date and time at the site, "23/11/2026 14:05", as printed on slips;
// empty while the clock is not synchronised (a guess would be printed on a
// legal form: it is left for the pen).
std::string printed_time(const timestamp& at, std::chrono::minutes offset);
// The site's local day, "2026-11-23".
std::string iso_day(const timestamp& at, std::chrono::minutes offset);

// The printer of a counter, or an error in words.
result<const printer_config*> printer_of(const config& cfg, const counter_config& c);

// What a slip printed now at counter `c` says, without its number (the store adds it).
slip::slip_content slip_content_for(const config& cfg, const counter_config& c, const timestamp& at);
slip_request slip_request_for(const config& cfg, const counter_config& c, const printer_config& p,
                              const timestamp& at);
job_request test_page_job(const config& cfg, const counter_config& c, const printer_config& p, const timestamp& at);
job_request card_job(const config& cfg, const counter_config& c, const printer_config& p, const timestamp& at);

// A job as `ravaoctl jobs` shows it (docs/control.md).
boost::json::object job_json(const print_job_row& j, std::chrono::minutes offset);

// Whether a slip job carries the visitor's masked identity (slips.preprint).
bool preprinted(const print_job_row& job);

// The slip.issued log line.
void log_issued(const std::string& counter, const issued_slip& s);

}  // namespace ravao
