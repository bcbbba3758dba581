#pragma once
// The receiver's SQLite engine (docs/receiver.md, "Storage"): records keyed by
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
#include "common/sqlite.hpp"
#include "receiver/store.hpp"

namespace ravao::receiver {

class sqlite_store final : public store {
 public:
  // serve: creates the file and schema when missing. read_only: the file must exist.
  static result<std::unique_ptr<sqlite_store>> open(const std::filesystem::path& path, store_mode m);
  ~sqlite_store() override;
  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  result<ingest_result> store_batch(const batch& b, std::int64_t received_ms) override;
  result<void> store_heartbeat(const heartbeat& h, std::int64_t received_ms) override;
  result<void> count_outcome(std::string_view gateway, std::string_view outcome) override;
  result<void> apply_retention(std::int64_t cutoff_ms) override;
  result<std::vector<stored_record>> records(const record_filter& f) override;
  result<store_stats> stats() override;

  // The connection, for the readers beside this engine
  // (sqlite_report_queries.hpp, trace_source.hpp); owned by this object, used on its thread.
  sqlite3* handle() const { return db_; }

 private:
  explicit sqlite_store(sqlite3* db) : db_(db) {}
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

}  // namespace ravao::receiver
