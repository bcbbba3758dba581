#pragma once
// Every SQL statement of the weekly report, the fleet and the site table
// (`report weekly`, `fleet`, `sites`) against the receiver's SQLite store:
// plain structs in, plain structs out, so that another engine (PostgreSQL,
// issue 15) can answer the same interface beside this file. Nothing else in
// those commands knows SQL.
//
// Owned by one thread, like the database it reads (a CLI command's).

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "receiver/site_table.hpp"

namespace ravao::receiver {

// Records of one (gateway, counter, type) on one local day.
struct activity_row {
  std::string gateway;
  std::string counter;
  std::string type;      // a record type of docs/sync-protocol.md
  std::int64_t day = 0;  // local (UTC+7) days since 1970-01-01
  std::int64_t records = 0;
  std::int64_t with_actor = 0;  // of them, records a person asked for (a proxy declaration, a slip)
};

// A counter a gateway has had: in a record (any time), or in its last heartbeat.
struct counter_seen {
  std::string gateway;
  std::string counter;
};

// What the receiver last heard from a gateway (receiver's clock).
struct gateway_contact {
  std::string gateway;
  std::optional<std::int64_t> last_batch_ms;
  std::optional<std::int64_t> last_heartbeat_ms;
  std::string last_heartbeat;  // its JSON as received; "" when none
};

class report_queries {
 public:
  explicit report_queries(sqlite3* db) : db_(db) {}

  // Replaces the whole site table in one transaction: readers see the old
  // table or the new one, never a mix.
  result<void> replace_sites(const std::vector<site>& sites);
  // In the loaded file's order.
  result<std::vector<site>> sites();
  // Records with a known time (derived_wall_ms) in [from_ms, to_ms), but
  // device records (whose counter is a device), grouped by local day.
  result<std::vector<activity_row>> activity(std::int64_t from_ms, std::int64_t to_ms);
  result<std::vector<counter_seen>> counters_seen();
  result<std::vector<gateway_contact>> contacts();

 private:
  sqlite3* db_;
};

}  // namespace ravao::receiver
