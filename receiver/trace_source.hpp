#pragma once
// What tracing reads from the receiver's store (docs/tracing.md): every SQL
// statement that reads it lives in trace_source.cpp, behind this interface of
// plain structs, so that another engine (PostgreSQL) can sit beside it. It
// only reads: the store is the ingest server's, opened read-only.
//
// Owned by one thread (the trace or index command).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace ravao::receiver {

// One stored record, as tracing needs it. `id` is the store's own increasing
// row id: the index remembers the highest it has indexed.
struct source_record {
  std::int64_t id = 0;
  std::string gateway;
  std::string stream;
  std::int64_t seq = 0;
  std::string type;
  std::string counter;
  std::optional<std::int64_t> derived_wall_ms;  // nullopt: unknown (docs/receiver.md, "Time")
  bool clock_synced = false;
  std::int64_t received_ms = 0;
  std::string json;  // the record as received (sealed still sealed)
};

class trace_source {
 public:
  virtual ~trace_source() = default;
  // Records that make or name visits (visit_opened, visit_closed,
  // slip_issued) with id > after, in id order, at most `limit`.
  virtual result<std::vector<source_record>> visit_records_after(std::int64_t after, std::size_t limit) = 0;
  // The record with this id; nullopt when it is gone (removed by hand).
  virtual result<std::optional<source_record>> record(std::int64_t id) = 0;
  // derived_wall_ms of the record with this id now (a boot's anchor may
  // have arrived since it was indexed).
  virtual result<std::optional<std::int64_t>> derived_time(std::int64_t id) = 0;
};

// The SQLite store of `serve --db`, read-only.
result<std::unique_ptr<trace_source>> open_sqlite_source(const std::filesystem::path& db);

}  // namespace ravao::receiver
