#pragma once
// ISO 8601 weeks ("2026-W49") as periods of Vietnam time: the weekly report's
// week runs from Monday 00:00 to the next Monday 00:00 at UTC+7 (Vietnam has
// one time zone and no daylight saving), so a visit at 23:30 on Sunday in Đắk
// Lắk counts in the week and day its staff saw it, not in UTC's.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace ravao::receiver {

inline constexpr std::int64_t vietnam_utc_offset_ms = 7 * 3'600'000;
inline constexpr std::int64_t day_ms = 86'400'000;

struct iso_week {
  int year = 0;  // the ISO week-year, which differs from the calendar year around 1 January
  int week = 0;  // 1 to 52 or 53
  std::int64_t start_ms = 0;  // Monday 00:00 UTC+7, as ms since 1970 UTC
  std::int64_t end_ms = 0;    // start_ms + 7 days (exclusive)

  std::string name() const;  // "2026-W49"
  // The local (UTC+7) calendar date of day 0..6 of the week, "2026-11-30".
  std::string date(int day) const;
};

// "2026-W49" (or "2026W49"); refuses week 53 of a year that has 52.
result<iso_week> parse_iso_week(std::string_view text);
// The week that holds `ms` (UTC+7).
iso_week week_of(std::int64_t ms);
// Days since 1970-01-01 of the local (UTC+7) date of `ms`.
std::int64_t local_day(std::int64_t ms);
// "2026-11-30" of a local day number.
std::string local_date(std::int64_t day);

}  // namespace ravao::receiver

namespace ravao::receiver {

// "2026-12-07T00:00:00Z" (UTC, seconds optional: "2026-12-07T00:00Z") -> ms since 1970.
result<std::int64_t> parse_utc_time(std::string_view text);

}  // namespace ravao::receiver
