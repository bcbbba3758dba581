#include "store/schema.hpp"

#include <array>
#include <string_view>
#include <variant>

#include <fmt/format.h>

#include "common/sqlite.hpp"

namespace ravao::schema {
namespace {

// A migration: SQL text, or a function for rewrites SQL cannot do.
using migration = std::variant<std::string_view, result<void> (*)(sqlite3*, const migration_options&)>;

// Append only: a released migration is never edited.
const std::array<migration, 8> migrations = {{
    // 1: records (the upload log), visits, rejected-scan samples, counters' tallies.
    {R"sql(
CREATE TABLE records (
  seq          INTEGER PRIMARY KEY,  -- per-gateway, gap-free, increasing
  type         TEXT NOT NULL,        -- visit_opened | visit_closed | scan | command
  counter_id   TEXT NOT NULL,
  visit_id     INTEGER,
  payload_kind TEXT,                 -- empty for automatic closes
  person_id    TEXT,                 -- ID number (identity key)
  person_name  TEXT,
  person_json  TEXT,                 -- birth date, sex, address, old ID, issue date
  payload      TEXT,                 -- payload text for kinds without identity
  symbology    TEXT,
  flags        TEXT,
  close_reason TEXT,
  wall_ms      INTEGER NOT NULL,
  boot_id      TEXT NOT NULL,
  boottime_ns  INTEGER NOT NULL,
  clock_synced INTEGER NOT NULL
);
CREATE TABLE visits (
  id                 INTEGER PRIMARY KEY,
  person_id          TEXT NOT NULL,
  person_name        TEXT,
  counter_id         TEXT NOT NULL,
  opened_seq         INTEGER,
  opened_wall_ms     INTEGER,
  opened_synced      INTEGER NOT NULL DEFAULT 0,
  last_wall_ms       INTEGER NOT NULL,
  last_boot_id       TEXT NOT NULL,
  last_boottime_ns   INTEGER NOT NULL,
  closed_seq         INTEGER,
  closed_wall_ms     INTEGER,
  closed_counter_id  TEXT,
  close_reason       TEXT,
  duplicates         INTEGER NOT NULL DEFAULT 0,
  rescans            INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX visits_open ON visits(person_id) WHERE closed_seq IS NULL;
CREATE TABLE rejected_scans (
  id          INTEGER PRIMARY KEY,
  counter_id  TEXT NOT NULL,
  reason      TEXT NOT NULL,
  length      INTEGER NOT NULL,
  preview     TEXT NOT NULL,
  wall_ms     INTEGER NOT NULL,
  boot_id     TEXT NOT NULL,
  boottime_ns INTEGER NOT NULL
);
CREATE TABLE counter_tallies (
  counter_id TEXT PRIMARY KEY,
  duplicates INTEGER NOT NULL DEFAULT 0,
  rejected   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
)sql"},
    // 2: paper declaration slips and the print queue (docs/slips.md).
    {R"sql(
CREATE TABLE slips (
  sequence       INTEGER PRIMARY KEY,  -- the printed number is this plus a check digit; never reused
  counter_id     TEXT NOT NULL,
  visit_id       INTEGER,              -- the visit it was issued for, when one was scanned just before
  issued_seq     INTEGER NOT NULL,     -- its slip_issued record
  issued_wall_ms INTEGER NOT NULL,
  returned_seq   INTEGER,              -- its slip_returned record, once handed back
  declared_seq   INTEGER               -- the latest declaration record made for it
);
CREATE TABLE print_jobs (
  id              INTEGER PRIMARY KEY,
  printer_id      TEXT NOT NULL,
  counter_id      TEXT NOT NULL,
  kind            TEXT NOT NULL,       -- slip | card | test
  slip_sequence   INTEGER,
  content         TEXT NOT NULL,       -- JSON: what to draw (docs/slips.md)
  state           TEXT NOT NULL,       -- queued | printing | printed | failed | cancelled
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  created_wall_ms INTEGER NOT NULL,
  done_wall_ms    INTEGER
);
CREATE INDEX print_jobs_pending ON print_jobs(printer_id, id) WHERE state IN ('queued', 'printing');
INSERT INTO meta(key, value) VALUES ('next_slip_sequence', '1');
)sql"},
    // 3: personal data sealed at the edge (docs/privacy.md), sync position,
    // dead letters (store/schema_v3.cpp).
    {&migrate_to_3},
    // 4: masks scaled to the ID's length, names split on any separator:
    // what earlier versions masked is re-masked (store/schema_v4.cpp).
    {&migrate_to_4},
    // 5: hash keys with a bounded life, hashes cleared once not needed
    // (store/schema_v5.cpp, store/hash_keys.cpp, store/forget.cpp).
    {&migrate_to_5},
    // 6: no index on records.wall_ms: every scan's commit wrote one more
    // page for it (about 1,300 bytes per scan, docs/benchmarks.md "Issue
    // 16"); only the hourly prune used it, which now scans the table.
    {"DROP INDEX IF EXISTS records_wall;"},
    // 7: who did it: the person behind a record written through the control
    // socket ("web:alice", "unix:admin"); NULL for scans, automatic closes,
    // device events and commands scanned from a card (docs/control.md, "Actor").
    {"ALTER TABLE records ADD COLUMN actor TEXT;"},
    // 8: a person's print-only action (a reprint, a command card, a test
    // page, the check-in poster) is an `action` record naming the control
    // command and the printer (docs/sync-protocol.md, "action"). A dead
    // letter the server refused as "unknown record type" (an older receiver)
    // names that type and is sent again (docs/sync.md, "Held records"); the
    // ones refused so before this version are found by their reason.
    {R"sql(
ALTER TABLE records ADD COLUMN action TEXT;
ALTER TABLE records ADD COLUMN printer_id TEXT;
ALTER TABLE dead_letters ADD COLUMN unknown_type TEXT;
UPDATE dead_letters SET unknown_type = (SELECT r.type FROM records r WHERE r.seq = dead_letters.seq)
  WHERE reason LIKE 'HTTP 422: unknown record type%';
)sql"},
}};

result<int> user_version(sqlite3* db) {
  auto st = sql::statement::prepare(db, "PRAGMA user_version");
  if (!st) return std::unexpected(st.error());
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  const int v = static_cast<int>(st->int64(0));
  st->reset();
  return v;
}

// A migration that rewrote clear personal data sets meta.scrub_pending: the
// old rows may survive in free pages and in the WAL. VACUUM rebuilds the file
// (secure_delete zeroes what it frees) and the TRUNCATE checkpoint copies the
// WAL back and cuts it to zero bytes. Another connection holding the WAL
// (busy) leaves the mark set: the next open tries again.
result<void> scrub_if_pending(sqlite3* db) {
  {
    auto st = sql::statement::prepare(db, "SELECT 1 FROM meta WHERE key='scrub_pending'");
    if (!st) return std::unexpected(st.error());
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
    st->reset();
  }
  if (auto r = sql::exec(db, "DELETE FROM meta WHERE key='scrub_pending'"); !r) return r;
  if (auto r = sql::exec(db, "VACUUM"); !r) return r;
  auto truncated = truncate_wal(db);
  if (!truncated) return std::unexpected(truncated.error());
  if (!*truncated) return sql::exec(db, "INSERT OR REPLACE INTO meta(key, value) VALUES('scrub_pending', '1')");
  return {};
}

}  // namespace

result<bool> truncate_wal(sqlite3* db) {
  auto st = sql::statement::prepare(db, "PRAGMA wal_checkpoint(TRUNCATE)");
  if (!st) return std::unexpected(st.error());
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  const bool busy = *row && st->int64(0) != 0;
  st->reset();
  return !busy;
}

int latest_version() { return static_cast<int>(migrations.size()); }

result<int> migrate(sqlite3* db, const migration_options& options) {
  auto found = user_version(db);
  if (!found) return found;
  if (*found > latest_version()) {
    return fail(errc::store_unavailable,
                fmt::format("store schema version {} is newer than this ravaod understands ({}): "
                            "install the newer ravaod or restore a matching backup",
                            *found, latest_version()));
  }
  for (int v = *found; v < latest_version(); ++v) {
    const migration& m = migrations[static_cast<std::size_t>(v)];
    // One transaction per step: a failed step leaves the store at the last good version.
    auto tx = sql::transaction::begin_immediate(db);
    if (!tx) return std::unexpected(tx.error());
    result<void> r;
    if (const auto* text = std::get_if<std::string_view>(&m)) {
      r = sql::exec(db, *text);
    } else {
      r = std::get<1>(m)(db, options);
    }
    if (r) r = sql::exec(db, fmt::format("PRAGMA user_version = {}", v + 1));
    if (r) r = tx->commit();
    if (!r) {
      auto e = r.error();
      e.context = fmt::format("migration to schema {} failed: {}", v + 1, e.context);
      return std::unexpected(e);
    }
  }
  if (auto r = scrub_if_pending(db); !r) return std::unexpected(r.error());
  return *found;
}

}  // namespace ravao::schema
