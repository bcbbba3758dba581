#pragma once
// One gateway's state as `ravao-receiver fleet` shows it, read from its last
// heartbeat (docs/sync-protocol.md, "POST /v1/heartbeats"). Pure.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "receiver/report_queries.hpp"

namespace ravao::receiver {

struct fleet_entry {
  std::string gateway;
  std::string site;    // from the site table; "" when not in it
  std::string status;  // "ok", "silent" (> 24 h), "never" (in the site table, never heard)
  std::optional<std::int64_t> last_contact_ms;
  std::optional<std::int64_t> last_heartbeat_ms;
  std::optional<std::int64_t> last_batch_ms;
  std::string version;                    // "" when unknown
  std::optional<std::int64_t> backlog;    // queue.depth: records not yet acknowledged
  std::optional<std::int64_t> oldest_unsent_ms;
  std::optional<bool> clock_synced;       // the gateway's clock when it sent its last heartbeat
  std::vector<std::string> alarms;        // "store_full", "dead_letters=3", "device_offline:scanner-1", ...
};

// Every gateway heard from, then the site table's gateways never heard from.
std::vector<fleet_entry> fleet(const std::vector<site>& sites, const std::vector<gateway_contact>& contacts,
                               std::int64_t as_of_ms);

}  // namespace ravao::receiver
