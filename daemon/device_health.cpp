#include "device_health.hpp"

#include <fmt/format.h>

#include "common/log.hpp"

namespace ravao {

device_health::change device_health::set(device_state s, std::string_view why, const timestamp& at,
                                         std::string_view noun, std::chrono::minutes utc_offset) {
  change out;
  out.was_online = state == device_state::online;
  state = s;
  reason = why;
  since_ms = at.wall_ms;
  if (out.was_online && s != device_state::online) {
    was_lost = true;
    out.record = fmt::format("{} {}: {}", noun, to_string(s), why);
  } else if (s == device_state::online && was_lost) {
    was_lost = false;
    out.record = fmt::format("{} online", noun);
  }
  last_event = fmt::format("{} {}", to_string(s), format_local(since_ms, utc_offset));
  return out;
}

void record_device_event(committer& c, std::string device_id, std::string event) {
  c.async_run<result<std::int64_t>>(
      [device_id, event = std::move(event)](store_writer& s) { return s.log_device_event(device_id, event, now()); },
      [device_id](boost::system::error_code ec, result<std::int64_t> r) {
        if (ec || r) return;  // not run: the daemon is stopping
        log::error("store.device_event", "a device event could not be recorded",
                   {{"device", device_id}, {"error", r.error().message()}});
      });
}

}  // namespace ravao
