#pragma once
// The receiver's SQLite file (docs/receiver.md, "Storage"): records keyed by
// UNIQUE(gateway, stream, seq), per-stream counts of what was stored and what
// was discarded as a duplicate, boot anchors that turn unsynchronised record
// times into derived ones, heartbeats, and request outcomes for `stats`.
//
// Owned by one thread (the server's io_context, or a CLI command). WAL with
// synchronous=FULL: a batch's transaction is on disk before store_batch()
// returns, so the caller may reply 200.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>
#include <string_view>

#include "common/error.hpp"
#include "receiver/batch.hpp"
#include "common/sqlite.hpp"

namespace ravao::receiver {

struct ingest_result {
  std::int64_t accepted = 0;    // stored now
  std::int64_t duplicates = 0;  // stored by an earlier request with the same content, discarded now
  std::int64_t stored_through = 0;
  // Seqs stored earlier with other content (a forgery, or a gateway that
  // reused its stream): when not empty, nothing of the batch was stored.
  std::vector<std::int64_t> conflicts;
};

class database {
 public:
  enum class mode { serve, read_only };
  // serve: creates the file and schema when missing. read_only: the file must exist.
  static result<std::unique_ptr<database>> open(const std::filesystem::path& path, mode m);
  ~database();
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  // One transaction: every record inserted unless its key is already stored
  // with the same content (a duplicate). A key stored with other content is
  // a conflict: the whole batch is rolled back, and the refused copies of the
  // conflicting records are kept in the `conflicts` table (and counted as
  // the outcome "conflict") for the province to investigate.
  result<ingest_result> store_batch(const batch& b, std::int64_t received_ms);
  result<void> store_heartbeat(const heartbeat& h, std::int64_t received_ms);
  // Adds one to the request count of (gateway, outcome); gateway "" when unknown.
  result<void> count_outcome(std::string_view gateway, std::string_view outcome);

  sqlite3* handle() const { return db_; }

 private:
  explicit database(sqlite3* db) : db_(db) {}
  result<void> prepare();
  // A synchronised stamp: records its boot's anchor; when it is the boot's
  // first, fills in derived_wall_ms of that boot's earlier unsynced records.
  result<void> anchor(std::string_view gateway, const clock_stamp& sent);
  // store_batch's first transaction; rolled back when there is a conflict.
  result<ingest_result> insert_batch(const batch& b, std::int64_t received_ms);
  result<void> keep_conflicts(const batch& b, const std::vector<std::int64_t>& seqs, std::int64_t received_ms);

  sqlite3* db_ = nullptr;  // closed last, after the statements
  sql::statement insert_record_, find_record_, insert_conflict_, find_anchor_, insert_anchor_, backfill_;
  sql::statement upsert_stream_, upsert_outcome_, touch_batch_;
  sql::statement insert_heartbeat_, touch_heartbeat_;
};

// derived_wall_ms of a record stamped `at` given a synchronised stamp `anchor` of the same boot.
inline std::int64_t derive_wall_ms(const clock_stamp& anchor, std::int64_t record_boottime_ns) {
  return anchor.wall_ms - (anchor.boottime_ns - record_boottime_ns) / 1'000'000;
}

}  // namespace ravao::receiver
