#include "store/visit_rules.hpp"

namespace ravao::visit_rules {
namespace {

using action = effect::action;

decision identified(const scan_facts& scan, const visit_state& state) {
  if (scan.mode == counter_mode::exit) {
    if (state.open_anywhere.empty())
      return {scan_effect::exit_without_entry, {{action::exit_without_entry, 0, "exit_without_entry"}}, {}, true};
    decision d{scan_effect::visit_closed, {}, {}, true};
    for (const std::int64_t id : state.open_anywhere) d.effects.push_back({action::close_visit, id, "scan"});
    return d;
  }
  if (!state.open_here) return {scan_effect::visit_opened, {{action::open_visit, 0, {}}}, {}, true};
  if (scan.mode == counter_mode::entry)
    return {scan_effect::rescan, {{action::extend_visit, *state.open_here, {}}}, {}, true};
  return {scan_effect::visit_closed, {{action::close_visit, *state.open_here, "scan"}}, {}, true};
}

decision event(const scan_facts& scan, const visit_state& state) {
  decision d{scan_effect::event_recorded, {}, {}, true};
  if (scan.kind == payload_kind::ravao_slip) {
    if (!scan.slip_number_valid) {
      d.flags.push_back("bad_slip_check_digit");
    } else if (state.slip) {
      d.outcome = scan_effect::slip_returned;
      d.effects.push_back({action::return_slip, state.slip->visit_id, {}});
      return d;
    } else {
      d.flags.push_back("unknown_slip");
    }
  }
  if (scan.kind == payload_kind::ravao_command) {
    d.outcome = scan_effect::command_recorded;
    d.effects.push_back({action::record_command, 0, {}});
  } else {
    d.effects.push_back({action::record_scan, 0, {}});
  }
  return d;
}

}  // namespace

bool is_duplicate(const std::optional<recent_scan>& last, std::int64_t boottime_ns,
                  std::chrono::milliseconds window) {
  if (!last || window.count() <= 0) return false;
  const std::int64_t since_ns = boottime_ns - last->boottime_ns;
  return since_ns >= 0 && since_ns < std::chrono::nanoseconds(window).count();
}

decision decide(const scan_facts& scan, const visit_state& state, std::chrono::milliseconds duplicate_window) {
  if (is_duplicate(state.last_scan, scan.boottime_ns, duplicate_window))
    return {scan_effect::duplicate, {{action::count_duplicate, state.last_scan->visit_id, {}}}, {}, false};
  return scan.identified ? identified(scan, state) : event(scan, state);
}

}  // namespace ravao::visit_rules
