#pragma once
// Where the receiver keeps what the gateways send (docs/receiver.md,
// "Storage"): an engine behind one small interface, so that `serve` writes
// and `records`/`stats` read the same way whether the province runs the
// embedded SQLite file (the default: a small province, the demo) or
// PostgreSQL (`--db postgresql://...`, docs/province-scale.md).
//
// What serve needs to ingest (store_batch, store_heartbeat, count_outcome,
// apply_retention) and what records/stats need to read (records, stats),
// with plain structs in and out. One instance is used by one thread at a
// time (store_pool.hpp hands instances to its threads); several instances
// may share one database, also across processes.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "receiver/batch.hpp"

namespace ravao::receiver {

struct ingest_result {
  std::int64_t accepted = 0;    // stored now
  std::int64_t duplicates = 0;  // stored by an earlier request with the same content, discarded now
  std::int64_t stored_through = 0;
  // Seqs stored earlier with other content (a forgery, or a gateway that
  // reused its stream): when not empty, nothing of the batch was stored.
  std::vector<std::int64_t> conflicts;
  std::int64_t group = 1;  // batches committed in the same transaction (store_batches)
};

// A batch waiting to be stored, as the store pool groups them (store_batches).
struct pending_batch {
  std::shared_ptr<const batch> b;
  std::int64_t received_ms = 0;
};

struct record_filter {
  std::optional<std::string> gateway, stream, actor;
  std::int64_t limit = 0;  // 0: all
};

struct stored_record {
  std::string gateway, stream;
  std::int64_t seq = 0;
  std::optional<std::int64_t> derived_wall_ms;
  std::string json;  // the record as received
};

struct stream_stats {
  std::string gateway, stream;
  std::int64_t records = 0, duplicates = 0, highest_seq = 0, last_ms = 0, time_unknown = 0;
};

struct gateway_times {
  std::string gateway;
  std::optional<std::int64_t> last_batch_ms, last_heartbeat_ms;
};

struct outcome_count {
  std::string gateway, outcome;
  std::int64_t count = 0;
};

struct store_stats {
  std::vector<stream_stats> streams;   // by gateway, stream
  std::vector<gateway_times> gateways;
  std::vector<outcome_count> outcomes;  // by gateway, outcome
};

class store {
 public:
  virtual ~store() = default;

  // One transaction: every record inserted unless its key (gateway, stream,
  // seq) is already stored with the same content (a duplicate: byte for
  // byte, or as JSON values ignoring member order and the masks). A key
  // stored with other content is a conflict: nothing of the batch is stored,
  // and the refused copies are kept in `conflicts` (and counted as the
  // outcome "conflict") for the province to investigate.
  virtual result<ingest_result> store_batch(const batch& b, std::int64_t received_ms) = 0;
  // Group commit: several batches, each with the outcome store_batch would
  // give it (out[i] for group[i]), in as few transactions as the engine
  // can. PostgreSQL stores them all in one transaction when every key is
  // new, and else each in its own (a duplicate or conflict in one batch
  // never fails the others). The default stores them one by one.
  virtual std::vector<result<ingest_result>> store_batches(std::span<const pending_batch> group);
  virtual result<void> store_heartbeat(const heartbeat& h, std::int64_t received_ms) = 0;
  // Adds one to the request count of (gateway, outcome); gateway "" when unknown.
  virtual result<void> count_outcome(std::string_view gateway, std::string_view outcome) = 0;
  // Forgets records received before `cutoff_ms` (PostgreSQL: drops whole
  // day partitions; SQLite: deletes rows). Counters in `streams` stay.
  virtual result<void> apply_retention(std::int64_t cutoff_ms) = 0;

  virtual result<std::vector<stored_record>> records(const record_filter& f) = 0;
  virtual result<store_stats> stats() = 0;
};

enum class store_mode { serve, read_only };
// How a PostgreSQL engine loads a batch's rows (bench/receiver_pg_bench.sh
// measured both: docs/province-scale.md).
enum class insert_method { copy, values };

// `where`: a SQLite file path, or a "postgresql://" (or "postgres://") URL.
// serve: creates the schema when missing. read_only: it must exist.
result<std::unique_ptr<store>> open_store(const std::string& where, store_mode m,
                                          insert_method how = insert_method::copy);
inline bool is_postgresql_url(std::string_view where) {
  return where.starts_with("postgresql://") || where.starts_with("postgres://");
}

// derived_wall_ms of a record stamped `at` given a synchronised stamp `anchor` of the same boot.
inline std::int64_t derive_wall_ms(const clock_stamp& anchor, std::int64_t record_boottime_ns) {
  return anchor.wall_ms - (anchor.boottime_ns - record_boottime_ns) / 1'000'000;
}

// The same record, byte for byte or as JSON values (the order of an
// object's members does not count, nor do the masks): a retry, not a conflict.
bool same_content(std::string_view stored, std::string_view received);

}  // namespace ravao::receiver
