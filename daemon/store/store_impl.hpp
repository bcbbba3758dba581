#pragma once
// Private to the store: the state behind store's pimpl, shared by
// store.cpp (open, integrity), apply.cpp (the write path) and queries.cpp.

#include <sqlite3.h>

#include <unordered_map>

#include "store/sqlite.hpp"
#include "store/store.hpp"

namespace ravao {

// The last effective scan of one person (or payload) at one counter, for the
// duplicate window. Kept in memory, seeded at open from the newest records of
// this boot only, so every entry's CLOCK_BOOTTIME is comparable with now.
struct recent_scan {
  std::int64_t boottime_ns = 0;
  std::int64_t visit_id = 0;
};

struct store::impl {
  sqlite3* db = nullptr;
  mode open_mode = mode::read_write;
  std::filesystem::path path;
  std::chrono::minutes utc_offset{420};
  std::int64_t next_seq = 1;
  bool recovered_now = false;
  store_totals totals;
  std::unordered_map<std::string, recent_scan> recent;

  // Write-path statements, prepared once (read_write only).
  sql::statement ins_record, ins_visit, ins_exit_only, find_open_here, find_open_any, close_visit,
      touch_visit, dup_visit, tally_dup, tally_rej, ins_rejected, open_visits;

  ~impl();
  void prepare_write_statements();
  result<void> load_state();
};

std::string recent_key(std::string_view counter_id, const classified_payload& p);

}  // namespace ravao

namespace ravao {
result<store_totals> compute_totals(sqlite3* db, const timestamp& now, std::chrono::minutes utc_offset);
}  // namespace ravao
