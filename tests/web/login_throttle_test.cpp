// Login throttling (web/auth/login_throttle.hpp): growing delays per account
// and per address, forgetting, bounded memory, and the events it logs. The
// time is injected: nothing here waits.

#include <boost/test/unit_test.hpp>

#include <chrono>

#include "support/log_capture.hpp"
#include "web/auth/login_throttle.hpp"

using namespace std::chrono_literals;
using ravao::web::login_throttle;
using ravao::web::throttle_policy;
using time_point = login_throttle::clock::time_point;

namespace {

const time_point t0 = time_point{} + 1000h;

void fail_times(login_throttle& t, int n, std::string_view user, std::string_view address, time_point at) {
  for (int i = 0; i < n; ++i) t.failed(user, address, at);
}

}  // namespace

BOOST_AUTO_TEST_CASE(three_failures_are_free_then_the_delay_doubles_up_to_fifteen_minutes) {
  login_throttle t;
  fail_times(t, 3, "alice", "10.0.0.1", t0);
  BOOST_TEST(!t.check("alice", "10.0.0.1", t0).has_value());

  time_point now = t0;
  auto expected = std::chrono::seconds(1);
  for (int failure = 4; failure <= 20; ++failure) {
    t.failed("alice", "10.0.0.1", now);
    const auto wait = t.check("alice", "10.0.0.1", now);
    BOOST_TEST_REQUIRE(wait.has_value(), "failure " << failure);
    BOOST_TEST(std::chrono::duration_cast<std::chrono::seconds>(*wait).count() == expected.count(),
               "failure " << failure);
    // Just before the delay ends: still refused; at its end: allowed.
    BOOST_TEST(t.check("alice", "10.0.0.1", now + expected - 1ms).has_value());
    now += expected;
    BOOST_TEST(!t.check("alice", "10.0.0.1", now).has_value());
    expected = std::min<std::chrono::seconds>(expected * 2, 15min);
  }
  BOOST_TEST(expected == 15min);
}

BOOST_AUTO_TEST_CASE(a_wait_is_whole_seconds_rounded_up) {
  login_throttle t;
  fail_times(t, 4, "alice", "10.0.0.1", t0);
  const auto wait = t.check("alice", "10.0.0.1", t0 + 500ms);  // 0.5 s left
  BOOST_TEST_REQUIRE(wait.has_value());
  BOOST_TEST((*wait == 1s));
}

BOOST_AUTO_TEST_CASE(an_account_is_locked_from_every_address_and_other_accounts_are_not) {
  login_throttle t;
  // Guesses at alice's password from four machines.
  for (const char* address : {"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"}) t.failed("alice", address, t0);
  BOOST_TEST(t.check("alice", "10.0.0.9", t0).has_value());
  BOOST_TEST(!t.check("bao", "10.0.0.1", t0).has_value());
}

BOOST_AUTO_TEST_CASE(an_address_guessing_across_many_accounts_is_locked_for_every_account) {
  login_throttle t;
  // One guess each at eleven accounts: no account is over its allowance,
  // the address is (ten free).
  for (int i = 0; i < 10; ++i) t.failed("user" + std::to_string(i), "10.0.0.66", t0);
  BOOST_TEST(!t.check("chi", "10.0.0.66", t0).has_value());
  t.failed("user10", "10.0.0.66", t0);
  BOOST_TEST(t.check("chi", "10.0.0.66", t0).has_value());
  BOOST_TEST(!t.check("chi", "10.0.0.67", t0).has_value());
}

BOOST_AUTO_TEST_CASE(a_success_forgets_the_accounts_failures_but_not_the_addresss) {
  login_throttle t;
  fail_times(t, 11, "alice", "10.0.0.1", t0);
  BOOST_TEST(t.check("alice", "10.0.0.2", t0).has_value());
  t.succeeded("alice", "10.0.0.1");
  BOOST_TEST(!t.check("alice", "10.0.0.2", t0).has_value());
  BOOST_TEST(t.check("alice", "10.0.0.1", t0).has_value());  // the address's eleven failures stand
}

BOOST_AUTO_TEST_CASE(failures_are_forgotten_after_a_quiet_hour) {
  login_throttle t;
  fail_times(t, 20, "alice", "10.0.0.1", t0);
  BOOST_TEST(t.check("alice", "10.0.0.1", t0 + 14min).has_value());
  BOOST_TEST(!t.check("alice", "10.0.0.1", t0 + 1h).has_value());
  // Forgotten, not just waited out: the next failures are free again.
  fail_times(t, 3, "alice", "10.0.0.1", t0 + 1h);
  BOOST_TEST(!t.check("alice", "10.0.0.1", t0 + 1h).has_value());
  BOOST_TEST(t.tracked() == 2u);
}

BOOST_AUTO_TEST_CASE(memory_is_bounded_and_the_least_recently_failed_keys_go_first) {
  throttle_policy p;
  p.max_entries = 6;
  login_throttle t(p);
  fail_times(t, 5, "alice", "10.0.0.1", t0);  // two keys, alice locked
  BOOST_TEST(t.check("alice", "10.0.0.1", t0).has_value());
  for (int i = 0; i < 2; ++i) t.failed("user" + std::to_string(i), "10.0.1." + std::to_string(i), t0 + 1s);
  BOOST_TEST(t.tracked() == 6u);
  BOOST_TEST(t.check("alice", "10.0.0.1", t0 + 1s).has_value());  // still held
  // A flood of new names and addresses: the table stays at six keys, and
  // alice's old entry is among those evicted.
  for (int i = 0; i < 1000; ++i) t.failed("flood" + std::to_string(i), "10.1." + std::to_string(i), t0 + 2s);
  BOOST_TEST(t.tracked() == 6u);
  BOOST_TEST(!t.check("alice", "10.0.0.1", t0 + 2s).has_value());
}

BOOST_AUTO_TEST_CASE(failures_and_refusals_are_logged_by_stable_names) {
  ravao::test::log_capture log;
  login_throttle t;
  fail_times(t, 4, "alice", "10.0.0.1", t0);
  BOOST_TEST(t.check("alice", "10.0.0.1", t0).has_value());
  const std::string text = log.text();
  BOOST_TEST(text.find("web.login_failed") != std::string::npos, text);
  BOOST_TEST(text.find("user=alice") != std::string::npos, text);
  BOOST_TEST(text.find("address=10.0.0.1") != std::string::npos, text);
  BOOST_TEST(text.find("failures=4") != std::string::npos, text);
  BOOST_TEST(text.find("web.login_throttled") != std::string::npos, text);
  BOOST_TEST(text.find("wait_s=1") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(a_name_typed_with_control_characters_is_logged_escaped) {
  ravao::test::log_capture log;
  login_throttle t;
  t.failed("alice\nwarning fake.event: x", "10.0.0.1", t0);
  const std::string text = log.text();
  BOOST_TEST(text.find("\nwarning fake.event") == std::string::npos, text);
}
