#pragma once
// Parsing ravaoctl's --since: "today", a duration back from now ("90s",
// "30m", "2h", "7d"), a local date "2026-11-23" or date-time
// "2026-11-23T08:30" / "2026-11-23 08:30:15" (at the site's UTC offset), or
// milliseconds since the epoch.

#include <chrono>
#include <cstdint>
#include <string_view>

#include "common/error.hpp"

namespace ravao {

result<std::int64_t> parse_since(std::string_view text, std::int64_t now_wall_ms, std::chrono::minutes utc_offset);

}  // namespace ravao
