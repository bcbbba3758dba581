#pragma once
// The receiver's PostgreSQL engine (docs/province-scale.md): the tables of
// the SQLite engine (schema 3), with `records` partitioned by the day it was
// received (UTC; partitions created ahead, retention drops whole partitions)
// and the idempotency key in `record_keys` (gateway, stream, seq): a
// partitioned table's unique key must contain the partition key, and a
// gateway's retry often arrives on another day than its first copy.
//
// A batch is one transaction. First assumed new (the usual case): its keys
// are loaded straight into `record_keys` and its rows into the day's
// partition (COPY, or multi-row INSERT: insert_method). When a key is
// already there (unique violation) that transaction rolls back and a second
// one loads the rows into a per-connection staging table, then
// `INSERT INTO record_keys ... ON CONFLICT DO NOTHING RETURNING` picks the
// new keys and only those rows go into `records`; keys already stored are
// compared with the stored JSON (same_content) exactly as the SQLite engine
// does. Safe for several receivers on one database: the key's unique index
// makes a second copy of a batch wait for the first's commit, then find it.
//
// Group commit (store_batches): batches that waited together for a
// connection are stored in one transaction, every key assumed new (one
// COPY into record_keys, one into the day's partition, one upsert each for
// streams, gateways and outcomes). If anything fails (a key already stored,
// a deadlock), it rolls back and each batch is stored as above, alone. Rows
// are locked in one order, by (gateway, stream, seq), in every transaction.
//
// Every transaction that adds records holds records_settled_lock shared
// (first thing): tracing's index pass takes it exclusively for the instant
// it reads max(id), so that every id up to that bound is committed or
// rolled back (docs/tracing.md, "PostgreSQL").
//
// One instance = one connection, used by one thread at a time.

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "receiver/pg/connection.hpp"
#include "receiver/store.hpp"

namespace ravao::receiver {

// The pg_advisory_xact_lock key ingest transactions take shared and the
// index pass exclusive (pg_trace_source.cpp).
inline constexpr std::int64_t records_settled_lock = 726103;

class pg_store final : public store {
 public:
  static result<std::unique_ptr<pg_store>> open(const std::string& url, store_mode m, insert_method how);

  result<ingest_result> store_batch(const batch& b, std::int64_t received_ms) override;
  std::vector<result<ingest_result>> store_batches(std::span<const pending_batch> group) override;
  result<void> store_heartbeat(const heartbeat& h, std::int64_t received_ms) override;
  result<void> count_outcome(std::string_view gateway, std::string_view outcome) override;
  result<void> apply_retention(std::int64_t cutoff_ms) override;
  result<std::vector<stored_record>> records(const record_filter& f) override;
  result<store_stats> stats() override;

  // The partitions of the day of `ms` and of the next day exist (cached).
  result<void> ensure_partitions(std::int64_t ms);
  // The connection, for the PostgreSQL readers beside this engine
  // (pg_report_queries.hpp); owned by this object, used on its thread.
  pg::connection& connection() { return db_; }

 private:
  pg_store(pg::connection c, insert_method how) : db_(std::move(c)), how_(how) {}
  // Every ingest transaction (one batch, or a group) begins here.
  result<pg::transaction> begin_ingest();
  result<void> anchor(std::string_view gateway, const clock_stamp& sent);
  // The whole group in one transaction, or an error and nothing stored.
  result<std::vector<result<ingest_result>>> insert_group(std::span<const pending_batch> group);
  result<std::vector<std::optional<std::int64_t>>> derived_times(const batch& b);
  result<std::optional<ingest_result>> insert_batch(const batch& b, std::int64_t received_ms, bool assume_new);
  result<bool> insert_new(const batch& b, const std::vector<std::optional<std::int64_t>>& derived,
                          std::int64_t received_ms);
  result<ingest_result> insert_checked(const batch& b, const std::vector<std::optional<std::int64_t>>& derived,
                                       std::int64_t received_ms);
  result<void> keep_conflicts(const batch& b, const std::vector<std::int64_t>& seqs, std::int64_t received_ms);

  pg::connection db_;
  insert_method how_;
  bool staging_ready_ = false;
  std::set<std::int64_t> partitions_;  // days (since the epoch) known to have a partition
};

}  // namespace ravao::receiver
