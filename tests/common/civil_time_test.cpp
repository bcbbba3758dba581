// UTC civil dates without time_t (common/civil_time.*; docs/cross-build.md
// "The year 2038"): the same results on every target, 32-bit armhf under
// qemu-user included (scripts/cross-build.sh armhf --tests), for dates past
// 2038-01-19T03:14:07Z, where a 32-bit time_t ends.

#include <boost/test/unit_test.hpp>

#include <cstdint>

#include "common/civil_time.hpp"

using ravao::format_iso_utc;
using ravao::format_iso_utc_ms;
using ravao::utc_ms;
using ravao::utc_of;

namespace {

constexpr std::int64_t second = 1000;
constexpr std::int64_t day = 86'400 * second;
// 2038-01-19T03:14:08Z: 2^31 seconds, one past the last 32-bit time_t.
constexpr std::int64_t past_int32_ms = 2'147'483'648 * second;
// 2040-02-29T12:34:56Z, a leap day past 2038.
constexpr std::int64_t leap_day_2040_ms = 2'214'131'696 * second;

}  // namespace

BOOST_AUTO_TEST_CASE(dates_past_2038_are_formatted) {
  BOOST_TEST(format_iso_utc_ms(past_int32_ms - second) == "2038-01-19T03:14:07.000Z");
  BOOST_TEST(format_iso_utc_ms(past_int32_ms) == "2038-01-19T03:14:08.000Z");
  BOOST_TEST(format_iso_utc_ms(leap_day_2040_ms + 789) == "2040-02-29T12:34:56.789Z");
  BOOST_TEST(format_iso_utc(leap_day_2040_ms + 789) == "2040-02-29T12:34:56Z");
  BOOST_TEST(format_iso_utc_ms(4'102'444'800 * second) == "2100-01-01T00:00:00.000Z");
}

BOOST_AUTO_TEST_CASE(dates_past_2038_are_parsed) {
  BOOST_TEST(*utc_ms(2038, 1, 19, 3, 14, 8) == past_int32_ms);
  BOOST_TEST(*utc_ms(2040, 2, 29, 12, 34, 56) == leap_day_2040_ms);
  BOOST_TEST(*utc_ms(2106, 2, 7, 6, 28, 16) == 4'294'967'296 * second);  // past a 32-bit unsigned count too
}

BOOST_AUTO_TEST_CASE(every_day_from_2037_to_2041_round_trips) {
  const std::int64_t from = *utc_ms(2037, 1, 1, 0, 0, 0), to = *utc_ms(2042, 1, 1, 0, 0, 0);
  int days = 0;
  for (std::int64_t t = from + 45'296'789; t < to; t += day, ++days) {  // 12:34:56.789 each day
    const auto f = utc_of(t);
    BOOST_TEST_REQUIRE(f.has_value());
    BOOST_TEST(f->hour == 12u);
    BOOST_TEST(f->millisecond == 789u);
    BOOST_TEST(*utc_ms(f->year, f->month, f->day, f->hour, f->minute, f->second) + f->millisecond == t);
  }
  BOOST_TEST(days == 365 * 4 + 366);  // 2037 to 2041, 2040 a leap year
}

BOOST_AUTO_TEST_CASE(instants_before_the_epoch_round_down) {
  BOOST_TEST(format_iso_utc_ms(-1) == "1969-12-31T23:59:59.999Z");
  BOOST_TEST(format_iso_utc_ms(-day) == "1969-12-31T00:00:00.000Z");
  BOOST_TEST(*utc_ms(1969, 12, 31, 23, 59, 59) == -second);
}

BOOST_AUTO_TEST_CASE(what_is_not_a_date_is_refused) {
  BOOST_TEST(!utc_ms(2041, 2, 29, 0, 0, 0));
  BOOST_TEST(!utc_ms(2040, 13, 1, 0, 0, 0));
  BOOST_TEST(!utc_ms(2040, 0, 1, 0, 0, 0));
  BOOST_TEST(!utc_ms(2040, 4, 31, 0, 0, 0));
  BOOST_TEST(!utc_ms(2040, 1, 1, 24, 0, 0));
  BOOST_TEST(!utc_ms(2040, 1, 1, 0, 60, 0));
  BOOST_TEST(!utc_ms(2040, 1, 1, 0, 0, 61));
  BOOST_TEST(!utc_ms(10000, 1, 1, 0, 0, 0));
  // A leap second counts as the next minute's first.
  BOOST_TEST(*utc_ms(2040, 6, 30, 23, 59, 60) == *utc_ms(2040, 7, 1, 0, 0, 0));
}

BOOST_AUTO_TEST_CASE(years_no_four_digit_format_shows_fall_back_to_milliseconds) {
  const std::int64_t year_10000 = *utc_ms(9999, 12, 31, 23, 59, 59) + 1000;
  BOOST_TEST(format_iso_utc_ms(year_10000 - 1) == "9999-12-31T23:59:59.999Z");
  BOOST_TEST(!utc_of(year_10000));
  BOOST_TEST(format_iso_utc_ms(year_10000) == "253402300800000 ms");
  BOOST_TEST(format_iso_utc_ms(INT64_MAX) == "9223372036854775807 ms");
  BOOST_TEST(format_iso_utc(INT64_MIN) == "-9223372036854775808 ms");
  BOOST_TEST(format_iso_utc_ms(*utc_ms(0, 1, 1, 0, 0, 0)) == "0000-01-01T00:00:00.000Z");
}
