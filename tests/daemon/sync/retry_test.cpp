// When the uploader tries again (daemon/sync/retry.*; docs/sync-protocol.md
// "Backoff"): exponential backoff with full jitter between 0 and
// min(cap, base * 2^(failures-1)), and the server's Retry-After in seconds or
// as an HTTP date, capped at one hour.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <vector>

#include "sync/retry.hpp"

using namespace std::chrono_literals;
using ravao::sync::backoff;
using ravao::sync::parse_retry_after;

namespace {

// The n-th delay (1-based) of `samples` fresh backoffs: one draw each.
std::vector<std::chrono::milliseconds> nth_delays(int n, std::chrono::milliseconds base, std::chrono::milliseconds cap,
                                                  int samples = 200) {
  std::vector<std::chrono::milliseconds> out;
  for (int i = 0; i < samples; ++i) {
    backoff b(base, cap);
    std::chrono::milliseconds d{};
    for (int k = 0; k < n; ++k) d = b.next_delay();
    out.push_back(d);
  }
  return out;
}

// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110's example), in ms since 1970.
constexpr std::int64_t example_date_ms = 784'111'777'000;

}  // namespace

BOOST_AUTO_TEST_CASE(backoff_is_full_jitter_under_a_doubling_ceiling) {
  const auto base = 100ms, cap = 5000ms;
  for (int n = 1; n <= 8; ++n) {
    const auto ceiling = std::min<std::chrono::milliseconds>(cap, base * (1 << (n - 1)));
    const auto d = nth_delays(n, base, cap);
    const auto [lo, hi] = std::ranges::minmax(d);
    BOOST_TEST_CONTEXT("failure " << n << ", ceiling " << ceiling.count() << " ms") {
      BOOST_TEST(lo.count() >= 0);
      BOOST_TEST(hi.count() <= ceiling.count());
      // Full jitter: spread over the whole range, not a fixed step (200
      // draws all in one half: probability 2^-199).
      BOOST_TEST(lo.count() < ceiling.count() / 2);
      BOOST_TEST(hi.count() > ceiling.count() / 2);
    }
  }
}

BOOST_AUTO_TEST_CASE(backoff_counts_failures_and_reset_starts_over) {
  backoff b(1000ms, 60s);
  for (int i = 0; i < 6; ++i) (void)b.next_delay();
  BOOST_TEST(b.failures() == 6);
  b.reset();
  BOOST_TEST(b.failures() == 0);
  BOOST_TEST(b.next_delay().count() <= 1000);  // back to the base ceiling
  BOOST_TEST(b.failures() == 1);
}

BOOST_AUTO_TEST_CASE(backoff_never_passes_the_cap_however_many_failures) {
  backoff b(60'000ms, 300s);
  for (int i = 0; i < 100; ++i) {
    const auto d = b.next_delay();
    BOOST_TEST(d.count() >= 0);
    BOOST_TEST(d.count() <= 300'000);
  }
}

BOOST_AUTO_TEST_CASE(retry_after_in_seconds) {
  BOOST_TEST(parse_retry_after("120", 0)->count() == 120'000);
  BOOST_TEST(parse_retry_after("  5 ", 0)->count() == 5'000);
  BOOST_TEST(parse_retry_after("0", 0)->count() == 0);
  // At most one hour, however long the server asks for.
  BOOST_TEST(parse_retry_after("3600", 0)->count() == 3'600'000);
  BOOST_TEST(parse_retry_after("7200", 0)->count() == 3'600'000);
  BOOST_TEST(parse_retry_after("99999999999999999999999", 0)->count() == 3'600'000);
}

BOOST_AUTO_TEST_CASE(retry_after_as_an_http_date) {
  const char* date = "Sun, 06 Nov 1994 08:49:37 GMT";
  BOOST_TEST(parse_retry_after(date, example_date_ms - 37'000)->count() == 37'000);
  BOOST_TEST(parse_retry_after(date, example_date_ms - 1)->count() == 1);
  // A date in the past (or now): go at once.
  BOOST_TEST(parse_retry_after(date, example_date_ms)->count() == 0);
  BOOST_TEST(parse_retry_after(date, example_date_ms + 86'400'000)->count() == 0);
  // Far ahead: one hour.
  BOOST_TEST(parse_retry_after(date, example_date_ms - 2 * 86'400'000)->count() == 3'600'000);
}

BOOST_AUTO_TEST_CASE(retry_after_garbage_is_ignored) {
  for (const char* bad : {"", "   ", "-5", "5s", "1.5", "soon", "0x10", "Sun, 06 Nov 1994 08:49:37 UTC",
                          "Sun, 06 Nov 1994 08:49:37 GMT trailing", "Sun, 06 Nov 1994 25:49:37 GMT",
                          "06 Nov 1994 08:49:37 GMT"}) {
    BOOST_TEST_CONTEXT("Retry-After \"" << bad << "\"") { BOOST_TEST(!parse_retry_after(bad, example_date_ms)); }
  }
}

// Past 2038-01-19 (a 32-bit time_t's end, Debian 12 armhf's): the date is
// counted without timegm (docs/cross-build.md "The year 2038").
BOOST_AUTO_TEST_CASE(retry_after_as_an_http_date_past_2038) {
  const std::int64_t date_2040_ms = 2'214'172'810'000;  // Thu, 01 Mar 2040 00:00:10 GMT
  const auto d = parse_retry_after("Thu, 01 Mar 2040 00:00:10 GMT", date_2040_ms - 7000);
  BOOST_TEST_REQUIRE(d.has_value());
  BOOST_TEST(d->count() == 7000);
  BOOST_TEST(!parse_retry_after("Wed, 29 Feb 2041 00:00:10 GMT", date_2040_ms).has_value());
}
