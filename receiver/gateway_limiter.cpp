#include "receiver/gateway_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace ravao::receiver {

gateway_ticket::gateway_ticket(gateway_ticket&& other) noexcept
    : table_(std::exchange(other.table_, nullptr)), gateway_(std::move(other.gateway_)) {}

gateway_ticket& gateway_ticket::operator=(gateway_ticket&& other) noexcept {
  if (this != &other) {
    if (table_) table_->release(gateway_);
    table_ = std::exchange(other.table_, nullptr);
    gateway_ = std::move(other.gateway_);
  }
  return *this;
}

gateway_ticket::~gateway_ticket() {
  if (table_) table_->release(gateway_);
}

gateway_limiter::admission gateway_limiter::admit(const std::string& gateway, clock::time_point now) {
  const double burst = std::max(limits_.burst, 1.0);
  if (++admits_since_sweep_ >= sweep_every) {
    admits_since_sweep_ = 0;
    forget_idle(now);
  }
  auto [it, added] = table_.try_emplace(gateway);
  auto& e = it->second;
  if (added) {
    e.tokens = burst;
    e.refilled = now;
  } else if (limits_.rate > 0) {
    const double elapsed = std::chrono::duration<double>(now - e.refilled).count();
    e.tokens = std::min(burst, e.tokens + std::max(elapsed, 0.0) * limits_.rate);
    e.refilled = now;
  }
  admission a;
  if (limits_.in_flight > 0 && e.in_flight >= limits_.in_flight) {
    a.reason = "in_flight";
    a.retry_after = 1;  // a request under way ends within the request deadline; most within a second
  } else if (limits_.rate > 0 && e.tokens < 1.0) {
    a.reason = "rate";
    a.retry_after = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil((1.0 - e.tokens) / limits_.rate)));
  } else {
    if (limits_.rate > 0) e.tokens -= 1.0;
    ++e.in_flight;
    e.refused = false;
    a.admitted = true;
    a.ticket = gateway_ticket(this, gateway);
    return a;
  }
  a.first_refusal = !e.refused;
  e.refused = true;
  return a;
}

std::size_t gateway_limiter::in_flight(const std::string& gateway) const {
  const auto it = table_.find(gateway);
  return it == table_.end() ? 0 : it->second.in_flight;
}

void gateway_limiter::release(const std::string& gateway) {
  const auto it = table_.find(gateway);
  if (it == table_.end()) return;
  --it->second.in_flight;
}

// A gateway idle long enough for a full bucket is forgotten: its next
// request would find the same state as a new entry.
void gateway_limiter::forget_idle(clock::time_point now) {
  const double burst = std::max(limits_.burst, 1.0);
  std::erase_if(table_, [&](const auto& kv) {
    const auto& e = kv.second;
    if (e.in_flight > 0) return false;
    if (limits_.rate <= 0) return true;
    return e.tokens + std::chrono::duration<double>(now - e.refilled).count() * limits_.rate >= burst;
  });
}

}  // namespace ravao::receiver
