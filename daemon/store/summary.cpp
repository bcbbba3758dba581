// The supervisor's summary (docs/control.md, "summary"): visits per hour
// today and per-day counts for the weekly report, from the records.
//
// Cost: records has no index on wall_ms (each one costs every scan's commit
// a page, docs/benchmarks.md "Issue 16"). Records are written in time order
// (seq increases with wall_ms, barring a clock step), so the first record of
// the window is found by bisection over seq, about 20 rowid lookups, and
// only the window's records are read after it, once. A record stamped
// inside the window but written before a backward clock step past its
// start is not counted.

#include <fmt/format.h>

#include <map>

#include "store/store_connection.hpp"

namespace ravao {
namespace {

// The first seq whose record, and every later one (clock steps aside), was
// stamped at or after `wall_ms`; one past the last record when none was.
result<std::int64_t> first_seq_at_or_after(sqlite3* db, std::int64_t wall_ms) {
  auto bounds = sql::statement::prepare(db, "SELECT COALESCE(MIN(seq), 1), COALESCE(MAX(seq), 0) FROM records");
  if (!bounds) return std::unexpected(bounds.error());
  auto row = bounds->step();
  if (!row) return std::unexpected(row.error());
  std::int64_t lo = bounds->int64(0), hi = bounds->int64(1) + 1;
  bounds->reset();
  // The record at or after `seq` (seqs have gaps once old records are pruned
  // around dead letters); its stamp, or nothing past the end.
  auto at = sql::statement::prepare(db, "SELECT wall_ms FROM records WHERE seq >= ?1 ORDER BY seq LIMIT 1");
  if (!at) return std::unexpected(at.error());
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    auto found = at->bind(1, mid).step();
    if (!found) return std::unexpected(found.error());
    const bool before = *found && at->int64(0) < wall_ms;
    at->reset();
    if (before) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

}  // namespace

result<activity_summary> store_reader::summary(const timestamp& now, int days) const {
  auto& s = *impl_;
  activity_summary out;
  if (days <= 0) return out;
  const std::int64_t offset_ms = s.utc_offset.count() * 60'000;
  const std::int64_t today = local_day(now.wall_ms, s.utc_offset);
  const std::int64_t first = today - days + 1;
  for (std::int64_t d = first; d <= today; ++d)
    out.dates.push_back(format_local(d * 86'400'000 - offset_ms, s.utc_offset).substr(0, 10));
  const std::int64_t start = first * 86'400'000 - offset_ms, end = (today + 1) * 86'400'000 - offset_ms;
  auto from = first_seq_at_or_after(s.db, start);
  if (!from) return std::unexpected(from.error());
  // A visit: opened, or an exit without an entry (as daily_counts counts).
  // Duplicates are those of the visits opened that day (a card scanned
  // again within the duplicate window); a code without identity scanned
  // twice is counted only in the counter's running tally.
  auto st = sql::statement::prepare(s.db,
      "SELECT (r.wall_ms + ?4) / 86400000 AS day, ((r.wall_ms + ?4) % 86400000) / 3600000 AS hour, r.counter_id, "
      "SUM(r.type = 'visit_opened' OR (r.type = 'visit_closed' AND r.close_reason = 'exit_without_entry')), "
      "SUM(r.type = 'declaration'), SUM(r.type = 'slip_issued'), SUM(r.type = 'slip_returned'), "
      "SUM(CASE WHEN r.type = 'visit_opened' OR (r.type = 'visit_closed' AND r.close_reason = 'exit_without_entry') "
      "    THEN COALESCE((SELECT v.duplicates FROM visits v WHERE v.id = r.visit_id), 0) ELSE 0 END), "
      "SUM(r.type = 'visit_closed' AND r.close_reason = 'staff_checkout'), COUNT(*) "
      "FROM records r WHERE r.seq >= ?1 AND r.wall_ms >= ?2 AND r.wall_ms < ?3 AND r.type <> 'device' "
      "GROUP BY day, hour, r.counter_id");
  if (!st) return std::unexpected(st.error());
  st->bind(1, *from).bind(2, start).bind(3, end).bind(4, offset_ms);
  std::map<std::pair<std::int64_t, std::string>, day_summary> by_day;
  std::map<std::pair<std::string, int>, std::int64_t> hours;
  while (true) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    const std::int64_t day = st->int64(0);
    const int hour = static_cast<int>(st->int64(1));
    std::string counter = st->text(2);
    const std::int64_t visits = st->int64(3);
    out.records_read += st->int64(9);
    if (day < first || day > today) continue;
    if (day == today && visits > 0) hours[{counter, hour}] += visits;
    auto& d = by_day[{day, counter}];
    d.date = out.dates[static_cast<std::size_t>(day - first)];
    d.counter_id = std::move(counter);
    d.visits += visits;
    d.declarations += st->int64(4);
    d.slips_issued += st->int64(5);
    d.slips_returned += st->int64(6);
    d.duplicates += st->int64(7);
    d.staff_checkouts += st->int64(8);
  }
  for (auto& [key, d] : by_day) out.days.push_back(std::move(d));
  for (const auto& [key, n] : hours) out.today_hours.push_back(hour_count{key.first, key.second, n});
  return out;
}

}  // namespace ravao
