#include <boost/test/unit_test.hpp>

#include "control/since.hpp"

using ravao::parse_since;

namespace {
constexpr std::int64_t now_ms = 1'763'888'400'000;  // 2025-11-23 09:00:00 UTC = 16:00 at +07:00
const std::chrono::minutes vn{420};
}  // namespace

BOOST_AUTO_TEST_CASE(relative_and_today) {
  BOOST_TEST(*parse_since("30m", now_ms, vn) == now_ms - 30 * 60'000);
  BOOST_TEST(*parse_since("2h", now_ms, vn) == now_ms - 2 * 3'600'000);
  BOOST_TEST(*parse_since("7d", now_ms, vn) == now_ms - 7LL * 86'400'000);
  BOOST_TEST(*parse_since("90s", now_ms, vn) == now_ms - 90'000);
  // Local midnight at +07:00 is 17:00 UTC the day before.
  BOOST_TEST(*parse_since("today", now_ms, vn) == now_ms - 16LL * 3'600'000);
}

BOOST_AUTO_TEST_CASE(local_dates_and_times) {
  BOOST_TEST(*parse_since("2025-11-23", now_ms, vn) == now_ms - 16LL * 3'600'000);
  BOOST_TEST(*parse_since("2025-11-23T08:30", now_ms, vn) == now_ms - 16LL * 3'600'000 + 8LL * 3'600'000 + 30 * 60'000);
  BOOST_TEST(*parse_since("2025-11-23 16:00:00", now_ms, vn) == now_ms);
  BOOST_TEST(*parse_since("1763888400000", now_ms, vn) == now_ms);
}

BOOST_AUTO_TEST_CASE(nonsense_is_a_clear_error) {
  for (const char* bad : {"", "yesterday", "2025-02-30", "2025-11-23T25:00", "5w", "-3h", "2025-11-23T08", "2025/11/23"}) {
    auto r = parse_since(bad, now_ms, vn);
    BOOST_TEST(!r.has_value(), bad);
    if (!r) BOOST_TEST(r.error().message().find("--since") != std::string::npos);
  }
}
