#include "sync/retry.hpp"

#include <time.h>

#include <algorithm>
#include <charconv>
#include <string>

#include "common/civil_time.hpp"

namespace ravao::sync {
namespace {

constexpr std::chrono::milliseconds retry_after_cap = std::chrono::hours(1);

}  // namespace

backoff::backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap)
    : base_(base), cap_(cap), rng_(std::random_device{}()) {}

std::chrono::milliseconds backoff::next_delay() {
  ++failures_;
  const int doublings = std::min(failures_ - 1, 30);
  const auto ceiling = std::min<std::int64_t>(cap_.count(), base_.count() << doublings);
  std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(ceiling, 0));
  return std::chrono::milliseconds(pick(rng_));
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, std::int64_t now_wall_ms) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  std::int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc{} && end == value.data() + value.size()) {
    if (seconds < 0) return std::nullopt;
    return std::min<std::chrono::milliseconds>(std::chrono::seconds(std::min<std::int64_t>(seconds, 86400)),
                                               retry_after_cap);
  }
  if (ec == std::errc::result_out_of_range) return retry_after_cap;
  // "Sun, 06 Nov 1994 08:49:37 GMT". strptime only fills the fields; the
  // seconds are counted without time_t (32 bits on armhf: timegm fails
  // after 2038).
  struct tm tm {};
  const std::string text(value);
  const char* rest = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (rest == nullptr || *rest != '\0') return std::nullopt;
  const auto at_ms = utc_ms(tm.tm_year + 1900, static_cast<unsigned>(tm.tm_mon + 1), static_cast<unsigned>(tm.tm_mday),
                            static_cast<unsigned>(tm.tm_hour), static_cast<unsigned>(tm.tm_min),
                            static_cast<unsigned>(tm.tm_sec));
  if (!at_ms) return std::nullopt;
  return std::clamp<std::chrono::milliseconds>(std::chrono::milliseconds(*at_ms - now_wall_ms),
                                               std::chrono::milliseconds(0), retry_after_cap);
}

}  // namespace ravao::sync
