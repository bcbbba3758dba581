#include "receiver/sqlite_store.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include <boost/json/parse.hpp>
#include <fmt/format.h>

namespace ravao::receiver {

namespace {

// 2: records.actor (who asked for the record at the gateway).
// 3: sites and site_gateways, the province's site table (`sites load`).
constexpr int schema_version = 3;

constexpr std::string_view schema = R"sql(
CREATE TABLE IF NOT EXISTS records(
  id INTEGER PRIMARY KEY,
  gateway TEXT NOT NULL,
  stream TEXT NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  counter TEXT NOT NULL,
  wall_ms INTEGER NOT NULL,
  boot_id TEXT NOT NULL,
  boottime_ns INTEGER NOT NULL,
  clock_synced INTEGER NOT NULL,
  derived_wall_ms INTEGER,
  received_ms INTEGER NOT NULL,
  json TEXT NOT NULL,
  actor TEXT,
  UNIQUE(gateway, stream, seq));
CREATE INDEX IF NOT EXISTS records_time_unknown ON records(gateway, boot_id) WHERE derived_wall_ms IS NULL;
CREATE TABLE IF NOT EXISTS streams(
  gateway TEXT NOT NULL,
  stream TEXT NOT NULL,
  records INTEGER NOT NULL,
  duplicates INTEGER NOT NULL,
  highest_seq INTEGER NOT NULL,
  first_ms INTEGER NOT NULL,
  last_ms INTEGER NOT NULL,
  PRIMARY KEY(gateway, stream));
CREATE TABLE IF NOT EXISTS boot_anchors(
  gateway TEXT NOT NULL,
  boot_id TEXT NOT NULL,
  wall_ms INTEGER NOT NULL,
  boottime_ns INTEGER NOT NULL,
  PRIMARY KEY(gateway, boot_id));
CREATE TABLE IF NOT EXISTS gateways(
  gateway TEXT PRIMARY KEY,
  last_batch_ms INTEGER,
  last_heartbeat_ms INTEGER,
  last_heartbeat TEXT);
CREATE TABLE IF NOT EXISTS heartbeats(
  id INTEGER PRIMARY KEY,
  gateway TEXT NOT NULL,
  stream TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  sent_wall_ms INTEGER NOT NULL,
  json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS heartbeats_by_gateway ON heartbeats(gateway, id);
CREATE TABLE IF NOT EXISTS conflicts(
  id INTEGER PRIMARY KEY,
  gateway TEXT NOT NULL,
  stream TEXT NOT NULL,
  seq INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS records_by_actor ON records(actor) WHERE actor IS NOT NULL;
CREATE TABLE IF NOT EXISTS outcomes(
  gateway TEXT NOT NULL,
  outcome TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY(gateway, outcome));
CREATE TABLE IF NOT EXISTS sites(
  site TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  commune TEXT NOT NULL,
  province TEXT NOT NULL,
  population INTEGER NOT NULL,
  line INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS site_gateways(
  gateway TEXT PRIMARY KEY,
  site TEXT NOT NULL REFERENCES sites(site));
)sql";

result<std::int64_t> user_version(sqlite3* db) {
  auto version = sql::statement::prepare(db, "PRAGMA user_version");
  if (!version) return std::unexpected(version.error());
  auto row = version->step();
  if (!row) return std::unexpected(row.error());
  const std::int64_t v = *row ? version->int64(0) : 0;
  version->reset();
  return v;
}

// A database of schema 2 gains the site tables from `schema` (CREATE TABLE
// IF NOT EXISTS), empty until `sites load`: nothing to convert.
// A database of schema 1 gains records.actor, filled from the records a
// newer gateway already sent with one (kept in their JSON).
result<void> upgrade(sqlite3* db) {
  auto v = user_version(db);
  if (!v) return std::unexpected(v.error());
  if (*v != 1) return {};
  return sql::exec(db, R"sql(
BEGIN IMMEDIATE;
ALTER TABLE records ADD COLUMN actor TEXT;
UPDATE records SET actor = json_extract(json, '$.actor') WHERE json_extract(json, '$.actor') IS NOT NULL;
COMMIT;
)sql");
}

}  // namespace

// The same record, byte for byte or as JSON values (the order of an
// object's members does not count): a retry, not a conflict. The masks
// (`name_masked`, `id_masked`) do not count either: they are a display form
// the gateway derives from the sealed data, and an upgrade that re-masks
// (gateway schema 4, issue 18 finding 7) may resend a record whose first
// copy's acknowledgement was lost with the new masks. The stored copy is kept.
bool same_content(std::string_view stored, std::string_view received) {
  if (stored == received) return true;
  boost::system::error_code ec_stored, ec_received;
  auto a = boost::json::parse(stored, ec_stored);
  auto b = boost::json::parse(received, ec_received);
  if (ec_stored || ec_received || !a.is_object() || !b.is_object()) return false;
  for (auto* o : {&a.as_object(), &b.as_object()}) {
    o->erase("name_masked");
    o->erase("id_masked");
  }
  return a == b;
}

result<std::unique_ptr<sqlite_store>> sqlite_store::open(const std::filesystem::path& path, store_mode m) {
  std::error_code fec;
  if (m == store_mode::read_only && !std::filesystem::exists(path, fec)) {
    return fail(errc::not_found, fmt::format("{}: no such receiver database", path.string()));
  }
  sqlite3* raw = nullptr;
  const int flags = m == store_mode::serve ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<sqlite_store> db(new sqlite_store(raw));
  if (rc != SQLITE_OK) return std::unexpected(sql::make_error(raw, rc, "cannot open " + path.string()));
  sqlite3_busy_timeout(raw, 5000);
  if (m == store_mode::read_only) {
    auto version = user_version(raw);
    if (!version) return std::unexpected(version.error());
    if (*version == 1 || *version == 2)
      return fail(errc::store_corrupt, fmt::format("{} is a ravao-receiver database of schema {}: start ravao-receiver "
                                                   "serve on it once to bring it to schema {}", path.string(),
                                                   *version, schema_version));
    if (*version != schema_version) {
      return fail(errc::store_corrupt, fmt::format("{} is not a ravao-receiver database (schema {})", path.string(),
                                                   schema_version));
    }
    return db;
  }
  // A 64 MiB page cache: a batch of 10,000 records dirties several MiB, and
  // a transaction that outgrows the cache spills pages to the WAL mid-way.
  if (auto r = sql::exec(raw, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;"); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = upgrade(raw); !r) return std::unexpected(r.error());
  if (auto r = sql::exec(raw, schema); !r) return std::unexpected(r.error());
  if (auto r = sql::exec(raw, fmt::format("PRAGMA user_version={}", schema_version)); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = db->prepare(); !r) return std::unexpected(r.error());
  return db;
}

sqlite_store::~sqlite_store() {
  // Statements first: sqlite3_close refuses a handle with live statements.
  for (auto* s : {&insert_record_, &find_record_, &insert_conflict_, &find_anchor_, &insert_anchor_, &backfill_,
                  &upsert_stream_, &upsert_outcome_, &touch_batch_, &insert_heartbeat_, &touch_heartbeat_}) {
    *s = sql::statement();
  }
  sqlite3_close(db_);
}

result<void> sqlite_store::prepare() {
  const std::pair<sql::statement sqlite_store::*, std::string_view> statements[] = {
      {&sqlite_store::insert_record_,
       "INSERT INTO records(gateway, stream, seq, type, counter, wall_ms, boot_id, boottime_ns, clock_synced,"
       " derived_wall_ms, received_ms, json, actor) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
       " ON CONFLICT(gateway, stream, seq) DO NOTHING"},
      {&sqlite_store::find_record_, "SELECT json FROM records WHERE gateway = ?1 AND stream = ?2 AND seq = ?3"},
      {&sqlite_store::insert_conflict_,
       "INSERT INTO conflicts(gateway, stream, seq, received_ms, json) VALUES(?1, ?2, ?3, ?4, ?5)"},
      {&sqlite_store::find_anchor_,
       "SELECT wall_ms, boottime_ns FROM boot_anchors WHERE gateway = ?1 AND boot_id = ?2"},
      {&sqlite_store::insert_anchor_,
       "INSERT INTO boot_anchors(gateway, boot_id, wall_ms, boottime_ns) VALUES(?1, ?2, ?3, ?4)"
       " ON CONFLICT(gateway, boot_id) DO NOTHING"},
      {&sqlite_store::backfill_,
       "UPDATE records SET derived_wall_ms = ?3 - (?4 - boottime_ns) / 1000000"
       " WHERE gateway = ?1 AND boot_id = ?2 AND derived_wall_ms IS NULL"},
      {&sqlite_store::upsert_stream_,
       "INSERT INTO streams(gateway, stream, records, duplicates, highest_seq, first_ms, last_ms)"
       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT(gateway, stream) DO UPDATE SET"
       " records = records + excluded.records, duplicates = duplicates + excluded.duplicates,"
       " highest_seq = max(highest_seq, excluded.highest_seq), last_ms = excluded.last_ms"},
      {&sqlite_store::upsert_outcome_,
       "INSERT INTO outcomes(gateway, outcome, count) VALUES(?1, ?2, 1)"
       " ON CONFLICT(gateway, outcome) DO UPDATE SET count = count + 1"},
      {&sqlite_store::touch_batch_,
       "INSERT INTO gateways(gateway, last_batch_ms) VALUES(?1, ?2)"
       " ON CONFLICT(gateway) DO UPDATE SET last_batch_ms = excluded.last_batch_ms"},
      {&sqlite_store::insert_heartbeat_,
       "INSERT INTO heartbeats(gateway, stream, received_ms, sent_wall_ms, json) VALUES(?1, ?2, ?3, ?4, ?5)"},
      {&sqlite_store::touch_heartbeat_,
       "INSERT INTO gateways(gateway, last_heartbeat_ms, last_heartbeat) VALUES(?1, ?2, ?3)"
       " ON CONFLICT(gateway) DO UPDATE SET last_heartbeat_ms = excluded.last_heartbeat_ms,"
       " last_heartbeat = excluded.last_heartbeat"},
  };
  return sql::prepare_members(db_, *this, statements);
}

result<void> sqlite_store::anchor(std::string_view gateway, const clock_stamp& sent) {
  if (!sent.clock_synced) return {};
  insert_anchor_.bind(1, gateway).bind(2, sent.boot_id).bind(3, sent.wall_ms).bind(4, sent.boottime_ns);
  if (auto r = insert_anchor_.run(); !r) return r;
  if (sqlite3_changes(db_) == 0) return {};  // this boot was anchored before
  backfill_.bind(1, gateway).bind(2, sent.boot_id).bind(3, sent.wall_ms).bind(4, sent.boottime_ns);
  return backfill_.run();
}

result<ingest_result> sqlite_store::store_batch(const batch& b, std::int64_t received_ms) {
  auto stored = insert_batch(b, received_ms);
  if (!stored || stored->conflicts.empty()) return stored;
  if (auto r = keep_conflicts(b, stored->conflicts, received_ms); !r) return std::unexpected(r.error());
  return stored;
}

result<void> sqlite_store::keep_conflicts(const batch& b, const std::vector<std::int64_t>& seqs, std::int64_t received_ms) {
  auto tx = sql::transaction::begin_immediate(db_);
  if (!tx) return std::unexpected(tx.error());
  for (const auto& rec : b.records) {
    if (!std::ranges::binary_search(seqs, rec.seq)) continue;
    insert_conflict_.bind(1, b.gateway).bind(2, b.stream).bind(3, rec.seq).bind(4, received_ms).bind(5, rec.json);
    if (auto r = insert_conflict_.run(); !r) return r;
  }
  upsert_outcome_.bind(1, b.gateway).bind(2, "conflict");
  if (auto r = upsert_outcome_.run(); !r) return r;
  return tx->commit();
}

result<ingest_result> sqlite_store::insert_batch(const batch& b, std::int64_t received_ms) {
  auto tx = sql::transaction::begin_immediate(db_);
  if (!tx) return std::unexpected(tx.error());
  ingest_result out;
  const auto body = [&]() -> result<void> {
    if (auto r = anchor(b.gateway, b.sent); !r) return r;
    // Boots seen in this batch: a batch rarely spans more than two.
    std::map<std::string, std::optional<clock_stamp>, std::less<>> anchors;
    const auto anchor_of = [&](const std::string& boot) -> result<std::optional<clock_stamp>> {
      if (const auto it = anchors.find(boot); it != anchors.end()) return it->second;
      find_anchor_.bind(1, b.gateway).bind(2, boot);
      auto row = find_anchor_.step();
      if (!row) return std::unexpected(row.error());
      std::optional<clock_stamp> a;
      if (*row) a = clock_stamp{find_anchor_.int64(0), boot, find_anchor_.int64(1), true};
      find_anchor_.reset();
      anchors.emplace(boot, a);
      return a;
    };
    for (const auto& rec : b.records) {
      std::optional<std::int64_t> derived;
      if (rec.at.clock_synced) {
        derived = rec.at.wall_ms;
      } else {
        auto a = anchor_of(rec.at.boot_id);
        if (!a) return std::unexpected(a.error());
        if (*a) derived = derive_wall_ms(**a, rec.at.boottime_ns);
      }
      insert_record_.bind(1, b.gateway).bind(2, b.stream).bind(3, rec.seq).bind(4, rec.type).bind(5, rec.counter);
      insert_record_.bind(6, rec.at.wall_ms).bind(7, rec.at.boot_id).bind(8, rec.at.boottime_ns);
      insert_record_.bind(9, std::int64_t{rec.at.clock_synced}).bind_opt(10, derived).bind(11, received_ms);
      insert_record_.bind(12, rec.json).bind_text_or_null(13, rec.actor);
      if (auto r = insert_record_.run(); !r) return r;
      if (sqlite3_changes(db_) == 1) {
        ++out.accepted;
        continue;
      }
      find_record_.bind(1, b.gateway).bind(2, b.stream).bind(3, rec.seq);
      auto row = find_record_.step();
      if (!row) return std::unexpected(row.error());
      const bool same = *row && same_content(find_record_.view(0), rec.json);
      find_record_.reset();
      if (!same) out.conflicts.push_back(rec.seq);
    }
    if (!out.conflicts.empty()) return {};  // not committed: `tx` rolls back
    out.duplicates = static_cast<std::int64_t>(b.records.size()) - out.accepted;
    out.stored_through = b.records.back().seq;
    upsert_stream_.bind(1, b.gateway).bind(2, b.stream).bind(3, out.accepted).bind(4, out.duplicates);
    upsert_stream_.bind(5, out.stored_through).bind(6, received_ms);
    if (auto r = upsert_stream_.run(); !r) return r;
    touch_batch_.bind(1, b.gateway).bind(2, received_ms);
    if (auto r = touch_batch_.run(); !r) return r;
    upsert_outcome_.bind(1, b.gateway).bind(2, "stored");
    if (auto r = upsert_outcome_.run(); !r) return r;
    return tx->commit();
  }();
  if (!body) return std::unexpected(body.error());
  return out;
}

result<void> sqlite_store::store_heartbeat(const heartbeat& h, std::int64_t received_ms) {
  auto tx = sql::transaction::begin_immediate(db_);
  if (!tx) return std::unexpected(tx.error());
  const auto body = [&]() -> result<void> {
    if (auto r = anchor(h.gateway, h.sent); !r) return r;
    insert_heartbeat_.bind(1, h.gateway).bind(2, h.stream).bind(3, received_ms).bind(4, h.sent.wall_ms).bind(5, h.json);
    if (auto r = insert_heartbeat_.run(); !r) return r;
    touch_heartbeat_.bind(1, h.gateway).bind(2, received_ms).bind(3, h.json);
    if (auto r = touch_heartbeat_.run(); !r) return r;
    upsert_outcome_.bind(1, h.gateway).bind(2, "heartbeat");
    if (auto r = upsert_outcome_.run(); !r) return r;
    return tx->commit();
  }();
  return body;
}

result<void> sqlite_store::count_outcome(std::string_view gateway, std::string_view outcome) {
  upsert_outcome_.bind(1, gateway).bind(2, outcome);
  return upsert_outcome_.run();
}


result<void> sqlite_store::apply_retention(std::int64_t cutoff_ms) {
  auto del = sql::statement::prepare(db_, "DELETE FROM records WHERE received_ms < ?1");
  if (!del) return std::unexpected(del.error());
  return del->bind(1, cutoff_ms).run();
}

result<std::vector<stored_record>> sqlite_store::records(const record_filter& f) {
  auto q = sql::statement::prepare(db_,
                   "SELECT gateway, stream, seq, derived_wall_ms, json FROM records"
                   " WHERE (?1 IS NULL OR gateway = ?1) AND (?2 IS NULL OR stream = ?2) AND (?4 IS NULL OR actor = ?4)"
                   " ORDER BY gateway, stream, seq LIMIT ?3");
  if (!q) return std::unexpected(q.error());
  if (f.gateway) q->bind(1, *f.gateway);
  if (f.stream) q->bind(2, *f.stream);
  if (f.actor) q->bind(4, *f.actor);
  q->bind(3, f.limit == 0 ? INT64_MAX : f.limit);
  std::vector<stored_record> out;
  while (true) {
    auto row = q->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    out.push_back({q->text(0), q->text(1), q->int64(2), q->opt_int64(3), q->text(4)});
  }
}

result<store_stats> sqlite_store::stats() {
  store_stats out;
  auto sq = sql::statement::prepare(db_,
                    "SELECT s.gateway, s.stream, s.records, s.duplicates, s.highest_seq, s.last_ms,"
                    " (SELECT count(*) FROM records r WHERE r.gateway = s.gateway AND r.derived_wall_ms IS NULL"
                    "  AND r.stream = s.stream)"
                    " FROM streams s ORDER BY s.gateway, s.stream");
  if (!sq) return std::unexpected(sq.error());
  while (true) {
    auto row = sq->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.streams.push_back({sq->text(0), sq->text(1), sq->int64(2), sq->int64(3), sq->int64(4), sq->int64(5),
                           sq->int64(6)});
  }
  auto gq = sql::statement::prepare(db_, "SELECT gateway, last_batch_ms, last_heartbeat_ms FROM gateways");
  if (!gq) return std::unexpected(gq.error());
  while (true) {
    auto row = gq->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.gateways.push_back({gq->text(0), gq->opt_int64(1), gq->opt_int64(2)});
  }
  auto oq = sql::statement::prepare(db_, "SELECT gateway, outcome, count FROM outcomes ORDER BY gateway, outcome");
  if (!oq) return std::unexpected(oq.error());
  while (true) {
    auto row = oq->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.outcomes.push_back({oq->text(0), oq->text(1), oq->int64(2)});
  }
  return out;
}

}  // namespace ravao::receiver
