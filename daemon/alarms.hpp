#pragma once
// The alarms ravaod raises: conditions that need a person (docs/control.md,
// "Alarms"). Each has a stable code, an English message for logs, STATUS=
// and ravaoctl, and, for the counter console, a Vietnamese sentence and what
// staff should do ("Máy in hết giấy" / "thay cuộn giấy"). The Vietnamese text
// is the catalogue's, per code; the English message carries the details
// (ids, sizes, errors).
//
// Alarms are not stored: app recomputes them from the services' state each
// time status is asked for, so an alarm clears by itself when its condition
// does. Pure.

#include <span>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace ravao {

enum class alarm_code {
  store_unavailable,      // the store refuses writes: scans wait in memory
  store_recovered,        // a corrupt store was moved aside at this start
  store_size,             // the store is past [store] alarm_megabytes
  scanner_offline,        // a counter's scanner is not connected (or still starting)
  scanner_error,          // a counter's scanner cannot be used
  printer_offline,        // a printer's connection is down
  printer_error,          // a printer's device cannot be used
  printer_paper_out,      // the printer reports paper out: printing is held
  printer_cover_open,     // the printer reports its cover open: printing is held
  printer_not_answering,  // the printer reports offline or stopped answering status requests
  printer_fault,          // the printer reports an error (cutter, mechanism)
  sync_unavailable,       // sync could not start (a certificate, a key): records wait
  sync_failing,           // uploads fail and are retried: records wait
  sync_conflict,          // the server holds other content for a record (HTTP 409)
  sync_refused,           // the server refused records for good (dead letters)
  sync_held,              // the server does not know a record type: those records are kept and sent again
  clock_unsynchronised,   // no synchronised clock: uploads wait for it
  privacy_no_key,         // no [sync] public_key: names and ID numbers are not kept
};

// Every code, in declaration order (for tests and docs).
std::span<const alarm_code> all_alarm_codes();

// The stable dotted code ("printer.paper_out").
std::string_view to_string(alarm_code c);

// What staff read: what happened and what to do, in Vietnamese.
struct alarm_text {
  std::string_view message;
  std::string_view action;
};
alarm_text staff_text(alarm_code c);

struct status_alarm {
  alarm_code code;
  std::string message;  // English, with the details
  std::string device;   // the scanner or printer it is about; empty for the site
  std::string counter;  // the counter it is about (a printer: the first counter using it); may be empty
};

// {"code","message","device","counter","message_vi","action_vi"}.
boost::json::object to_json(const status_alarm& a);

}  // namespace ravao
