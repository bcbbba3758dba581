// Console sessions (web/auth/session_table.hpp): ids and CSRF tokens, idle
// and absolute timeouts, logout, a disabled user's sessions, the bound. The
// time is injected: nothing here waits.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <set>

#include "web/auth/csrf.hpp"
#include "web/auth/session_table.hpp"

using namespace std::chrono_literals;
using namespace ravao::web;
using time_point = session_table::clock::time_point;

namespace {

const time_point t0 = time_point{} + 1000h;

account staff(std::string name, std::vector<std::string> counters = {"quay-1"}) {
  account a;
  a.name = std::move(name);
  a.role = role::staff;
  a.counters = std::move(counters);
  return a;
}

bool lowercase_hex(std::string_view s) {
  return std::ranges::all_of(s, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_session_has_a_256_bit_id_and_its_own_256_bit_csrf_token) {
  session_table t;
  const session s = t.create(staff("alice", {"quay-1", "quay-2"}), "10.0.0.1", t0);
  BOOST_TEST(s.id.size() == 64u);
  BOOST_TEST(s.csrf.size() == 64u);
  BOOST_TEST(lowercase_hex(s.id));
  BOOST_TEST(lowercase_hex(s.csrf));
  BOOST_TEST(s.id != s.csrf);

  const auto found = t.find(s.id, t0 + 1s);
  BOOST_TEST_REQUIRE(found.has_value());
  BOOST_TEST(found->user == "alice");
  BOOST_TEST(found->counters.size() == 2u);
  BOOST_TEST(found->address == "10.0.0.1");
  BOOST_TEST(csrf_token_valid(*found, s.csrf));
  BOOST_TEST(!csrf_token_valid(*found, ""));
  BOOST_TEST(!csrf_token_valid(*found, s.id));
  BOOST_TEST(!csrf_token_valid(*found, s.csrf.substr(0, 63)));
}

BOOST_AUTO_TEST_CASE(every_login_makes_a_new_id_and_an_id_a_browser_brings_is_not_adopted) {
  session_table t;
  std::set<std::string> ids;
  for (int i = 0; i < 200; ++i) ids.insert(t.create(staff("alice"), "10.0.0.1", t0).id);
  BOOST_TEST(ids.size() == 200u);
  // An id of the attacker's choosing, well formed, is simply unknown.
  const std::string planted(64, 'a');
  BOOST_TEST(!t.find(planted, t0).has_value());
  BOOST_TEST(!ids.contains(planted));
}

BOOST_AUTO_TEST_CASE(malformed_ids_are_not_found) {
  session_table t;
  const session s = t.create(staff("alice"), "10.0.0.1", t0);
  std::string upper = s.id;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& bad : {std::string(), s.id.substr(0, 63), s.id + "0", upper, " " + s.id.substr(1)})
    BOOST_TEST(!t.find(bad, t0).has_value(), bad);
  BOOST_TEST(t.find(s.id, t0).has_value());
}

BOOST_AUTO_TEST_CASE(an_idle_session_ends_and_use_keeps_it_alive) {
  session_table t(session_policy{.idle = 15min, .absolute = 12h, .max_sessions = 16});
  const session s = t.create(staff("alice"), "10.0.0.1", t0);
  // Used every 14 minutes for two hours: alive throughout.
  time_point now = t0;
  for (int i = 0; i < 8; ++i) {
    now += 14min;
    BOOST_TEST_REQUIRE(t.find(s.id, now).has_value());
  }
  BOOST_TEST(!t.find(s.id, now + 15min).has_value());
  BOOST_TEST(t.size() == 0u);  // removed, not just hidden
}

BOOST_AUTO_TEST_CASE(a_session_ends_at_its_absolute_limit_however_much_it_is_used) {
  session_table t(session_policy{.idle = 15min, .absolute = 1h, .max_sessions = 16});
  const session s = t.create(staff("alice"), "10.0.0.1", t0);
  for (auto at = t0 + 10min; at < t0 + 1h; at += 10min) BOOST_TEST_REQUIRE(t.find(s.id, at).has_value());
  BOOST_TEST(!t.find(s.id, t0 + 1h).has_value());
}

BOOST_AUTO_TEST_CASE(expire_drops_only_the_timed_out_sessions) {
  session_table t(session_policy{.idle = 15min, .absolute = 12h, .max_sessions = 16});
  const session old = t.create(staff("alice"), "10.0.0.1", t0);
  const session fresh = t.create(staff("bao"), "10.0.0.2", t0 + 10min);
  BOOST_TEST(t.expire(t0 + 16min) == 1u);
  BOOST_TEST(!t.find(old.id, t0 + 16min).has_value());
  BOOST_TEST(t.find(fresh.id, t0 + 16min).has_value());
}

BOOST_AUTO_TEST_CASE(logout_ends_one_session_and_disabling_a_user_ends_all_theirs) {
  session_table t;
  const session a1 = t.create(staff("alice"), "10.0.0.1", t0);
  const session a2 = t.create(staff("alice"), "10.0.0.2", t0);
  const session b = t.create(staff("bao"), "10.0.0.3", t0);
  BOOST_TEST(t.remove(a1.id));
  BOOST_TEST(!t.remove(a1.id));
  BOOST_TEST(!t.find(a1.id, t0).has_value());
  BOOST_TEST(t.find(a2.id, t0).has_value());

  t.create(staff("alice"), "10.0.0.1", t0);
  BOOST_TEST(t.remove_user("alice") == 2u);
  BOOST_TEST(!t.find(a2.id, t0).has_value());
  BOOST_TEST(t.find(b.id, t0).has_value());
  BOOST_TEST(t.size() == 1u);
}

BOOST_AUTO_TEST_CASE(the_table_is_bounded_and_the_least_recently_used_session_goes) {
  session_table t(session_policy{.idle = 15min, .absolute = 12h, .max_sessions = 3});
  const session s1 = t.create(staff("u1"), "a", t0);
  const session s2 = t.create(staff("u2"), "a", t0 + 1s);
  const session s3 = t.create(staff("u3"), "a", t0 + 2s);
  BOOST_TEST(t.find(s1.id, t0 + 3s).has_value());  // s1 used: s2 is now the least recent
  const session s4 = t.create(staff("u4"), "a", t0 + 4s);
  BOOST_TEST(t.size() == 3u);
  BOOST_TEST(t.find(s1.id, t0 + 5s).has_value());
  BOOST_TEST(!t.find(s2.id, t0 + 5s).has_value());
  BOOST_TEST(t.find(s3.id, t0 + 5s).has_value());
  BOOST_TEST(t.find(s4.id, t0 + 5s).has_value());
  for (int i = 0; i < 100; ++i) t.create(staff("flood"), "b", t0 + 6s);
  BOOST_TEST(t.size() == 3u);
}

BOOST_AUTO_TEST_CASE(secrets_compare_equal_only_when_identical) {
  BOOST_TEST(secret_equal("abc", "abc"));
  BOOST_TEST(!secret_equal("abc", "abd"));
  BOOST_TEST(!secret_equal("abc", "abcd"));
  BOOST_TEST(secret_equal("", ""));
}
