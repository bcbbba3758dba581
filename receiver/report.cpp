#include "receiver/report.hpp"

#include <ctime>

#include <fmt/format.h>

#include "common/text.hpp"

namespace ravao::receiver {

std::string iso_utc(std::optional<std::int64_t> ms) {
  if (!ms) return "unknown";
  const std::int64_t seconds = *ms >= 0 ? *ms / 1000 : (*ms - 999) / 1000;
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (!::gmtime_r(&t, &tm)) return fmt::format("{} ms", *ms);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, *ms - seconds * 1000);
}

std::string shown(std::string_view stored) { return text::escape_for_log(stored, stored.size()); }

}  // namespace ravao::receiver
