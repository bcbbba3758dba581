#include "control/since.hpp"

#include <charconv>

#include <fmt/format.h>

#include "common/clock.hpp"

namespace ravao {
namespace {

bool number(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

result<std::int64_t> parse_since(std::string_view t, std::int64_t now_ms, std::chrono::minutes utc_offset) {
  const std::int64_t offset_ms = utc_offset.count() * 60'000;
  const auto bad = [&] {
    return fail(errc::invalid_argument,
                fmt::format("cannot understand --since \"{}\" (use today, 30m, 2h, 7d, 2026-11-23 or "
                            "2026-11-23T08:30)", t));
  };
  if (t == "today") return local_day(now_ms, utc_offset) * 86'400'000 - offset_ms;
  std::int64_t n = 0;
  if (number(t, n)) return n;
  if (t.size() >= 2 && number(t.substr(0, t.size() - 1), n) && n >= 0) {
    switch (t.back()) {
      case 's': return now_ms - n * 1000;
      case 'm': return now_ms - n * 60'000;
      case 'h': return now_ms - n * 3'600'000;
      case 'd': return now_ms - n * 86'400'000;
      default: break;
    }
  }
  // YYYY-MM-DD[(T| )HH:MM[:SS]]
  if (t.size() < 10 || t[4] != '-' || t[7] != '-') return bad();
  std::int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!number(t.substr(0, 4), y) || !number(t.substr(5, 2), mo) || !number(t.substr(8, 2), d)) return bad();
  if (t.size() > 10) {
    if ((t[10] != 'T' && t[10] != ' ') || t.size() < 16 || t[13] != ':') return bad();
    if (!number(t.substr(11, 2), h) || !number(t.substr(14, 2), mi)) return bad();
    if (t.size() > 16) {
      if (t.size() != 19 || t[16] != ':' || !number(t.substr(17, 2), s)) return bad();
    }
  }
  const std::chrono::year_month_day ymd{std::chrono::year{static_cast<int>(y)},
                                        std::chrono::month{static_cast<unsigned>(mo)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return bad();
  const std::int64_t days = std::chrono::sys_days{ymd}.time_since_epoch().count();
  return days * 86'400'000 + h * 3'600'000 + mi * 60'000 + s * 1000 - offset_ms;
}

}  // namespace ravao
