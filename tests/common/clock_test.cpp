// The wall clock (common/clock.*). clock.cpp reads it with a 64-bit time_t
// on every target (on Debian 12 armhf, clock_gettime64 instead of the 32-bit
// call that fails after 2038; docs/cross-build.md "The year 2038"): today it
// must agree with the C++ library's own clock, which still uses the ABI's.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>

#include "common/civil_time.hpp"
#include "common/clock.hpp"

BOOST_AUTO_TEST_CASE(the_wall_clock_agrees_with_the_system_clock) {
  const auto library_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count();
  const std::int64_t ours = ravao::now().wall_ms;
  // Not a timing bound: the two reads are microseconds apart; an hour only
  // tolerates a clock step between them.
  BOOST_TEST(std::llabs(ours - library_ms) < 3'600'000);
  BOOST_TEST(ravao::utc_of(ours).has_value());
}

BOOST_AUTO_TEST_CASE(local_time_past_2038_is_formatted) {
  // 2040-02-29T12:34:56Z at UTC+07:00 (Vietnam).
  BOOST_TEST(ravao::format_local(2'214'131'696'000, std::chrono::minutes(7 * 60)) == "2040-02-29 19:34:56");
  BOOST_TEST(ravao::local_day(2'214'131'696'000, std::chrono::minutes(12 * 60)) == 25'627);  // 2040-03-01 local
}
