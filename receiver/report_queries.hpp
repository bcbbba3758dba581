#pragma once
// Every read and write of the weekly report, the fleet and the site table
// (`report weekly`, `fleet`, `sites`): one small interface with plain structs
// in and out, answered by the SQLite engine (sqlite_report_queries.cpp) or
// PostgreSQL (pg/pg_report_queries.cpp) with the same figures. Nothing else
// in those commands knows SQL or which engine it reads.
//
// One instance is used by one thread (a CLI command's).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "receiver/iso_week.hpp"
#include "receiver/site_table.hpp"
#include "receiver/store.hpp"

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

// activity() counts a record only when the receiver got it no earlier than
// this before the period's start: a record is received after it happened,
// so this only leaves out records stamped more than a day ahead of their
// arrival (a clock far ahead), and it lets PostgreSQL read only the day
// partitions received since (docs/weekly-report.md, "Performance").
inline constexpr std::int64_t activity_receipt_margin_ms = day_ms;

class report_queries {
 public:
  virtual ~report_queries() = default;

  // Replaces the whole site table in one transaction: readers see the old
  // table or the new one, never a mix.
  virtual result<void> replace_sites(const std::vector<site>& sites) = 0;
  // In the loaded file's order.
  virtual result<std::vector<site>> sites() = 0;
  // Records with a known time (derived_wall_ms) in [from_ms, to_ms), received
  // at or after from_ms - activity_receipt_margin_ms, but device records
  // (whose counter is a device), grouped by local day. from_ms is after 1970.
  virtual result<std::vector<activity_row>> activity(std::int64_t from_ms, std::int64_t to_ms) = 0;
  // Each (gateway, counter) once, in no particular order.
  virtual result<std::vector<counter_seen>> counters_seen() = 0;
  // By gateway (bytewise).
  virtual result<std::vector<gateway_contact>> contacts() = 0;
};

// The receiver database at `where` (a SQLite file or a postgresql:// URL, as
// open_store): serve creates or upgrades its schema (sites load), read_only
// wants it current.
result<std::unique_ptr<report_queries>> open_report_queries(const std::string& where, store_mode m);

}  // namespace ravao::receiver
