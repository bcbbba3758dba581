#pragma once
// What tracing reads from the receiver's store (docs/tracing.md): every SQL
// statement that reads it lives in trace_source.cpp, behind this interface of
// plain structs; pg/pg_trace_source.cpp answers it from PostgreSQL. It
// only reads: the store is the ingest server's, opened read-only.
//
// Owned by one thread (the trace or index command).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace ravao::receiver {

// One stored record, as tracing needs it. `id` is the store's own increasing
// row id: the index remembers the highest it has indexed, and reads on
// from there up to settled_through().
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
  // An id such that every record with an id at most this one is settled:
  // committed or rolled back, so that no record with such an id can appear
  // later. SQLite: the highest id (one writer at a time). PostgreSQL:
  // the highest id read under the lock that ingest transactions hold
  // shared (ids commit out of order across receivers; docs/tracing.md).
  virtual result<std::int64_t> settled_through() = 0;
  // Records that make or name visits (visit_opened, visit_closed,
  // slip_issued) with after < id <= through, in id order, at most `limit`.
  virtual result<std::vector<source_record>> visit_records_after(std::int64_t after, std::int64_t through,
                                                                 std::size_t limit) = 0;
  // The record with this id; nullopt when it is gone (removed by hand).
  virtual result<std::optional<source_record>> record(std::int64_t id) = 0;
  // The records with these ids, by id; an id that is gone is left out. One
  // query where the engine can (PostgreSQL: one `id = ANY(...)`, so that a
  // trace plans and probes the day partitions once, not once per record);
  // else one record() each.
  virtual result<std::map<std::int64_t, source_record>> records(const std::vector<std::int64_t>& ids);
  // derived_wall_ms of the record with this id now (a boot's anchor may
  // have arrived since it was indexed).
  virtual result<std::optional<std::int64_t>> derived_time(std::int64_t id) = 0;
};

// The store of `serve --db`, read-only: a SQLite file or a postgresql:// URL.
result<std::unique_ptr<trace_source>> open_trace_source(const std::string& where);

}  // namespace ravao::receiver
