// Hash keys with a bounded life (docs/privacy.md, "Keys"). person_key is
// keyed_hash(key, ID number): it lets an exit find its entry and a repeat
// scan be recognised, without the ID number in clear. A key that lived for
// ever beside the hashes would let whoever copies the file test every ID
// number against every visit ever hashed; so a key is current for one
// period (a local day, or 24 h of uptime without a synchronised clock),
// retires, and is destroyed (store/forget.cpp) once no visit that is open,
// or closed within the undo window, uses it. Matching tries every live key:
// normally one, two around the change of day.
//
// Writer thread only; the table is hash_keys (schema 5, store/schema_v5.cpp).

#include <fmt/format.h>

#include "common/log.hpp"
#include "store/store_connection.hpp"

namespace ravao {

std::string key_period(const timestamp& at, std::chrono::minutes utc_offset) {
  if (at.synced) return fmt::format("day:{}", local_day(at.wall_ms, utc_offset));
  return fmt::format("boot:{}:{}", boot_id(), at.boottime_ns / 86'400'000'000'000);
}

result<void> load_hash_keys(store_connection& s) {
  auto st = sql::statement::prepare(s.db,
      "SELECT id, key, period, COALESCE(retired_boot_id,''), COALESCE(retired_boottime_ns,0) FROM hash_keys "
      "ORDER BY retired_boot_id IS NOT NULL, id DESC");
  if (!st) return std::unexpected(st.error());
  s.hash_keys.clear();
  while (true) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    hash_key k;
    k.id = st->int64(0);
    const std::string_view bytes = st->view(1);
    if (bytes.size() != k.key.size()) return fail(errc::store_corrupt, fmt::format("hash_keys row {} is not 32 bytes", k.id));
    std::copy(bytes.begin(), bytes.end(), k.key.begin());
    k.period = st->text(2);
    k.retired_boot_id = st->text(3);
    k.retired_boottime_ns = st->int64(4);
    s.hash_keys.push_back(std::move(k));
  }
  auto f = sql::scalar(s.db,
      "SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key='hashes_forgotten_through'), 0) + 0 * ?1",
      0);
  if (!f) return std::unexpected(f.error());
  s.forgotten_through = *f;
  return find_hashed_visits(s, 0);
}

result<void> find_hashed_visits(store_connection& s, std::int64_t from) {
  // A rowid range from `from`: visits below it hold no hash (they were
  // forgotten), so this reads only the visits of the last minutes and
  // those still open (at open, once, the whole table).
  auto first = sql::scalar(s.db,
      "SELECT COALESCE((SELECT MIN(id) FROM visits WHERE id >= ?1 AND person_key IS NOT NULL), "
      "(SELECT COALESCE(MAX(id), 0) + 1 FROM visits))",
      from);
  if (!first) return std::unexpected(first.error());
  s.hashed_visits_from = *first;
  return {};
}

result<void> rotate_hash_key(store_connection& s, const timestamp& at) {
  std::string period = key_period(at, s.utc_offset);
  const bool has_current = !s.hash_keys.empty() && s.hash_keys.front().retired_boot_id.empty();
  if (has_current && s.hash_keys.front().period == period) return {};
  hash_key fresh;
  fresh.key = seal::random_hash_key();
  fresh.period = std::move(period);
  auto tx = sql::transaction::begin_immediate(s.db);
  if (!tx) return std::unexpected(tx.error());
  if (has_current) {
    auto up = sql::statement::prepare(s.db,
        "UPDATE hash_keys SET retired_boot_id=?2, retired_boottime_ns=?3, retired_wall_ms=?4 WHERE id=?1");
    if (!up) return std::unexpected(up.error());
    if (auto x = up->bind(1, s.hash_keys.front().id).bind(2, boot_id()).bind(3, at.boottime_ns)
                     .bind(4, at.wall_ms).run(); !x)
      return x;
  }
  auto ins = sql::statement::prepare(s.db, "INSERT INTO hash_keys(key, period, created_wall_ms) VALUES(?1, ?2, ?3)");
  if (!ins) return std::unexpected(ins.error());
  const std::string_view bytes(reinterpret_cast<const char*>(fresh.key.data()), fresh.key.size());
  if (auto x = ins->bind_blob_or_null(1, bytes).bind(2, fresh.period).bind(3, at.wall_ms).run(); !x) return x;
  fresh.id = sqlite3_last_insert_rowid(s.db);
  if (auto c = tx->commit(); !c) return c;
  if (has_current) {
    s.hash_keys.front().retired_boot_id = boot_id();
    s.hash_keys.front().retired_boottime_ns = at.boottime_ns;
  }
  log::info("store.hash_key_rotated", "a new hash key is current; the previous one retires",
            {{"key_id", std::to_string(fresh.id)}, {"period", fresh.period}, {"live_keys", std::to_string(s.hash_keys.size() + 1)}});
  s.hash_keys.insert(s.hash_keys.begin(), std::move(fresh));
  return {};
}

std::vector<std::pair<std::int64_t, std::string>> hashes_of(const store_connection& s, std::string_view id_number) {
  std::vector<std::pair<std::int64_t, std::string>> out;
  out.reserve(s.hash_keys.size());
  for (const auto& k : s.hash_keys) out.emplace_back(k.id, seal::keyed_hash(k.key, id_number));
  return out;
}

std::chrono::milliseconds keep_hashes_for(const visits_config& settings) {
  return std::max<std::chrono::milliseconds>(settings.duplicate_window, undo_window);
}

}  // namespace ravao
