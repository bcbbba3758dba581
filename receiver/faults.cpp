#include "receiver/faults.hpp"

#include <algorithm>
#include <charconv>
#include <ranges>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace ravao::receiver {

namespace {

constexpr std::string_view fault_kinds =
    "lost-ack:N, error-rate:P[:SEED], delay-ms:MS, reset-mid-body:N, unauthorized-once, throttle:N:SECONDS, "
    "unknown-type:TYPE";

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> parts;
  for (const auto part : std::views::split(s, ':')) parts.emplace_back(part.begin(), part.end());
  return parts;
}

template <class T>
std::optional<T> number(std::string_view text) {
  T v{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

}  // namespace

result<void> add_fault(fault_plan& plan, std::string_view spec) {
  const auto parts = split(spec);
  const std::string_view kind = parts.front();
  const auto bad = [&](std::string_view why) {
    return fail(errc::invalid_argument, fmt::format("--fault {}: {}", spec, why));
  };
  const auto count = [&](std::size_t i, std::int64_t max) -> std::optional<std::int64_t> {
    if (i >= parts.size()) return std::nullopt;
    auto v = number<std::int64_t>(parts[i]);
    if (!v || *v < 1 || *v > max) return std::nullopt;
    return v;
  };
  if (kind == "lost-ack" || kind == "reset-mid-body") {
    const auto n = count(1, 1'000'000);
    if (!n || parts.size() != 2) return bad("expected " + std::string(kind) + ":N with N >= 1");
    (kind == "lost-ack" ? plan.lost_ack : plan.reset_mid_body) += *n;
  } else if (kind == "unauthorized-once") {
    if (parts.size() != 1) return bad("takes no value");
    plan.unauthorized_once = true;
  } else if (kind == "throttle") {
    const auto n = count(1, 1'000'000);
    const auto seconds = count(2, 3600);
    if (!n || !seconds || parts.size() != 3) return bad("expected throttle:N:SECONDS (N >= 1, 1 <= SECONDS <= 3600)");
    plan.throttle += *n;
    plan.throttle_seconds = *seconds;
  } else if (kind == "error-rate") {
    if (parts.size() < 2 || parts.size() > 3) return bad("expected error-rate:P[:SEED]");
    const auto p = number<double>(parts[1]);
    if (!p || !(*p >= 0.0 && *p <= 1.0)) return bad("P must be a number from 0 to 1");
    plan.error_rate = *p;
    if (parts.size() == 3) {
      const auto seed = number<std::uint64_t>(parts[2]);
      if (!seed) return bad("SEED must be a whole number");
      plan.error_seed = *seed;
    }
  } else if (kind == "delay-ms") {
    const auto ms = count(1, 600'000);
    if (!ms || parts.size() != 2) return bad("expected delay-ms:MS with 1 <= MS <= 600000");
    plan.delay = std::chrono::milliseconds(*ms);
  } else if (kind == "unknown-type") {
    if (parts.size() != 2 || parts[1].empty() || parts[1].size() > 64) return bad("expected unknown-type:TYPE");
    plan.unknown_types.emplace_back(parts[1]);
  } else {
    return bad(fmt::format("unknown fault (expected one of {})", fault_kinds));
  }
  return {};
}

std::vector<rejection> faults::unknown_types(const batch& b) const {
  std::vector<rejection> out;
  if (plan_.unknown_types.empty()) return out;
  for (const auto& r : b.records)
    if (std::ranges::find(plan_.unknown_types, r.type) != plan_.unknown_types.end())
      out.push_back({r.seq, "unknown record type"});
  return out;
}

std::optional<forced_reply> faults::before_store() {
  if (plan_.unauthorized_once) {
    plan_.unauthorized_once = false;
    return forced_reply{401, std::nullopt, "unauthorized"};
  }
  if (take(plan_.throttle)) return forced_reply{429, plan_.throttle_seconds, "throttled"};
  if (plan_.error_rate > 0 && std::uniform_real_distribution<double>(0.0, 1.0)(random_) < plan_.error_rate) {
    // The statuses take turns, so a test sees each kind of server error.
    switch (errors_++ % 3) {
      case 0: return forced_reply{503, 1, "server_error"};
      case 1: return forced_reply{500, std::nullopt, "server_error"};
      default: return forced_reply{502, std::nullopt, "server_error"};
    }
  }
  return std::nullopt;
}

}  // namespace ravao::receiver
