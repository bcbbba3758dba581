// Schema 5: hash keys with a bounded life (issue 16; docs/privacy.md,
// "Keys"). Before it, one key (meta.person_hash_key) lived as long as the
// store, beside the hash of every ID number ever scanned: with the masks, a
// copy of the file gave up each ID number to 10^6 guesses. This migration:
//   1. adds hash_keys (one row per key, store/hash_keys.cpp) and
//      visits.key_id, and the partial index of the visits that still hold a
//      hash;
//   2. keeps the old key only if a visit is open (it must still match its
//      exit): as a retired key, which forget() destroys once those visits
//      are closed; otherwise the key is not carried over at all;
//   3. clears person_key everywhere else: in closed visits and in records
//      (the duplicate window after this one restart is seeded without them);
//   4. deletes meta.person_hash_key and sets meta.scrub_pending, so
//      migrate() then runs VACUUM and truncates the WAL: the old key and the
//      old hashes do not survive in free pages or in the WAL.

#include <array>
#include <span>

#include <fmt/format.h>

#include "common/clock.hpp"
#include "common/seal.hpp"
#include "common/sqlite.hpp"
#include "store/schema.hpp"

namespace ravao::schema {
namespace {

bool from_hex(std::string_view hex, std::span<unsigned char> out) {
  if (hex.size() != out.size() * 2) return false;
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return true;
}

// The old key as a retired hash_keys row, for the open visits hashed with it.
result<void> retire_old_key(sqlite3* db) {
  auto st = sql::statement::prepare(db, "SELECT value FROM meta WHERE key='person_hash_key'");
  if (!st) return std::unexpected(st.error());
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return {};
  std::array<unsigned char, seal::key_bytes> key{};
  const bool ok = from_hex(st->text(0), key);
  st->reset();
  if (!ok) return fail(errc::store_corrupt, "meta.person_hash_key is not 64 hex digits");
  auto open = sql::scalar(db, "SELECT EXISTS(SELECT 1 FROM visits WHERE closed_seq IS NULL AND person_key IS NOT NULL "
                              "AND ?1 = ?1)");
  if (!open) return std::unexpected(open.error());
  if (!*open) return {};
  const timestamp at = now();
  auto ins = sql::statement::prepare(db,
      "INSERT INTO hash_keys(key, period, created_wall_ms, retired_boot_id, retired_boottime_ns, retired_wall_ms) "
      "VALUES(?1, 'schema 4', ?2, ?3, ?4, ?2)");
  if (!ins) return std::unexpected(ins.error());
  const std::string_view bytes(reinterpret_cast<const char*>(key.data()), key.size());
  if (auto x = ins->bind_blob_or_null(1, bytes).bind(2, at.wall_ms).bind(3, boot_id()).bind(4, at.boottime_ns).run();
      !x)
    return x;
  return sql::exec(db, fmt::format("UPDATE visits SET key_id={} WHERE closed_seq IS NULL AND person_key IS NOT NULL",
                                   sqlite3_last_insert_rowid(db)));
}

}  // namespace

result<void> migrate_to_5(sqlite3* db, const migration_options&) {
  if (auto x = sql::exec(db, R"sql(
CREATE TABLE hash_keys (
  id                  INTEGER PRIMARY KEY,
  key                 BLOB NOT NULL,     -- 32 random bytes: person_key = BLAKE2b(key, ID number)
  period              TEXT NOT NULL,     -- what it is current for: day:<local day> | boot:<boot id>:<uptime day>
  created_wall_ms     INTEGER NOT NULL,
  retired_boot_id     TEXT,              -- NULL: the current key
  retired_boottime_ns INTEGER,
  retired_wall_ms     INTEGER
);
-- No index on key_id: each one is one more page in every scan's commit (docs/benchmarks.md,
-- "Issue 16"); forget.cpp reads visits by rowid from store_connection::hashed_visits_from.
ALTER TABLE visits ADD COLUMN key_id INTEGER;  -- the hash key of person_key
)sql"); !x)
    return x;
  if (auto x = retire_old_key(db); !x) return x;
  return sql::exec(db, R"sql(
UPDATE visits SET person_key = NULL WHERE closed_seq IS NOT NULL AND person_key IS NOT NULL;
UPDATE records SET person_key = NULL WHERE person_key IS NOT NULL;
DELETE FROM meta WHERE key = 'person_hash_key';
INSERT OR REPLACE INTO meta(key, value) VALUES('hashes_forgotten_through', (SELECT COALESCE(MAX(seq), 0) FROM records));
INSERT OR REPLACE INTO meta(key, value) VALUES('scrub_pending', '1');
)sql");
}

}  // namespace ravao::schema
