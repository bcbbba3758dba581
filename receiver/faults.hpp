#pragma once
// Faults the receiver injects on request (`serve --fault SPEC`, repeatable;
// docs/receiver.md, "Faults"): the failures a gateway must survive, made
// reproducible. They apply to batch requests only, except delay-ms, which
// delays every reply. State lives in the server's one thread.
//
// For one batch request, in this order:
//   reset-mid-body:N     the next N: read part of the body, then reset the
//                        connection (RST), storing nothing
//   unauthorized-once    the first batch request since start: 401
//   throttle:N:SECONDS   the next N: 429 with Retry-After: SECONDS
//   error-rate:P[:SEED]  a fraction P (0..1) of the rest: 500, 502 or 503
//                        (503 with Retry-After: 1), storing nothing;
//                        deterministic for a given SEED (default 1)
//   lost-ack:N           the next N that are stored: commit, then close the
//                        connection without replying
//   delay-ms:MS          every reply waits MS milliseconds first
//   unknown-type:TYPE    batches with a record of TYPE get 422 "unknown
//                        record type" for those records, storing nothing: a
//                        receiver older than the gateway (repeatable)

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "receiver/batch.hpp"

namespace ravao::receiver {

struct fault_plan {
  std::int64_t reset_mid_body = 0;
  bool unauthorized_once = false;
  std::int64_t throttle = 0;
  std::int64_t throttle_seconds = 0;
  double error_rate = 0;
  std::uint64_t error_seed = 1;
  std::int64_t lost_ack = 0;
  std::chrono::milliseconds delay{0};
  std::vector<std::string> unknown_types;
};

// Adds one --fault SPEC to `plan`; an error says what is wrong with it.
result<void> add_fault(fault_plan& plan, std::string_view spec);

// A reply a fault forces instead of storing.
struct forced_reply {
  unsigned status = 0;
  std::optional<std::int64_t> retry_after_seconds;
  std::string_view outcome;  // for stats: "unauthorized", "throttled", "server_error"
};

class faults {
 public:
  explicit faults(fault_plan plan) : plan_(plan), random_(plan.error_seed) {}

  bool take_reset_mid_body() { return take(plan_.reset_mid_body); }
  // unauthorized-once, throttle, error-rate, in that order.
  std::optional<forced_reply> before_store();
  bool take_lost_ack() { return take(plan_.lost_ack); }
  std::chrono::milliseconds delay() const { return plan_.delay; }
  // unknown-type: the records of `b` an older receiver would refuse, with
  // its reason; empty when none.
  std::vector<rejection> unknown_types(const batch& b) const;

 private:
  static bool take(std::int64_t& remaining) {
    if (remaining <= 0) return false;
    --remaining;
    return true;
  }

  fault_plan plan_;
  std::mt19937_64 random_;
  std::uint64_t errors_ = 0;
};

}  // namespace ravao::receiver
