// The visit rules as a pure function (store/visit_rules.hpp): every rule and
// edge, without SQLite. store_test pins the same rules through the store.

#include <boost/test/unit_test.hpp>

#include "store/visit_rules.hpp"

using namespace ravao;
using namespace ravao::visit_rules;
using action = effect::action;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t t0 = 5'000'000'000'000;  // a CLOCK_BOOTTIME, ns
constexpr auto window = 5000ms;

scan_facts person_at(counter_mode mode, std::int64_t boottime_ns = t0) {
  return scan_facts{mode, true, payload_kind::cccd, false, boottime_ns};
}

scan_facts event_of(payload_kind kind, bool slip_number_valid = false) {
  return scan_facts{counter_mode::toggle, false, kind, slip_number_valid, t0};
}

std::vector<effect> only(action a, std::int64_t visit = 0, std::string_view reason = {}) {
  return {effect{a, visit, reason}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(identity)

BOOST_AUTO_TEST_CASE(toggle_opens_when_nothing_is_open_here) {
  const auto d = decide(person_at(counter_mode::toggle), {}, window);
  BOOST_TEST((d.outcome == scan_effect::visit_opened));
  BOOST_TEST((d.effects == only(action::open_visit)));
  BOOST_TEST(d.flags.empty());
  BOOST_TEST(d.remember);
}

BOOST_AUTO_TEST_CASE(toggle_closes_the_visit_open_here) {
  visit_state s;
  s.open_here = 7;
  const auto d = decide(person_at(counter_mode::toggle), s, window);
  BOOST_TEST((d.outcome == scan_effect::visit_closed));
  BOOST_TEST((d.effects == only(action::close_visit, 7, "scan")));
  BOOST_TEST(d.remember);
}

BOOST_AUTO_TEST_CASE(entry_opens_then_a_rescan_extends_without_a_record) {
  BOOST_TEST((decide(person_at(counter_mode::entry), {}, window).effects == only(action::open_visit)));
  visit_state s;
  s.open_here = 3;
  const auto d = decide(person_at(counter_mode::entry), s, window);
  BOOST_TEST((d.outcome == scan_effect::rescan));
  BOOST_TEST((d.effects == only(action::extend_visit, 3)));
  BOOST_TEST(d.remember);
}

BOOST_AUTO_TEST_CASE(exit_without_an_open_visit_is_an_exit_without_entry) {
  visit_state s;
  s.open_here = 9;  // an exit counter reads open_anywhere only
  const auto d = decide(person_at(counter_mode::exit), s, window);
  BOOST_TEST((d.outcome == scan_effect::exit_without_entry));
  BOOST_TEST((d.effects == only(action::exit_without_entry, 0, "exit_without_entry")));
}

BOOST_AUTO_TEST_CASE(exit_closes_the_one_open_visit) {
  visit_state s;
  s.open_anywhere = {4};
  const auto d = decide(person_at(counter_mode::exit), s, window);
  BOOST_TEST((d.outcome == scan_effect::visit_closed));
  BOOST_TEST((d.effects == only(action::close_visit, 4, "scan")));
}

BOOST_AUTO_TEST_CASE(exit_closes_every_open_visit_in_order) {
  visit_state s;
  s.open_anywhere = {2, 5, 11};
  const auto d = decide(person_at(counter_mode::exit), s, window);
  BOOST_TEST((d.outcome == scan_effect::visit_closed));
  const std::vector<effect> want{{action::close_visit, 2, "scan"}, {action::close_visit, 5, "scan"},
                                 {action::close_visit, 11, "scan"}};
  BOOST_TEST((d.effects == want));
}

BOOST_AUTO_TEST_CASE(a_person_is_never_a_slip_or_a_command) {
  auto scan = person_at(counter_mode::toggle);
  scan.kind = payload_kind::personal_qr;
  visit_state s;
  s.slip = issued_slip_ref{8};
  BOOST_TEST((decide(scan, s, window).effects == only(action::open_visit)));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(duplicate_window)

BOOST_AUTO_TEST_CASE(a_repeat_inside_the_window_is_counted_on_the_last_visit) {
  visit_state s;
  s.last_scan = recent_scan{t0, 6};
  s.open_here = 6;
  const auto d = decide(person_at(counter_mode::toggle, t0 + 4'999'999'999), s, window);
  BOOST_TEST((d.outcome == scan_effect::duplicate));
  BOOST_TEST((d.effects == only(action::count_duplicate, 6)));
  BOOST_TEST(!d.remember);  // the window runs from the last effective scan
}

BOOST_AUTO_TEST_CASE(the_window_is_half_open) {
  visit_state s;
  s.last_scan = recent_scan{t0, 6};
  s.open_here = 6;
  BOOST_TEST((decide(person_at(counter_mode::toggle, t0), s, window).outcome == scan_effect::duplicate));
  const auto d = decide(person_at(counter_mode::toggle, t0 + 5'000'000'000), s, window);
  BOOST_TEST((d.outcome == scan_effect::visit_closed));
}

BOOST_AUTO_TEST_CASE(a_zero_window_turns_duplicates_off) {
  visit_state s;
  s.last_scan = recent_scan{t0, 6};
  const auto d = decide(person_at(counter_mode::entry), s, 0ms);
  BOOST_TEST((d.outcome == scan_effect::visit_opened));
  BOOST_TEST(!is_duplicate(s.last_scan, t0, 0ms));
}

BOOST_AUTO_TEST_CASE(boottime_going_backwards_is_not_a_duplicate) {
  // A last scan stamped after now belongs to another boot: not comparable.
  visit_state s;
  s.last_scan = recent_scan{t0 + 1'000'000, 6};
  BOOST_TEST((decide(person_at(counter_mode::entry), s, window).outcome == scan_effect::visit_opened));
  BOOST_TEST(!is_duplicate(recent_scan{t0 + 1, 0}, t0, window));
}

BOOST_AUTO_TEST_CASE(an_event_repeat_counts_without_a_visit) {
  visit_state s;
  s.last_scan = recent_scan{t0 - 1000, 0};
  const auto d = decide(event_of(payload_kind::opaque), s, window);
  BOOST_TEST((d.outcome == scan_effect::duplicate));
  BOOST_TEST((d.effects == only(action::count_duplicate, 0)));
}

BOOST_AUTO_TEST_CASE(no_last_scan_no_duplicate) {
  BOOST_TEST(!is_duplicate(std::nullopt, t0, window));
  BOOST_TEST(is_duplicate(recent_scan{t0, 0}, t0, 1ms));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(events)

BOOST_AUTO_TEST_CASE(a_payload_without_identity_is_one_scan_record) {
  for (auto kind : {payload_kind::opaque, payload_kind::bhyt}) {
    const auto d = decide(event_of(kind), {}, window);
    BOOST_TEST((d.outcome == scan_effect::event_recorded));
    BOOST_TEST((d.effects == only(action::record_scan)));
    BOOST_TEST(d.flags.empty());
    BOOST_TEST(d.remember);
  }
}

BOOST_AUTO_TEST_CASE(a_command_is_one_command_record) {
  const auto d = decide(event_of(payload_kind::ravao_command), {}, window);
  BOOST_TEST((d.outcome == scan_effect::command_recorded));
  BOOST_TEST((d.effects == only(action::record_command)));
  BOOST_TEST(d.remember);
}

BOOST_AUTO_TEST_CASE(a_slip_we_issued_is_returned_to_its_visit) {
  visit_state s;
  s.slip = issued_slip_ref{12};
  const auto d = decide(event_of(payload_kind::ravao_slip, true), s, window);
  BOOST_TEST((d.outcome == scan_effect::slip_returned));
  BOOST_TEST((d.effects == only(action::return_slip, 12)));
  BOOST_TEST(d.flags.empty());
}

BOOST_AUTO_TEST_CASE(a_slip_issued_without_a_visit_is_returned_too) {
  visit_state s;
  s.slip = issued_slip_ref{0};
  BOOST_TEST((decide(event_of(payload_kind::ravao_slip, true), s, window).effects == only(action::return_slip, 0)));
}

BOOST_AUTO_TEST_CASE(an_unknown_slip_is_a_flagged_scan) {
  const auto d = decide(event_of(payload_kind::ravao_slip, true), {}, window);
  BOOST_TEST((d.outcome == scan_effect::event_recorded));
  BOOST_TEST((d.effects == only(action::record_scan)));
  BOOST_TEST((d.flags == std::vector<std::string_view>{"unknown_slip"}));
}

BOOST_AUTO_TEST_CASE(a_slip_with_a_bad_check_digit_is_a_flagged_scan) {
  visit_state s;
  s.slip = issued_slip_ref{12};  // not consulted: the number is not valid
  const auto d = decide(event_of(payload_kind::ravao_slip, false), s, window);
  BOOST_TEST((d.outcome == scan_effect::event_recorded));
  BOOST_TEST((d.effects == only(action::record_scan)));
  BOOST_TEST((d.flags == std::vector<std::string_view>{"bad_slip_check_digit"}));
}

BOOST_AUTO_TEST_CASE(a_returned_slip_inside_the_window_is_a_duplicate) {
  visit_state s;
  s.slip = issued_slip_ref{12};
  s.last_scan = recent_scan{t0, 12};
  const auto d = decide(event_of(payload_kind::ravao_slip, true), s, window);
  BOOST_TEST((d.outcome == scan_effect::duplicate));
  BOOST_TEST((d.effects == only(action::count_duplicate, 12)));
}

BOOST_AUTO_TEST_SUITE_END()
