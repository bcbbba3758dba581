#pragma once
// Requests per client of trace-serve (docs/tracing.md, "The HTTPS API"): a
// token bucket per client certificate (its fingerprint), `burst` requests at
// once and `per_minute` sustained. A refusal is a 429 with Retry-After; the
// first refusal of a run is audited, the rest of the run is counted and the
// count goes into the client's next audited entry, so that a client looping
// on 429 cannot grow the audit log without bound.
//
// Thread: trace-serve's I/O thread only. One entry per certificate that
// ever connected: the department's staff, a bounded set.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace ravao::receiver {

class client_rate {
 public:
  using clock = std::chrono::steady_clock;
  client_rate(double burst, double per_minute) : burst_(burst), per_minute_(per_minute) {}

  struct verdict {
    bool admitted = false;
    bool audit = true;                 // refused: whether this refusal gets its own audit entry
    std::int64_t refused_unaudited = 0;  // admitted: refusals of the run just ended, not audited one by one
    std::int64_t retry_after_s = 0;    // refused: when a token is back
  };

  verdict take(const std::string& client, clock::time_point now = clock::now()) {
    auto [it, fresh] = buckets_.try_emplace(client, bucket{burst_, now});
    bucket& b = it->second;
    const double minutes = std::chrono::duration<double, std::ratio<60>>(now - b.at).count();
    b.tokens = std::min(burst_, b.tokens + minutes * per_minute_);
    b.at = now;
    verdict v;
    if (b.tokens >= 1.0) {
      b.tokens -= 1.0;
      v.admitted = true;
      v.refused_unaudited = b.unaudited;
      b.unaudited = 0;
      b.refusing = false;
      return v;
    }
    v.audit = !b.refusing;
    if (b.refusing) ++b.unaudited;
    b.refusing = true;
    v.retry_after_s = std::max<std::int64_t>(1, static_cast<std::int64_t>((1.0 - b.tokens) * 60.0 / per_minute_) + 1);
    return v;
  }

 private:
  struct bucket {
    double tokens;
    clock::time_point at;
    bool refusing = false;
    std::int64_t unaudited = 0;
  };
  double burst_, per_minute_;
  std::map<std::string, bucket, std::less<>> buckets_;
};

}  // namespace ravao::receiver
