#pragma once
// Small helpers shared by the `records` and `stats` commands.

#include <cstdint>
#include <optional>
#include <string>

namespace ravao::receiver {

// "2026-11-23T08:00:00.123Z"; "unknown" for nullopt.
std::string iso_utc(std::optional<std::int64_t> ms);

}  // namespace ravao::receiver
