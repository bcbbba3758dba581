// The receiver's dates past 2038-01-19T03:14:07Z, where a 32-bit time_t
// (Debian 12 armhf) ends: `iso_utc` (receiver/report.cpp; the records,
// stats, fleet and trace listings) and the weekly report's ISO weeks and
// --as-of times (receiver/iso_week.cpp). Natively here, and as a 32-bit ARM
// program under qemu-arm in tests/cross/armhf_2038.sh (docs/cross-build.md
// "The year 2038"): before the fix, iso_utc showed 2040-02-29T12:34:56Z as
// 1904-01-24 on armhf.

#include <boost/test/unit_test.hpp>

#include <cstdint>

#include "receiver/iso_week.hpp"
#include "receiver/report.hpp"

using namespace ravao::receiver;

namespace {

constexpr std::int64_t second = 1000;
// 2038-01-19T03:14:08Z: 2^31 seconds, one past the last 32-bit time_t.
constexpr std::int64_t past_int32_ms = 2'147'483'648 * second;
// 2040-02-29T12:34:56Z, a leap day past 2038 (a Wednesday, 19:34 in Vietnam).
constexpr std::int64_t leap_day_2040_ms = 2'214'131'696 * second;
// 2106-02-07T06:28:16Z: 2^32 seconds, past a 32-bit unsigned count too.
constexpr std::int64_t past_uint32_ms = 4'294'967'296 * second;

}  // namespace

BOOST_AUTO_TEST_CASE(iso_utc_shows_dates_past_2038) {
  BOOST_TEST(iso_utc(past_int32_ms - second) == "2038-01-19T03:14:07.000Z");
  BOOST_TEST(iso_utc(past_int32_ms) == "2038-01-19T03:14:08.000Z");
  BOOST_TEST(iso_utc(leap_day_2040_ms + 789) == "2040-02-29T12:34:56.789Z");
  BOOST_TEST(iso_utc(past_uint32_ms) == "2106-02-07T06:28:16.000Z");
  BOOST_TEST(iso_utc(std::nullopt) == "unknown");
}

BOOST_AUTO_TEST_CASE(as_of_times_past_2038_are_parsed) {
  BOOST_TEST(*parse_utc_time("2038-01-19T03:14:08Z") == past_int32_ms);
  BOOST_TEST(*parse_utc_time("2040-02-29T12:34:56Z") == leap_day_2040_ms);
  BOOST_TEST(*parse_utc_time("2106-02-07T06:28Z") == past_uint32_ms - 16 * second);
  BOOST_TEST(!parse_utc_time("2041-02-29T00:00:00Z").has_value());
}

BOOST_AUTO_TEST_CASE(weeks_past_2038_hold_their_days) {
  // The week of 2^31 s: 2038-W03, Monday 2038-01-18 00:00 UTC+7.
  const auto w2038 = week_of(past_int32_ms);
  BOOST_TEST(w2038.name() == "2038-W03");
  BOOST_TEST(w2038.start_ms == 2'147'360'400'000);
  BOOST_TEST(w2038.date(1) == "2038-01-19");

  const auto w2040 = week_of(leap_day_2040_ms);
  BOOST_TEST(w2040.name() == "2040-W09");
  BOOST_TEST(w2040.start_ms == 2'213'888'400'000);
  BOOST_TEST(w2040.date(2) == "2040-02-29");
  BOOST_TEST(w2040.date(3) == "2040-03-01");
  BOOST_TEST(local_date(local_day(leap_day_2040_ms)) == "2040-02-29");

  const auto w2106 = week_of(past_uint32_ms);  // a Sunday: the week's last day
  BOOST_TEST(w2106.name() == "2106-W05");
  BOOST_TEST(w2106.start_ms == 4'294'400'400'000);
  BOOST_TEST(w2106.date(6) == "2106-02-07");
}

BOOST_AUTO_TEST_CASE(iso_weeks_across_2038_are_parsed) {
  // 2037 has 53 ISO weeks; the last one ends on 2038-01-03.
  const auto w53 = parse_iso_week("2037-W53");
  BOOST_TEST_REQUIRE(w53.has_value());
  BOOST_TEST(w53->start_ms == 2'145'546'000'000);
  BOOST_TEST(w53->date(6) == "2038-01-03");
  // 2040 has 52: its 31 December is in 2041-W01.
  BOOST_TEST(!parse_iso_week("2040-W53").has_value());
  BOOST_TEST(week_of(*parse_utc_time("2040-12-31T12:00:00Z")).name() == "2041-W01");
  BOOST_TEST(parse_iso_week("2040-W09")->start_ms == 2'213'888'400'000);
}
