#pragma once
// Versioned schema: PRAGMA user_version is the number of migrations applied.
// Each migration runs in its own transaction; a store newer than this build
// is refused rather than touched. A migration is SQL text or, where rows must
// be rewritten in C++ (sealing clear personal data, schema 3), a function.

#include <sqlite3.h>

#include <optional>

#include "common/error.hpp"
#include "common/seal.hpp"

namespace ravao::schema {

struct migration_options {
  // Schema 3 seals the clear personal data of a schema-2 store to this key;
  // without it such a store is refused (nothing the province needs is dropped).
  std::optional<seal::public_key> province_key;
};

int latest_version();

// Brings the store to latest_version(). Returns the version found before.
// A migration that rewrote clear personal data (meta.scrub_pending) is
// followed by VACUUM and `PRAGMA wal_checkpoint(TRUNCATE)`, so no copy
// survives in free pages or the WAL.
result<int> migrate(sqlite3* db, const migration_options& options = {});

// `PRAGMA wal_checkpoint(TRUNCATE)`: copies the WAL into the file and
// empties it, so pages a delete or rewrite left there go. False when a
// reader held the WAL and it could not be emptied (retry later).
result<bool> truncate_wal(sqlite3* db);

// The page size every store should have: a scan's commit touches ~4 pages
// and each is one WAL frame (page + 24 bytes), so small pages keep the bytes
// written per scan low (docs/benchmarks.md, "Issue 16").
inline constexpr int store_page_size = 1024;

// A store whose pages are not `wanted` bytes (made before 1 KiB pages) is
// rebuilt with them: out of WAL, `PRAGMA page_size`, VACUUM, back to WAL
// (store/page_size.cpp). Crash-safe: VACUUM under the rollback journal is
// one transaction, rolled back at the next open if interrupted, and the next
// open tries again. True when it converted; false when there was nothing to
// do or it could not now (logged, the store works as it is). An error only
// when the store could not return to WAL mode.
result<bool> convert_page_size(sqlite3* db, int wanted);

// Schema 3 (store/schema_v3.cpp): seals and masks what schema 2 kept in
// clear, draws the stream id and the person hash key, adds dead letters.
// Runs inside migrate()'s transaction.
result<void> migrate_to_3(sqlite3* db, const migration_options& options);

// Schema 4 (store/schema_v4.cpp): re-masks the masks earlier versions kept
// (ID masks scaled to the length, names split on any separator) and asks for
// the scrub. Runs inside migrate()'s transaction.
result<void> migrate_to_4(sqlite3* db, const migration_options& options);

// Schema 5 (store/schema_v5.cpp): hash_keys replaces meta.person_hash_key
// (kept, retired, only while an open visit needs it); hashes of closed
// visits and of records cleared; asks for the scrub. Runs inside migrate()'s
// transaction.
result<void> migrate_to_5(sqlite3* db, const migration_options& options);

}  // namespace ravao::schema
