#include "sync/retry.hpp"

#include <time.h>

#include <algorithm>
#include <charconv>
#include <string>

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
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  struct tm tm {};
  const std::string text(value);
  const char* rest = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (rest == nullptr || *rest != '\0') return std::nullopt;
  const std::int64_t at_ms = static_cast<std::int64_t>(::timegm(&tm)) * 1000;
  return std::clamp<std::chrono::milliseconds>(std::chrono::milliseconds(at_ms - now_wall_ms),
                                               std::chrono::milliseconds(0), retry_after_cap);
}

}  // namespace ravao::sync
