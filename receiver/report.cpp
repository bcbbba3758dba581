#include "receiver/report.hpp"

#include "common/civil_time.hpp"
#include "common/text.hpp"

namespace ravao::receiver {

std::string iso_utc(std::optional<std::int64_t> ms) {
  if (!ms) return "unknown";
  return format_iso_utc_ms(*ms);
}

std::string shown(std::string_view stored) { return text::escape_for_log(stored, stored.size()); }

}  // namespace ravao::receiver
