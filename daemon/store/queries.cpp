// Read side of the store: totals, listings for ravaoctl, pruning.

#include <fmt/format.h>

#include "store/corrupt_copies.hpp"
#include "store/schema.hpp"
#include "store/store_connection.hpp"

namespace ravao {
namespace {

std::int64_t day_start_ms(std::int64_t wall_ms, std::chrono::minutes utc_offset) {
  return local_day(wall_ms, utc_offset) * 86'400'000 - utc_offset.count() * 60'000;
}

}  // namespace

result<store_totals> compute_totals(sqlite3* db, const timestamp& now, std::chrono::minutes utc_offset) {
  store_totals t;
  t.today = local_day(now.wall_ms, utc_offset);
  const std::int64_t since = day_start_ms(now.wall_ms, utc_offset);
  const std::pair<std::int64_t*, std::string_view> queries[] = {
      {&t.last_seq, "SELECT COALESCE(MAX(seq), 0) + 0 * ?1 FROM records"},
      {&t.open_visits, "SELECT COUNT(*) + 0 * ?1 FROM visits WHERE closed_seq IS NULL"},
      // Exit scans without an entry are visits of today too.
      {&t.visits_today, "SELECT COUNT(*) FROM visits WHERE opened_wall_ms >= ?1 OR "
                        "(opened_wall_ms IS NULL AND closed_wall_ms >= ?1)"},
      {&t.duplicates, "SELECT COALESCE(SUM(duplicates), 0) + 0 * ?1 FROM counter_tallies"},
      {&t.rejected, "SELECT COALESCE(SUM(rejected), 0) + 0 * ?1 FROM counter_tallies"},
  };
  for (const auto& [out, q] : queries) {
    auto v = sql::scalar(db, q, since);
    if (!v) return std::unexpected(v.error());
    *out = *v;
  }
  return t;
}

result<void> store_connection::load_state() {
  auto t = compute_totals(db, now(), utc_offset);
  if (!t) return std::unexpected(t.error());
  totals = *t;
  next_seq = totals.last_seq + 1;
  // Seed the duplicate window from the newest records of this boot, so a
  // restart does not turn a double scan into two events.
  auto st = sql::statement::prepare(db,
      "SELECT counter_id, COALESCE(person_key,''), COALESCE(payload,''), boottime_ns, COALESCE(visit_id,0) "
      "FROM records WHERE seq > ?1 AND boot_id = ?2 AND type NOT IN ('device','slip_issued','declaration','undo') "
      "AND COALESCE(close_reason, '') NOT IN ('max_duration','end_of_day','staff_checkout') ORDER BY seq");
  if (!st) return std::unexpected(st.error());
  st->bind(1, totals.last_seq - 256).bind(2, boot_id());
  while (true) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    // Sealed payloads have no clear text here: only persons (by hash) and
    // ravao's own codes are seeded.
    const std::string person_key = st->text(1), text = st->text(2);
    if (person_key.empty() && text.empty()) continue;
    recent[recent_key(st->text(0), person_key, text)] = recent_scan{st->int64(3), st->int64(4)};
  }
  return {};
}

result<store_totals> store_reader::read_totals(const timestamp& at) const {
  return compute_totals(impl_->db, at, impl_->utc_offset);
}

result<std::vector<visit_row>> store_reader::visits(const visit_filter& f) const {
  auto st = sql::statement::prepare(impl_->db,
      "SELECT id, counter_id, COALESCE(id_masked,''), COALESCE(name_masked,''), opened_wall_ms, closed_wall_ms, "
      "COALESCE(closed_counter_id,''), COALESCE(close_reason,''), opened_synced, duplicates, rescans "
      "FROM visits WHERE (?1 IS NULL OR last_wall_ms >= ?1 OR COALESCE(closed_wall_ms,0) >= ?1) "
      "AND (?2 = '' OR counter_id = ?2 OR closed_counter_id = ?2) "
      "AND (?3 = 0 OR closed_seq IS NULL) ORDER BY id DESC LIMIT ?4");
  if (!st) return std::unexpected(st.error());
  st->bind_opt(1, f.since_wall_ms).bind(2, f.counter_id).bind(3, std::int64_t{f.open_only ? 1 : 0})
      .bind(4, std::int64_t{f.limit});
  std::vector<visit_row> rows;
  while (true) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    visit_row v;
    v.id = st->int64(0);
    v.counter_id = st->text(1);
    v.id_masked = st->text(2);
    v.name_masked = st->text(3);
    v.opened_wall_ms = st->opt_int64(4);
    v.closed_wall_ms = st->opt_int64(5);
    v.closed_counter_id = st->text(6);
    v.close_reason = st->text(7);
    v.opened_clock_synced = st->int64(8) != 0;
    v.duplicates = st->int64(9);
    v.rescans = st->int64(10);
    rows.push_back(std::move(v));
  }
  return rows;
}

result<std::vector<record_row>> store_reader::records(const record_filter& f) const {
  auto st = sql::statement::prepare(impl_->db,
      "SELECT seq, type, counter_id, COALESCE(visit_id,0), COALESCE(payload_kind,''), "
      "COALESCE(id_masked,''), COALESCE(name_masked,''), COALESCE(payload,''), COALESCE(symbology,''), "
      "COALESCE(flags,''), COALESCE(close_reason,''), wall_ms, boot_id, boottime_ns, clock_synced, "
      "sealed IS NOT NULL, ref, COALESCE(actor,''), COALESCE(action,''), COALESCE(printer_id,'') "
      "FROM records WHERE seq > ?1 AND (?2 IS NULL OR wall_ms >= ?2) AND (?3 = '' OR counter_id = ?3) "
      "ORDER BY seq LIMIT ?4");
  if (!st) return std::unexpected(st.error());
  st->bind(1, f.after_seq).bind_opt(2, f.since_wall_ms).bind(3, f.counter_id).bind(4, std::int64_t{f.limit});
  std::vector<record_row> rows;
  while (true) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    record_row r;
    r.seq = st->int64(0);
    r.type = st->text(1);
    r.counter_id = st->text(2);
    r.visit_id = st->int64(3);
    r.payload_kind = st->text(4);
    r.id_masked = st->text(5);
    r.name_masked = st->text(6);
    r.payload = st->text(7);
    r.symbology = st->text(8);
    r.flags = st->text(9);
    r.close_reason = st->text(10);
    r.wall_ms = st->int64(11);
    r.boot_id = st->text(12);
    r.boottime_ns = st->int64(13);
    r.clock_synced = st->int64(14) != 0;
    r.has_sealed = st->int64(15) != 0;
    r.ref = st->opt_int64(16);
    r.actor = st->text(17);
    r.action = st->text(18);
    r.printer_id = st->text(19);
    rows.push_back(std::move(r));
  }
  return rows;
}

result<std::vector<counter_row>> store_reader::counters(const timestamp& at) const {
  const std::int64_t since = day_start_ms(at.wall_ms, impl_->utc_offset);
  auto st = sql::statement::prepare(impl_->db,
      "WITH ids(counter_id) AS (SELECT counter_id FROM visits UNION "
      "SELECT counter_id FROM records WHERE type <> 'device' UNION SELECT counter_id FROM counter_tallies) "
      "SELECT ids.counter_id, "
      "(SELECT COUNT(*) FROM visits v WHERE v.counter_id = ids.counter_id AND v.closed_seq IS NULL), "
      "(SELECT COUNT(*) FROM visits v WHERE (v.counter_id = ids.counter_id AND v.opened_wall_ms >= ?1) "
      "OR (v.closed_counter_id = ids.counter_id AND v.closed_wall_ms >= ?1 AND v.counter_id <> ids.counter_id) "
      "OR (v.counter_id = ids.counter_id AND v.opened_wall_ms IS NULL AND v.closed_wall_ms >= ?1)), "
      "(SELECT COUNT(*) FROM records r WHERE r.counter_id = ids.counter_id AND r.wall_ms >= ?1 AND "
      "r.type <> 'device'), "
      "COALESCE((SELECT duplicates FROM counter_tallies t WHERE t.counter_id = ids.counter_id), 0), "
      "COALESCE((SELECT rejected FROM counter_tallies t WHERE t.counter_id = ids.counter_id), 0), "
      "(SELECT MAX(wall_ms) FROM records r WHERE r.counter_id = ids.counter_id AND r.type <> 'device') "
      "FROM ids ORDER BY ids.counter_id");
  if (!st) return std::unexpected(st.error());
  st->bind(1, since);
  std::vector<counter_row> rows;
  while (true) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    counter_row c;
    c.counter_id = st->text(0);
    c.open_visits = st->int64(1);
    c.visits_today = st->int64(2);
    c.records_today = st->int64(3);
    c.duplicates = st->int64(4);
    c.rejected = st->int64(5);
    c.last_scan_wall_ms = st->opt_int64(6);
    rows.push_back(std::move(c));
  }
  return rows;
}

result<int> store_writer::prune(const timestamp& at, int retention_days) {
  auto& s = *impl_;
  const std::int64_t cutoff = at.wall_ms - std::int64_t{retention_days} * 86'400'000;
  // Each statement is its own transaction: a crash between them loses nothing.
  const std::string_view statements[] = {
      // Acknowledged by the server, not dead-lettered, old; never the newest
      // record (next_seq is MAX(seq) + 1 at open: the stream must not restart).
      "DELETE FROM records WHERE wall_ms < ?1 "
      "AND seq <= (SELECT CAST(value AS INTEGER) FROM meta WHERE key='acked_seq') "
      "AND seq < (SELECT MAX(seq) FROM records) "
      "AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.seq = records.seq)",
      // Closed visits; never the newest (a visit id must not be handed out twice).
      "DELETE FROM visits WHERE closed_seq IS NOT NULL AND closed_wall_ms < ?1 "
      "AND id < (SELECT MAX(id) FROM visits)",
      "DELETE FROM rejected_scans WHERE wall_ms < ?1",
      // Finished print jobs hold masked names (pre-printed slips): local data, same limit.
      "DELETE FROM print_jobs WHERE state IN ('printed','failed','cancelled') AND done_wall_ms < ?1",
  };
  int n = 0;
  for (const auto q : statements) {
    auto st = sql::statement::prepare(s.db, q);
    if (!st) return std::unexpected(st.error());
    st->bind(1, cutoff);
    if (auto r = st->run(); !r) return std::unexpected(r.error());
    n += sqlite3_changes(s.db);
  }
  // secure_delete zeroes the deleted rows, but the WAL keeps earlier
  // versions of their pages until it is emptied. A reader holding it: the
  // next prune empties it. Then the copies of a corrupt store, which hold
  // records (and the hash key) as old as these.
  if (n > 0) {
    if (auto t = schema::truncate_wal(s.db); !t) return std::unexpected(t.error());
  }
  prune_corrupt_copies(s.path, cutoff);
  return n;
}

}  // namespace ravao
