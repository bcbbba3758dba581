#include "receiver/iso_week.hpp"

#include <chrono>
#include <cstdio>

#include <fmt/format.h>

namespace ravao::receiver {

namespace {

using std::chrono::days;
using std::chrono::sys_days;

// Floor division: times before 1970 (a gateway's unset clock) stay on the right day.
std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Monday of ISO week 1 of `year`: the week that holds 4 January.
sys_days week_one(int year) {
  const sys_days jan4{std::chrono::year{year} / std::chrono::January / 4};
  const std::chrono::weekday wd{jan4};
  return jan4 - days{(wd.c_encoding() + 6) % 7};  // c_encoding: Sunday 0; Monday -> 0 days back
}

int weeks_in(int year) { return static_cast<int>((week_one(year + 1) - week_one(year)).count() / 7); }

iso_week make(int year, int week) {
  const sys_days monday = week_one(year) + days{7 * (week - 1)};
  iso_week w;
  w.year = year;
  w.week = week;
  w.start_ms = static_cast<std::int64_t>(monday.time_since_epoch().count()) * day_ms - vietnam_utc_offset_ms;
  w.end_ms = w.start_ms + 7 * day_ms;
  return w;
}

}  // namespace

std::string iso_week::name() const { return fmt::format("{:04}-W{:02}", year, week); }

std::string iso_week::date(int day) const { return local_date(local_day(start_ms) + day); }

std::int64_t local_day(std::int64_t ms) { return floor_div(ms + vietnam_utc_offset_ms, day_ms); }

std::string local_date(std::int64_t day) {
  const std::chrono::year_month_day ymd{sys_days{days{day}}};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

result<iso_week> parse_iso_week(std::string_view text) {
  const auto bad = [&] {
    return fail(errc::invalid_argument,
                fmt::format("\"{}\" is not an ISO week (expected YYYY-Www, e.g. 2026-W49)", text));
  };
  std::string_view t = text;
  if (t.size() < 7 || t.size() > 8) return bad();
  const auto digits = [](std::string_view s) {
    int v = 0;
    for (const char c : s) {
      if (c < '0' || c > '9') return -1;
      v = v * 10 + (c - '0');
    }
    return v;
  };
  const int year = digits(t.substr(0, 4));
  t.remove_prefix(4);
  if (!t.empty() && t.front() == '-') t.remove_prefix(1);
  if (t.size() != 3 || t.front() != 'W') return bad();
  const int week = digits(t.substr(1));
  if (year < 1971 || week < 1) return bad();
  if (week > weeks_in(year)) {
    return fail(errc::invalid_argument, fmt::format("{}: {} has only {} ISO weeks", text, year, weeks_in(year)));
  }
  return make(year, week);
}

iso_week week_of(std::int64_t ms) {
  const sys_days local{days{local_day(ms)}};
  const std::chrono::year_month_day ymd{local};
  int year = static_cast<int>(ymd.year());
  if (local >= week_one(year + 1)) {
    ++year;
  } else if (local < week_one(year)) {
    --year;
  }
  return make(year, static_cast<int>((local - week_one(year)).count() / 7) + 1);
}

}  // namespace ravao::receiver

namespace ravao::receiver {

result<std::int64_t> parse_utc_time(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char z = 0;
  const std::string t(text);
  const int n = std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &z);
  const int n_short = n == 7 ? 0 : std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d%c", &y, &mo, &d, &h, &mi, &z);
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(mo)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if ((n != 7 && n_short != 6) || z != 'Z' || !ymd.ok() || y < 1970 || h > 23 || mi > 59 || s > 60 ||
      (n == 7 && t.size() != 20) || (n != 7 && t.size() != 17)) {
    return fail(errc::invalid_argument,
                fmt::format("\"{}\" is not a UTC time (expected e.g. 2026-12-07T00:00:00Z)", text));
  }
  const std::int64_t day = std::chrono::sys_days{ymd}.time_since_epoch().count();
  return ((day * 24 + h) * 60 + mi) * 60'000 + s * 1000;
}

}  // namespace ravao::receiver
