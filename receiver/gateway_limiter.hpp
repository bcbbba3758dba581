#pragma once
// Requests per gateway (docs/receiver.md "Per-gateway limits"): one gateway,
// by its authenticated identity (identity.hpp), may have at most
// `in_flight` requests under way at once and send at most `rate` requests a
// second on average (a token bucket of `burst`). A request over either is
// answered 429 with Retry-After as soon as its header is authenticated,
// before its body is read: a gateway whose certificate is cloned, or whose
// software loops, fills its own share, not the store pool every gateway
// shares. The per-address connection cap (limits.hpp) cannot do this: many
// gateways share one address behind a carrier's NAT.
//
// Thread: the server's I/O thread only (no locking). The table must outlive
// every ticket it handed out (the server owns both; sessions end before it).
// It holds one entry per gateway heard from recently (idle ones are swept
// every few thousand requests), so it is bounded by the gateways that hold
// valid credentials: only authenticated requests reach it.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace ravao::receiver {

struct gateway_limits {
  std::size_t in_flight = 4;  // requests under way at once; 0: no limit
  double rate = 50;           // requests a second, on average; 0: no limit
  double burst = 100;         // requests at once after a quiet spell (>= 1)
};

class gateway_limiter;

// One admitted request; releases its place when destroyed. Move-only.
class gateway_ticket {
 public:
  gateway_ticket() = default;
  gateway_ticket(gateway_ticket&& other) noexcept;
  gateway_ticket& operator=(gateway_ticket&& other) noexcept;
  gateway_ticket(const gateway_ticket&) = delete;
  gateway_ticket& operator=(const gateway_ticket&) = delete;
  ~gateway_ticket();

 private:
  friend class gateway_limiter;
  gateway_ticket(gateway_limiter* table, std::string gateway) : table_(table), gateway_(std::move(gateway)) {}
  gateway_limiter* table_ = nullptr;
  std::string gateway_;
};

class gateway_limiter {
 public:
  using clock = std::chrono::steady_clock;
  explicit gateway_limiter(gateway_limits l) : limits_(l) {}

  struct admission {
    bool admitted = false;
    gateway_ticket ticket;          // when admitted: hold it until the reply is written
    std::int64_t retry_after = 0;   // when refused: seconds (>= 1) until a request would be admitted
    std::string_view reason;        // when refused: "in_flight" or "rate"
    bool first_refusal = false;     // refused, and the first refusal since this gateway was last admitted
  };
  // A place for one more request of `gateway` at `now`, or a refusal.
  admission admit(const std::string& gateway, clock::time_point now = clock::now());

  std::size_t in_flight(const std::string& gateway) const;
  std::size_t tracked() const { return table_.size(); }

 private:
  friend class gateway_ticket;
  void release(const std::string& gateway);
  void forget_idle(clock::time_point now);
  static constexpr std::size_t sweep_every = 4096;  // admissions between two forget_idle()

  struct entry {
    std::size_t in_flight = 0;
    double tokens = 0;
    clock::time_point refilled;
    bool refused = false;  // refusals are logged once per episode, not once per request
  };
  gateway_limits limits_;
  std::unordered_map<std::string, entry> table_;
  std::size_t admits_since_sweep_ = 0;
};

}  // namespace ravao::receiver
