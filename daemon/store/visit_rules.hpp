#pragma once
// The visit rules (docs/architecture.md, "Visits") as one pure function: what
// a scan does to the visits, given what the store knows of them. No SQL, no
// clock, no I/O: the writer (store/writer.hpp) gathers a visit_state with its
// queries, calls decide(), and carries out the effects in the scan's
// transaction. Every rule and edge is unit-tested without SQLite
// (tests/daemon/store/visit_rules_test.cpp).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "payload/classify.hpp"
#include "store/store.hpp"

namespace ravao {

// The last effective scan of one person (or payload) at one counter, for the
// duplicate window. The store keeps these in memory, seeded at open from the
// newest records of this boot only, so every entry's CLOCK_BOOTTIME is
// comparable with a scan of this boot.
struct recent_scan {
  std::int64_t boottime_ns = 0;
  std::int64_t visit_id = 0;  // the visit the scan opened, closed or extended; 0: none
};

}  // namespace ravao

namespace ravao::visit_rules {

// What the rules look at in a scan.
struct scan_facts {
  counter_mode mode = counter_mode::toggle;
  bool identified = false;  // the payload names a person (a person_key exists)
  payload_kind kind = payload_kind::opaque;
  // ravao_slip only: the slip number's check digit holds (the writer then
  // looked the slip up, visit_state::slip).
  bool slip_number_valid = false;
  std::int64_t boottime_ns = 0;
};

// A slip we issued, found by the sequence a returned slip carries.
struct issued_slip_ref {
  std::int64_t visit_id = 0;  // the visit it was issued for; 0: none
};

// What the store knows that the rules need. Which fields a scan's rules read
// (the writer looks up only those):
//   every scan                      last_scan (memory, no query)
//   identified, mode exit           open_anywhere
//   identified, mode entry/toggle   open_here
//   ravao_slip with a valid number  slip
struct visit_state {
  // The last effective scan of the same person (or, without identity, the
  // same payload) at the same counter, in this boot.
  std::optional<recent_scan> last_scan;
  std::optional<std::int64_t> open_here;    // the person's open visit at this counter
  std::vector<std::int64_t> open_anywhere;  // every open visit of the person at the site, oldest first
  std::optional<issued_slip_ref> slip;      // nullopt: no slip has that sequence
};

// One thing the writer does, in order.
struct effect {
  enum class action {
    count_duplicate,     // +1 duplicate on visit_id (if any) and on the counter; no record
    open_visit,          // a new visit at this counter and its visit_opened record
    extend_visit,        // visit_id's last scan moves to now (a rescan); no record
    close_visit,         // visit_id closed by this scan: a visit_closed record, close_reason
    exit_without_entry,  // a visit closed without an opening, and its visit_closed record
    return_slip,         // a slip_returned record linked to visit_id; the slip is marked returned
    record_scan,         // one "scan" record
    record_command,      // one "command" record
  };
  action what = action::record_scan;
  std::int64_t visit_id = 0;
  std::string_view close_reason;  // close_visit, exit_without_entry: "scan", "exit_without_entry"

  friend bool operator==(const effect&, const effect&) = default;
};

struct decision {
  scan_effect outcome = scan_effect::event_recorded;  // what the scan did, as reported to the caller
  std::vector<effect> effects;
  // Flags the scan's records carry besides the payload's own:
  // "bad_slip_check_digit", "unknown_slip".
  std::vector<std::string_view> flags;
  // Whether the scan becomes the last effective scan for the duplicate
  // window (every scan but a duplicate).
  bool remember = true;
};

// Whether a scan at `boottime_ns` repeats `last` within `window` (0: off).
// A last scan later than now (CLOCK_BOOTTIME went backwards: another boot)
// is never a duplicate; the store seeds only this boot's scans anyway.
bool is_duplicate(const std::optional<recent_scan>& last, std::int64_t boottime_ns,
                  std::chrono::milliseconds window);

// The rules, in the order they apply:
//   1. a repeat within the duplicate window is counted, nothing else;
//   2. a person at an exit counter closes every open visit (none: an exit
//      without entry); at an entry counter opens one, or extends the one open
//      here; at a toggle counter closes the one open here, else opens one;
//   3. a ravao slip we issued is returned (bad check digit or unknown slip:
//      a flagged scan record);
//   4. a staff command is a command record, anything else a scan record.
decision decide(const scan_facts& scan, const visit_state& state, std::chrono::milliseconds duplicate_window);

}  // namespace ravao::visit_rules
