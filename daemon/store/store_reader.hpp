#pragma once
// The store's read side: the queries ravaoctl's answers, the print queue and
// the uploader need. store_reader::open gives a read-only connection
// (query_only): it cannot write by construction, and WAL lets it read while
// the writer commits. store_writer (store/store_writer.hpp) is a reader too,
// over its own connection.
//
// Threading: one thread at a time per object (the connection is opened
// SQLITE_OPEN_NOMUTEX). Every call is a short read; none takes a write lock.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "common/error.hpp"
#include "store/rows.hpp"

namespace ravao {

struct store_connection;  // store/store_connection.hpp, private to store/*.cpp

class store_reader {
 public:
  // A read-only connection to an existing store (created and migrated by the
  // writer): fails when the file is missing.
  static result<store_reader> open(const std::filesystem::path& path,
                                   std::chrono::minutes utc_offset = std::chrono::minutes{420});

  store_reader(store_reader&&) noexcept;
  store_reader& operator=(store_reader&&) noexcept;
  ~store_reader();

  result<std::vector<visit_row>> visits(const visit_filter& f) const;
  result<std::vector<record_row>> records(const record_filter& f) const;
  result<std::vector<counter_row>> counters(const timestamp& now) const;
  result<store_totals> read_totals(const timestamp& now) const;
  store_health health() const;

  // Sync (store/sync.cpp). Records after `after_seq` in seq order, skipping
  // dead-lettered ones: at most max_records, stopping before the JSON would
  // pass max_bytes (always at least one record when any exists).
  result<upload_batch> read_upload_batch(std::int64_t after_seq, std::size_t max_records,
                                         std::size_t max_bytes) const;
  // The held records (dead letters of a type the server did not know; see
  // store_writer::acknowledge) in seq order, bounded as above.
  result<upload_batch> read_held_batch(std::size_t max_records, std::size_t max_bytes) const;
  // Cheap (a handful of indexed lookups): called every few seconds.
  result<ravao::sync_position> sync_position() const;
  // Dead letters in seq order, at most `limit`, with when they were stored.
  result<std::vector<std::pair<dead_letter, std::int64_t>>> dead_letters(int limit) const;
  // The last `days` local days, today first (days without records count 0):
  // scans (records a scan made), visits (opened, or closed without an
  // opening), slips issued.
  result<std::vector<day_count>> daily_counts(const timestamp& now, int days) const;
  // The last `days` local days (today included) by counter, and today's
  // visits by counter and hour (store/summary.cpp). Reads only the records
  // of those days: the first is found by bisection over seq (a few rowid
  // lookups), then one pass over the rest; cost in docs/control.md.
  result<activity_summary> summary(const timestamp& now, int days) const;

  // Print jobs and slips (store/slips.cpp).
  result<std::vector<print_job_row>> jobs(const job_filter& f) const;
  result<std::optional<slip_row>> slip(std::int64_t sequence) const;
  // The sequence the next slip will get (not reserved).
  result<std::int64_t> next_slip_sequence() const;

 protected:
  explicit store_reader(std::unique_ptr<store_connection> s);
  // The connection and what the writer keeps in memory beside it.
  std::unique_ptr<store_connection> impl_;
};

}  // namespace ravao
