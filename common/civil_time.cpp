#include "common/civil_time.hpp"

#include <chrono>

#include <fmt/format.h>

namespace ravao {
namespace {

constexpr std::int64_t ms_per_day = 86'400'000;

// Floor division: the day of a negative instant is the one before the epoch.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Days since 1970-01-01 of 0000-01-01 and of 10000-01-01: utc_of's range.
constexpr std::int64_t first_day = -719'528;
constexpr std::int64_t end_day = 2'932'897;

}  // namespace

std::optional<utc_fields> utc_of(std::int64_t wall_ms) {
  using namespace std::chrono;
  const std::int64_t days_since = floor_div(wall_ms, ms_per_day);
  if (days_since < first_day || days_since >= end_day) return std::nullopt;
  const std::int64_t ms_of_day = wall_ms - days_since * ms_per_day;
  const year_month_day ymd{sys_days{days{days_since}}};
  return utc_fields{.year = static_cast<int>(ymd.year()),
                    .month = static_cast<unsigned>(ymd.month()),
                    .day = static_cast<unsigned>(ymd.day()),
                    .hour = static_cast<unsigned>(ms_of_day / 3'600'000),
                    .minute = static_cast<unsigned>(ms_of_day / 60'000 % 60),
                    .second = static_cast<unsigned>(ms_of_day / 1000 % 60),
                    .millisecond = static_cast<unsigned>(ms_of_day % 1000)};
}

std::optional<std::int64_t> utc_ms(int year, unsigned month, unsigned day, unsigned hour, unsigned minute,
                                   unsigned second) {
  using namespace std::chrono;
  if (year < 0 || year > 9999 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  const year_month_day ymd{std::chrono::year{year}, std::chrono::month{month}, std::chrono::day{day}};
  if (!ymd.ok()) return std::nullopt;
  const std::int64_t days_since = sys_days{ymd}.time_since_epoch().count();
  return days_since * ms_per_day + (std::int64_t{hour} * 3600 + std::int64_t{minute} * 60 + second) * 1000;
}

std::string format_iso_utc_ms(std::int64_t wall_ms) {
  const auto f = utc_of(wall_ms);
  if (!f) return fmt::format("{} ms", wall_ms);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", f->year, f->month, f->day, f->hour, f->minute,
                     f->second, f->millisecond);
}

std::string format_iso_utc(std::int64_t wall_ms) {
  const auto f = utc_of(wall_ms);
  if (!f) return fmt::format("{} ms", wall_ms);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", f->year, f->month, f->day, f->hour, f->minute,
                     f->second);
}

}  // namespace ravao
