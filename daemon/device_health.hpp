#pragma once
// The health of one device (a counter's scanner, a printer) as the daemon
// tracks it for `ravaoctl devices`, the status line and the province's
// device records. Loop thread only.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"
#include "drivers/scanner_source.hpp"
#include "store/committer.hpp"

namespace ravao {

struct device_health {
  device_state state = device_state::starting;
  std::string reason;
  std::int64_t since_ms = 0;
  std::string last_event;
  bool was_lost = false;  // went offline after being online: its return is a device record too

  struct change {
    bool was_online = false;
    // The device record to keep for the province ("scanner offline: why",
    // "printer online"): losing a device and getting it back; the first
    // start is not an event.
    std::optional<std::string> record;
  };
  // Takes the new state at `at`; `noun` ("scanner", "printer") words the record.
  change set(device_state s, std::string_view why, const timestamp& at, std::string_view noun,
             std::chrono::minutes utc_offset);
};

// Records a device event (a record uploaded with the visits) through the
// writer thread; a failure is logged as store.device_event.
void record_device_event(committer& c, std::string device_id, std::string event);

}  // namespace ravao
