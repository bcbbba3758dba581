#pragma once
// UTC calendar dates from milliseconds since the epoch and back, in 64-bit
// arithmetic (C++20 civil dates), never through time_t. Debian 12's armhf
// ABI has a 32-bit time_t: gmtime_r, timegm and strftime of a time_t fail or
// wrap after 2038-01-19T03:14:07Z there (docs/cross-build.md "The year
// 2038"). Every date ravao formats or parses goes through here instead.

#include <cstdint>
#include <optional>
#include <string>

namespace ravao {

struct utc_fields {
  int year = 1970;  // 0..9999
  unsigned month = 1, day = 1;  // 1..12, 1..31
  unsigned hour = 0, minute = 0, second = 0, millisecond = 0;
};

// The UTC date and time of `wall_ms` (floor: -1 ms is 1969-12-31T23:59:59.999).
// nullopt outside the years 0..9999, which no four-digit format can show.
std::optional<utc_fields> utc_of(std::int64_t wall_ms);

// Milliseconds since the epoch of a UTC date and time; nullopt when it is not
// a date (2041-02-29, month 13) or a field is out of range. second may be 60
// (a leap second, as HTTP dates allow): it counts as the next minute's 0.
std::optional<std::int64_t> utc_ms(int year, unsigned month, unsigned day, unsigned hour, unsigned minute,
                                   unsigned second);

// "2040-02-29T23:59:59.123Z"; "<ms> ms" when utc_of cannot show it.
std::string format_iso_utc_ms(std::int64_t wall_ms);

// "2040-02-29T23:59:59Z" (ISO 8601 extended, whole seconds); same fallback.
std::string format_iso_utc(std::int64_t wall_ms);

}  // namespace ravao
