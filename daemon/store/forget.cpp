// Forgetting by design (docs/privacy.md, "Keys" and "Threat model"): what
// the store no longer needs of a person goes, on the writer thread, from the
// periodic expiry task (no wake-up of its own), in bounded transactions:
//   1. person_key of records and of closed visits, once older than
//      keep_hashes_for() (the duplicate and undo windows), in seq order
//      (meta.hashes_forgotten_through);
//   2. masks of records the province acknowledged, once not of today, and
//      of visits closed before today (off the staff's list of today);
//   3. retired hash keys no live hash uses any more (secure_delete);
//   4. then a TRUNCATE checkpoint, so the WAL keeps no earlier copy of a
//      page the steps above rewrote.

#include <string.h>  // explicit_bzero

#include <fmt/format.h>

#include "common/log.hpp"
#include "store/schema.hpp"
#include "store/store_connection.hpp"

namespace ravao {
namespace {

// Records looked at per transaction: bounds how long scans wait.
constexpr std::int64_t batch_records = 2048;
// Transactions per call: a backlog (a burst, a first start after the
// upgrade) is worked off over a few calls rather than in one long stall.
constexpr int max_batches = 16;

result<void> set_meta(sqlite3* db, std::string_view key, std::int64_t value) {
  auto st = sql::statement::prepare(db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)");
  if (!st) return std::unexpected(st.error());
  return st->bind(1, key).bind(2, fmt::format("{}", value)).run();
}

// The seq one below the first record in (from, upper] that `young_sql`
// (?1 from, ?2 upper, ?3 and on: its own) finds; `upper` when none.
template <class Bind>
result<std::int64_t> prefix_end(sqlite3* db, std::string_view young_sql, std::int64_t from, std::int64_t upper,
                                Bind bind_rest) {
  auto st = sql::statement::prepare(db, young_sql);
  if (!st) return std::unexpected(st.error());
  st->bind(1, from).bind(2, upper);
  bind_rest(*st);
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  const std::optional<std::int64_t> first = *row ? st->opt_int64(0) : std::nullopt;
  st->reset();
  return first ? *first - 1 : upper;
}

// Step 1, one batch. Returns the rows changed; `more`: a backlog remains.
result<int> forget_hashes(store_connection& s, const timestamp& now, std::int64_t keep_ns, bool& more) {
  more = false;
  const std::int64_t from = s.forgotten_through;
  const std::int64_t upper = std::min(from + batch_records, s.next_seq - 1);
  if (upper <= from) return 0;
  // Records are in seq order; a record of this boot younger than the
  // window ends the prefix that may be forgotten (expiry records are
  // back-dated, so the first young one, not the last old one, decides).
  auto through = prefix_end(s.db,
      "SELECT MIN(seq) FROM records WHERE seq > ?1 AND seq <= ?2 AND boot_id = ?3 AND boottime_ns > ?4",
      from, upper, [&](sql::statement& st) { st.bind(3, boot_id()).bind(4, now.boottime_ns - keep_ns); });
  if (!through) return std::unexpected(through.error());
  if (*through <= from) return 0;
  auto tx = sql::transaction::begin_immediate(s.db);
  if (!tx) return std::unexpected(tx.error());
  int n = 0;
  auto records = sql::statement::prepare(
      s.db, "UPDATE records SET person_key=NULL WHERE seq > ?1 AND seq <= ?2 AND person_key IS NOT NULL");
  if (!records) return std::unexpected(records.error());
  if (auto x = records->bind(1, from).bind(2, *through).run(); !x) return std::unexpected(x.error());
  n += sqlite3_changes(s.db);
  // Visits from the first one that may hold a hash (a rowid range, no index).
  auto visits = sql::statement::prepare(
      s.db, "UPDATE visits SET person_key=NULL, key_id=NULL "
            "WHERE id >= ?1 AND person_key IS NOT NULL AND closed_seq IS NOT NULL AND closed_seq <= ?2");
  if (!visits) return std::unexpected(visits.error());
  if (auto x = visits->bind(1, s.hashed_visits_from).bind(2, *through).run(); !x) return std::unexpected(x.error());
  n += sqlite3_changes(s.db);
  if (auto x = set_meta(s.db, "hashes_forgotten_through", *through); !x) return std::unexpected(x.error());
  if (auto c = tx->commit(); !c) return std::unexpected(c.error());
  s.forgotten_through = *through;
  if (auto w = find_hashed_visits(s, s.hashed_visits_from); !w) return std::unexpected(w.error());
  more = *through == upper && upper < s.next_seq - 1;
  return n;
}

// Step 2: masks no one needs any more. Records: acknowledged and written
// before today (meta.masks_forgotten_through, in seq order); visits: closed
// before today, looked for once per local day (`masks_day`).
result<int> forget_masks(store_connection& s, const timestamp& now, bool& more) {
  more = false;
  const std::int64_t today = local_day(now.wall_ms, s.utc_offset);
  const std::int64_t day_start = today * 86'400'000 - s.utc_offset.count() * 60'000;
  auto from = sql::scalar(s.db,
      "SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key='masks_forgotten_through'), 0) + 0 * ?1", 0);
  if (!from) return std::unexpected(from.error());
  auto acked = sql::scalar(s.db,
      "SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key='acked_seq'), 0) + 0 * ?1", 0);
  if (!acked) return std::unexpected(acked.error());
  const std::int64_t upper = std::min(*from + batch_records, *acked);
  std::int64_t through = *from;
  if (upper > *from) {
    auto end = prefix_end(s.db, "SELECT MIN(seq) FROM records WHERE seq > ?1 AND seq <= ?2 AND wall_ms >= ?3",
                          *from, upper, [&](sql::statement& st) { st.bind(3, day_start); });
    if (!end) return std::unexpected(end.error());
    through = *end;
  }
  const bool visits_due = s.masks_day != today;
  if (through <= *from && !visits_due) return 0;
  auto tx = sql::transaction::begin_immediate(s.db);
  if (!tx) return std::unexpected(tx.error());
  int n = 0;
  if (through > *from) {
    auto st = sql::statement::prepare(s.db,
        "UPDATE records SET name_masked=NULL, id_masked=NULL WHERE seq > ?1 AND seq <= ?2 "
        "AND (name_masked IS NOT NULL OR id_masked IS NOT NULL)");
    if (!st) return std::unexpected(st.error());
    if (auto x = st->bind(1, *from).bind(2, through).run(); !x) return std::unexpected(x.error());
    n += sqlite3_changes(s.db);
    if (auto x = set_meta(s.db, "masks_forgotten_through", through); !x) return std::unexpected(x.error());
  }
  if (visits_due) {
    auto st = sql::statement::prepare(s.db,
        "UPDATE visits SET name_masked=NULL, id_masked=NULL WHERE closed_seq IS NOT NULL "
        "AND COALESCE(closed_wall_ms, last_wall_ms) < ?1 AND (name_masked IS NOT NULL OR id_masked IS NOT NULL)");
    if (!st) return std::unexpected(st.error());
    if (auto x = st->bind(1, day_start).run(); !x) return std::unexpected(x.error());
    n += sqlite3_changes(s.db);
  }
  if (auto c = tx->commit(); !c) return std::unexpected(c.error());
  if (visits_due) s.masks_day = today;
  more = through == upper && upper < *acked;
  return n;
}

// Step 3: a retired key goes once the window since it retired has passed
// (hashes it made may still be needed for a duplicate) and no visit's
// person_key is its hash.
result<int> destroy_keys(store_connection& s, const timestamp& now, std::int64_t keep_ns) {
  int n = 0;
  for (auto it = s.hash_keys.begin(); it != s.hash_keys.end();) {
    const bool retired_long_ago = !it->retired_boot_id.empty() &&
        (it->retired_boot_id != boot_id() || now.boottime_ns - it->retired_boottime_ns >= keep_ns);
    if (!retired_long_ago) {
      ++it;
      continue;
    }
    auto used = sql::scalar(s.db,
        fmt::format("SELECT EXISTS(SELECT 1 FROM visits WHERE id >= {} AND key_id=?1 AND person_key IS NOT NULL)",
                    s.hashed_visits_from),
        it->id);
    if (!used) return std::unexpected(used.error());
    if (*used) {
      ++it;
      continue;
    }
    auto st = sql::statement::prepare(s.db, "DELETE FROM hash_keys WHERE id=?1");
    if (!st) return std::unexpected(st.error());
    if (auto x = st->bind(1, it->id).run(); !x) return std::unexpected(x.error());
    log::info("store.hash_key_destroyed", "a retired hash key was destroyed: the hashes it made can no longer be tested",
              {{"key_id", std::to_string(it->id)}, {"period", it->period}});
    explicit_bzero(it->key.data(), it->key.size());
    it = s.hash_keys.erase(it);
    ++n;
  }
  return n;
}

}  // namespace

result<int> store_writer::forget(const timestamp& now, const visits_config& settings) {
  auto& s = *impl_;
  const std::int64_t keep_ns = std::chrono::nanoseconds(keep_hashes_for(settings)).count();
  int changed = 0;
  bool more = true;
  for (int i = 0; i < max_batches && more; ++i) {
    auto n = forget_hashes(s, now, keep_ns, more);
    if (!n) return std::unexpected(n.error());
    changed += *n;
  }
  more = true;
  for (int i = 0; i < max_batches && more; ++i) {
    auto n = forget_masks(s, now, more);
    if (!n) return std::unexpected(n.error());
    changed += *n;
  }
  auto keys = destroy_keys(s, now, keep_ns);
  if (!keys) return std::unexpected(keys.error());
  changed += *keys;
  // The duplicate window's memory holds hashes too: none older than the window.
  const auto window_ns = std::chrono::nanoseconds(settings.duplicate_window).count();
  std::erase_if(s.recent, [&](const auto& kv) { return now.boottime_ns - kv.second.boottime_ns >= window_ns; });
  // A reader holding the WAL: the next call (or prune) empties it.
  if (changed > 0 || s.wal_dirty) {
    auto t = schema::truncate_wal(s.db);
    if (!t) return std::unexpected(t.error());
    s.wal_dirty = !*t;
  }
  return changed;
}

}  // namespace ravao
