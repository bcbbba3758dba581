#include "receiver/report.hpp"

#include "common/civil_time.hpp"

namespace ravao::receiver {

std::string iso_utc(std::optional<std::int64_t> ms) {
  if (!ms) return "unknown";
  return format_iso_utc_ms(*ms);
}

}  // namespace ravao::receiver
