#pragma once
// When to try again (docs/sync-protocol.md "Backoff"): exponential backoff
// with full jitter, and the server's Retry-After.

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

namespace ravao::sync {

class backoff {
 public:
  backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap);
  // The wait after one more failure: uniform in [0, min(cap, base * 2^(failures-1))].
  std::chrono::milliseconds next_delay();
  void reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  std::chrono::milliseconds base_, cap_;
  int failures_ = 0;
  std::minstd_rand rng_;
};

// Retry-After: delay-seconds or an HTTP date (IMF-fixdate), relative to
// `now_wall_ms`; capped at one hour; nullopt when absent or unreadable.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, std::int64_t now_wall_ms);

}  // namespace ravao::sync
