#include "receiver/pg/pg_store.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <tuple>

#include <fmt/format.h>

#include "common/log.hpp"
#include "receiver/pg/loader.hpp"

namespace ravao::receiver {

namespace {

// 2: the SQLite engine's schema 2 (records.actor).
// 3: sites and site_gateways, the province's site table (`sites load`), as
//    SQLite's schema 3; a database of schema 2 gains them, empty (open()).
// 4: records.id, the row id tracing's index pass follows (SQLite's records
//    have had it from the start); a database of schema 2 or 3 gains it.
constexpr int schema_version = 4;
constexpr std::int64_t day_ms = 86'400'000;
// pg_advisory_xact_lock keys: schema creation and partition maintenance run
// in one receiver at a time (CREATE ... IF NOT EXISTS races otherwise).
constexpr std::string_view lock_schema = "SELECT pg_advisory_xact_lock(726101)";
constexpr std::string_view lock_partitions = "SELECT pg_advisory_xact_lock(726102)";
constexpr std::string_view lock_records_shared = "SELECT pg_advisory_xact_lock_shared(726103)";
static_assert(records_settled_lock == 726103);

constexpr std::string_view schema = R"sql(
CREATE TABLE IF NOT EXISTS ravao_schema(version integer NOT NULL);
CREATE TABLE IF NOT EXISTS record_keys(
  gateway text NOT NULL,
  stream text NOT NULL,
  seq bigint NOT NULL,
  received_day date NOT NULL,
  PRIMARY KEY(gateway, stream, seq));
CREATE INDEX IF NOT EXISTS record_keys_by_day ON record_keys(received_day);
CREATE TABLE IF NOT EXISTS records(
  id bigserial NOT NULL,
  gateway text NOT NULL,
  stream text NOT NULL,
  seq bigint NOT NULL,
  type text NOT NULL,
  counter text NOT NULL,
  wall_ms bigint NOT NULL,
  boot_id text NOT NULL,
  boottime_ns bigint NOT NULL,
  clock_synced boolean NOT NULL,
  derived_wall_ms bigint,
  received_ms bigint NOT NULL,
  received_day date NOT NULL,
  json text NOT NULL,
  actor text) PARTITION BY RANGE (received_day);
-- Schema 4 from 2 or 3 (a no-op on a table created above with it).
ALTER TABLE records ADD COLUMN IF NOT EXISTS id bigserial NOT NULL;
CREATE INDEX IF NOT EXISTS records_by_key ON records(gateway, stream, seq);
CREATE INDEX IF NOT EXISTS records_by_id ON records(id);
CREATE INDEX IF NOT EXISTS records_time_unknown ON records(gateway, boot_id) WHERE derived_wall_ms IS NULL;
CREATE INDEX IF NOT EXISTS records_by_actor ON records(actor) WHERE actor IS NOT NULL;
-- A record deleted by hand (a forged row, docs/receiver.md) frees its key,
-- so that the gateway's genuine copy is stored on its next attempt.
CREATE OR REPLACE FUNCTION records_forget_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM record_keys WHERE gateway = OLD.gateway AND stream = OLD.stream AND seq = OLD.seq;
  RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER records_forget_key AFTER DELETE ON records
  FOR EACH ROW EXECUTE FUNCTION records_forget_key();
CREATE TABLE IF NOT EXISTS streams(
  gateway text NOT NULL,
  stream text NOT NULL,
  records bigint NOT NULL,
  duplicates bigint NOT NULL,
  highest_seq bigint NOT NULL,
  first_ms bigint NOT NULL,
  last_ms bigint NOT NULL,
  PRIMARY KEY(gateway, stream));
CREATE TABLE IF NOT EXISTS boot_anchors(
  gateway text NOT NULL,
  boot_id text NOT NULL,
  wall_ms bigint NOT NULL,
  boottime_ns bigint NOT NULL,
  PRIMARY KEY(gateway, boot_id));
CREATE TABLE IF NOT EXISTS gateways(
  gateway text PRIMARY KEY,
  last_batch_ms bigint,
  last_heartbeat_ms bigint,
  last_heartbeat text);
CREATE TABLE IF NOT EXISTS heartbeats(
  id bigserial PRIMARY KEY,
  gateway text NOT NULL,
  stream text NOT NULL,
  received_ms bigint NOT NULL,
  sent_wall_ms bigint NOT NULL,
  json text NOT NULL);
CREATE INDEX IF NOT EXISTS heartbeats_by_gateway ON heartbeats(gateway, id);
CREATE TABLE IF NOT EXISTS conflicts(
  id bigserial PRIMARY KEY,
  gateway text NOT NULL,
  stream text NOT NULL,
  seq bigint NOT NULL,
  received_ms bigint NOT NULL,
  json text NOT NULL);
CREATE TABLE IF NOT EXISTS outcomes(
  gateway text NOT NULL,
  outcome text NOT NULL,
  count bigint NOT NULL,
  PRIMARY KEY(gateway, outcome));
CREATE TABLE IF NOT EXISTS sites(
  site text PRIMARY KEY,
  name text NOT NULL,
  commune text NOT NULL,
  province text NOT NULL,
  population bigint NOT NULL,
  line bigint NOT NULL);
CREATE TABLE IF NOT EXISTS site_gateways(
  gateway text PRIMARY KEY,
  site text NOT NULL REFERENCES sites(site));
)sql";

// The batch's rows, before they are known to be new; dropped with the session.
constexpr std::string_view staging = R"sql(
CREATE TEMP TABLE IF NOT EXISTS staging(
  seq bigint NOT NULL,
  type text NOT NULL,
  counter text NOT NULL,
  wall_ms bigint NOT NULL,
  boot_id text NOT NULL,
  boottime_ns bigint NOT NULL,
  clock_synced boolean NOT NULL,
  derived_wall_ms bigint,
  json text NOT NULL,
  actor text) ON COMMIT DELETE ROWS
)sql";

std::string iso_day(std::int64_t day) {
  const std::chrono::year_month_day d{std::chrono::sys_days{std::chrono::days{day}}};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                     static_cast<unsigned>(d.day()));
}

std::string partition_name(std::int64_t day) {
  auto iso = iso_day(day);
  std::erase(iso, '-');
  return "records_" + iso;
}

// A PostgreSQL array literal of texts ({"a","b\"c"}), for unnest($1::text[]).
std::string text_array(const std::vector<std::string>& values) {
  std::string out = "{";
  for (const auto& v : values) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (const char c : v) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + '}';
}

std::int64_t day_of(std::int64_t ms) { return ms >= 0 ? ms / day_ms : (ms - day_ms + 1) / day_ms; }

result<std::int64_t> stored_version(pg::connection& c) {
  auto v = c.exec("SELECT version FROM ravao_schema");
  if (!v) return std::unexpected(v.error());
  return v->size() == 0 ? 0 : v->int64(0, 0);
}

// Columns as the loaders (loader.hpp) fill them.
constexpr std::string_view staging_columns =
    "(seq, type, counter, wall_ms, boot_id, boottime_ns, clock_synced, derived_wall_ms, json, actor)";
constexpr std::string_view key_columns = "(gateway, stream, seq, received_day)";
constexpr std::string_view record_columns =
    "(gateway, stream, seq, type, counter, wall_ms, boot_id, boottime_ns, clock_synced, derived_wall_ms,"
    " received_ms, received_day, json, actor)";

// The fields of one record from `type` to `derived_wall_ms`, shared by the
// staging table and records.
template <class Sink>
void describe_record(const record_row& rec, const std::optional<std::int64_t>& derived, Sink& out) {
  out.text(rec.type);
  out.text(rec.counter);
  out.number(rec.at.wall_ms);
  out.text(rec.at.boot_id);
  out.number(rec.at.boottime_ns);
  out.text(rec.at.clock_synced ? "t" : "f");
  if (derived) out.number(*derived);
  else out.null();
}

template <class Sink>
void describe_actor(const record_row& rec, Sink& out) {
  if (rec.actor.empty()) out.null();
  else out.text(rec.actor);
}

}  // namespace

result<std::unique_ptr<pg_store>> pg_store::open(const std::string& url, store_mode m, insert_method how) {
  auto c = pg::connection::open(url);
  if (!c) return std::unexpected(c.error());
  std::unique_ptr<pg_store> db(new pg_store(std::move(*c), how));
  if (m == store_mode::read_only) {
    auto exists = db->db_.exec("SELECT to_regclass('ravao_schema') IS NOT NULL");
    if (!exists) return std::unexpected(exists.error());
    auto v = exists->text(0, 0) == "t" ? stored_version(db->db_) : result<std::int64_t>(0);
    if (!v) return std::unexpected(v.error());
    if (*v == 2 || *v == 3) {
      return fail(errc::store_corrupt, fmt::format("{} is a ravao-receiver database of schema {}: start ravao-receiver "
                                                   "serve on it once to bring it to schema {}",
                                                   db->db_.shown(), *v, schema_version));
    }
    if (*v != schema_version) {
      return fail(errc::store_corrupt, fmt::format("{} is not a ravao-receiver database (schema {})",
                                                   db->db_.shown(), schema_version));
    }
    return db;
  }
  // Creation and migration under one advisory lock, in one transaction: a
  // second receiver starting at the same moment waits, then finds the
  // schema current (CREATE ... IF NOT EXISTS made nothing, the version is 3).
  auto tx = pg::transaction::begin(db->db_);
  if (!tx) return std::unexpected(tx.error());
  if (auto r = db->db_.exec(lock_schema); !r) return std::unexpected(r.error());
  if (auto r = db->db_.exec(schema); !r) return std::unexpected(r.error());
  auto v = stored_version(db->db_);
  if (!v) return std::unexpected(v.error());
  if (*v == 0) {
    if (auto r = db->db_.exec("INSERT INTO ravao_schema(version) VALUES($1)", {pg::num(schema_version)}); !r) {
      return std::unexpected(r.error());
    }
  } else if (*v == 2 || *v == 3) {
    // Schema 2 or 3 -> 4: the site tables and records.id, just made above by `schema`.
    if (auto r = db->db_.exec("UPDATE ravao_schema SET version = $1", {pg::num(schema_version)}); !r) {
      return std::unexpected(r.error());
    }
  } else if (*v != schema_version) {
    return fail(errc::store_corrupt, fmt::format("{}: ravao-receiver schema {}, expected {}", db->db_.shown(), *v,
                                                 schema_version));
  }
  if (auto r = tx->commit(); !r) return std::unexpected(r.error());
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  if (auto r = db->ensure_partitions(now); !r) return std::unexpected(r.error());
  return db;
}

result<void> pg_store::ensure_partitions(std::int64_t ms) {
  const auto today = day_of(ms);
  if (partitions_.contains(today) && partitions_.contains(today + 1)) return {};
  auto tx = pg::transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  if (auto r = db_.exec(lock_partitions); !r) return std::unexpected(r.error());
  for (const auto day : {today, today + 1}) {
    const auto sql = fmt::format("CREATE TABLE IF NOT EXISTS {} PARTITION OF records FOR VALUES FROM ('{}') TO ('{}')",
                                 partition_name(day), iso_day(day), iso_day(day + 1));
    if (auto r = db_.exec(sql); !r) return std::unexpected(r.error());
  }
  if (auto r = tx->commit(); !r) return r;
  partitions_.insert({today, today + 1});
  return {};
}

result<void> pg_store::apply_retention(std::int64_t cutoff_ms) {
  const auto cutoff = day_of(cutoff_ms);
  auto tx = pg::transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  if (auto r = db_.exec(lock_partitions); !r) return std::unexpected(r.error());
  auto parts = db_.exec("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                        " WHERE i.inhparent = 'records'::regclass");
  if (!parts) return std::unexpected(parts.error());
  for (int i = 0; i < parts->size(); ++i) {
    const std::string name(parts->text(i, 0));
    // Only the partitions this engine made (records_YYYYMMDD), wholly before the cutoff.
    if (name.size() != 16 || !name.starts_with("records_") || name >= partition_name(cutoff)) continue;
    if (auto r = db_.exec(fmt::format("DROP TABLE {}", name)); !r) return std::unexpected(r.error());
  }
  if (auto r = db_.exec("DELETE FROM record_keys WHERE received_day < $1::date", {iso_day(cutoff)}); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = tx->commit(); !r) return r;
  partitions_.clear();
  return {};
}

result<void> pg_store::anchor(std::string_view gateway, const clock_stamp& sent) {
  if (!sent.clock_synced) return {};
  const std::string g(gateway);
  auto ins = db_.exec("INSERT INTO boot_anchors(gateway, boot_id, wall_ms, boottime_ns) VALUES($1, $2, $3, $4)"
                      " ON CONFLICT(gateway, boot_id) DO NOTHING",
                      {g, sent.boot_id, pg::num(sent.wall_ms), pg::num(sent.boottime_ns)});
  if (!ins) return std::unexpected(ins.error());
  if (ins->affected() == 0) return {};  // this boot was anchored before
  auto up = db_.exec("UPDATE records SET derived_wall_ms = $3::bigint - ($4::bigint - boottime_ns) / 1000000"
                     " WHERE gateway = $1 AND boot_id = $2 AND derived_wall_ms IS NULL",
                     {g, sent.boot_id, pg::num(sent.wall_ms), pg::num(sent.boottime_ns)});
  if (!up) return std::unexpected(up.error());
  return {};
}

// Each record's derived time: its own when its clock was synchronised, else
// from its boot's anchor when the province has one (read once per boot).
result<std::vector<std::optional<std::int64_t>>> pg_store::derived_times(const batch& b) {
  std::map<std::string, std::optional<clock_stamp>, std::less<>> anchors;
  std::vector<std::optional<std::int64_t>> out;
  out.reserve(b.records.size());
  for (const auto& rec : b.records) {
    std::optional<std::int64_t> derived;
    if (rec.at.clock_synced) {
      derived = rec.at.wall_ms;
    } else {
      auto it = anchors.find(rec.at.boot_id);
      if (it == anchors.end()) {
        auto a = db_.exec("SELECT wall_ms, boottime_ns FROM boot_anchors WHERE gateway = $1 AND boot_id = $2",
                          {b.gateway, rec.at.boot_id});
        if (!a) return std::unexpected(a.error());
        std::optional<clock_stamp> found;
        if (a->size() > 0) found = clock_stamp{a->int64(0, 0), rec.at.boot_id, a->int64(0, 1), true};
        it = anchors.emplace(rec.at.boot_id, found).first;
      }
      if (it->second) derived = derive_wall_ms(*it->second, rec.at.boottime_ns);
    }
    out.push_back(derived);
  }
  return out;
}

// The batch's keys into record_keys and its rows into the day's partition,
// straight: no staging, no ON CONFLICT. False when a key was already there
// (nothing kept: the caller rolls back).
result<bool> pg_store::insert_new(const batch& b, const std::vector<std::optional<std::int64_t>>& derived,
                                  std::int64_t received_ms) {
  const auto day = day_of(received_ms);
  const std::string iso = iso_day(day);
  const auto n = b.records.size();
  // Keys first and in seq order: a batch already stored fails at its first
  // row, and two receivers loading overlapping batches lock keys in the same order.
  auto keys = pg::load(db_, how_, "record_keys", key_columns, 4, n, [&](std::size_t i, auto& out) {
    out.text(b.gateway);
    out.text(b.stream);
    out.number(b.records[i].seq);
    out.text(iso);
  });
  if (!keys) {
    if (db_.last_sqlstate() == pg::unique_violation) return false;
    return std::unexpected(keys.error());
  }
  auto rows = pg::load(db_, how_, partition_name(day), record_columns, 14, n, [&](std::size_t i, auto& out) {
    const auto& rec = b.records[i];
    out.text(b.gateway);
    out.text(b.stream);
    out.number(rec.seq);
    describe_record(rec, derived[i], out);
    out.number(received_ms);
    out.text(iso);
    out.text(rec.json);
    describe_actor(rec, out);
  });
  if (!rows) return std::unexpected(rows.error());
  return true;
}

// The batch's rows into the staging table, then only those whose key is
// new into records; keys already stored are compared with their rows.
result<ingest_result> pg_store::insert_checked(const batch& b, const std::vector<std::optional<std::int64_t>>& derived,
                                               std::int64_t received_ms) {
  auto staged = pg::load(db_, how_, "staging", staging_columns, 10, b.records.size(), [&](std::size_t i, auto& out) {
    const auto& rec = b.records[i];
    out.number(rec.seq);
    describe_record(rec, derived[i], out);
    out.text(rec.json);
    describe_actor(rec, out);
  });
  if (!staged) return std::unexpected(staged.error());
  const std::string received = pg::num(received_ms).value();
  const std::string day = iso_day(day_of(received_ms));
  // Keys in seq order: two receivers storing overlapping batches lock them in the same order.
  auto fresh = db_.exec(
      "WITH fresh AS (INSERT INTO record_keys(gateway, stream, seq, received_day)"
      " SELECT $1, $2, seq, $4::date FROM staging ORDER BY seq ON CONFLICT DO NOTHING RETURNING seq)"
      " INSERT INTO records(gateway, stream, seq, type, counter, wall_ms, boot_id, boottime_ns, clock_synced,"
      " derived_wall_ms, received_ms, received_day, json, actor)"
      " SELECT $1, $2, s.seq, s.type, s.counter, s.wall_ms, s.boot_id, s.boottime_ns, s.clock_synced,"
      " s.derived_wall_ms, $3::bigint, $4::date, s.json, s.actor FROM staging s JOIN fresh f ON f.seq = s.seq",
      {b.gateway, b.stream, received, day});
  if (!fresh) return std::unexpected(fresh.error());
  ingest_result out;
  out.accepted = fresh->affected();
  if (out.accepted < static_cast<std::int64_t>(b.records.size())) {
    // A key stored before whose row is gone by now (deleted and committed
    // between the two statements, as a province removing a forged record
    // does; its trigger drops the key too) is neither a duplicate nor a
    // conflict: the batch is refused (503, retried) and stored next time.
    auto rows = db_.exec("SELECT count(*) FROM staging s JOIN records r"
                         " ON r.gateway = $1 AND r.stream = $2 AND r.seq = s.seq",
                         {b.gateway, b.stream});
    if (!rows) return std::unexpected(rows.error());
    if (rows->int64(0, 0) != static_cast<std::int64_t>(b.records.size())) {
      return fail(errc::store_unavailable, "a stored record was deleted while its batch was checked");
    }
    // Keys stored before: the same content is a duplicate, other content a conflict.
    auto differ = db_.exec("SELECT s.seq, r.json, s.json FROM staging s JOIN records r"
                           " ON r.gateway = $1 AND r.stream = $2 AND r.seq = s.seq WHERE r.json <> s.json ORDER BY s.seq",
                           {b.gateway, b.stream});
    if (!differ) return std::unexpected(differ.error());
    for (int i = 0; i < differ->size(); ++i) {
      if (!same_content(differ->text(i, 1), differ->text(i, 2))) out.conflicts.push_back(differ->int64(i, 0));
    }
  }
  return out;
}

result<ingest_result> pg_store::store_batch(const batch& b, std::int64_t received_ms) {
  if (auto r = ensure_partitions(received_ms); !r) return std::unexpected(r.error());
  // Most batches are new: tried first the fast way (insert_new). A batch
  // with a key already stored (a retry after a lost reply, a copy sent
  // through another receiver) fails that attempt at its first such key and
  // is stored again the careful way, in a new transaction.
  auto fast = insert_batch(b, received_ms, true);
  if (fast && !*fast) fast = insert_batch(b, received_ms, false);
  if (!fast) return std::unexpected(fast.error());
  auto& stored = **fast;
  if (stored.conflicts.empty()) return stored;
  if (auto r = keep_conflicts(b, stored.conflicts, received_ms); !r) return std::unexpected(r.error());
  return stored;
}

// One transaction. nullopt (rolled back) when `assume_new` and a key was already stored.
result<std::optional<ingest_result>> pg_store::insert_batch(const batch& b, std::int64_t received_ms, bool assume_new) {
  // The staging table is created in a transaction of its own: created in
  // the batch's, it would vanish with a batch that rolls back (a conflict).
  if (!assume_new && !staging_ready_) {
    if (auto r = db_.exec(staging); !r) return std::unexpected(r.error());
    staging_ready_ = true;
  }
  auto tx = begin_ingest();
  if (!tx) return std::unexpected(tx.error());
  if (auto r = anchor(b.gateway, b.sent); !r) return std::unexpected(r.error());
  auto derived = derived_times(b);
  if (!derived) return std::unexpected(derived.error());
  ingest_result out;
  if (assume_new) {
    auto all_new = insert_new(b, *derived, received_ms);
    if (!all_new) return std::unexpected(all_new.error());
    if (!*all_new) return std::nullopt;  // `tx` rolls back
    out.accepted = static_cast<std::int64_t>(b.records.size());
  } else {
    auto checked = insert_checked(b, *derived, received_ms);
    if (!checked) return std::unexpected(checked.error());
    out = std::move(*checked);
    if (!out.conflicts.empty()) return out;  // not committed: `tx` rolls back
  }
  out.duplicates = static_cast<std::int64_t>(b.records.size()) - out.accepted;
  out.stored_through = b.records.back().seq;
  const std::string received = pg::num(received_ms).value();
  auto s = db_.exec("INSERT INTO streams(gateway, stream, records, duplicates, highest_seq, first_ms, last_ms)"
                    " VALUES($1, $2, $3, $4, $5, $6, $6) ON CONFLICT(gateway, stream) DO UPDATE SET"
                    " records = streams.records + excluded.records,"
                    " duplicates = streams.duplicates + excluded.duplicates,"
                    " highest_seq = greatest(streams.highest_seq, excluded.highest_seq), last_ms = excluded.last_ms",
                    {b.gateway, b.stream, pg::num(out.accepted), pg::num(out.duplicates),
                     pg::num(out.stored_through), received});
  if (!s) return std::unexpected(s.error());
  auto g = db_.exec("INSERT INTO gateways(gateway, last_batch_ms) VALUES($1, $2)"
                    " ON CONFLICT(gateway) DO UPDATE SET last_batch_ms = excluded.last_batch_ms",
                    {b.gateway, received});
  if (!g) return std::unexpected(g.error());
  if (auto r = count_outcome(b.gateway, "stored"); !r) return std::unexpected(r.error());
  if (auto r = tx->commit(); !r) return std::unexpected(r.error());
  return out;
}

// Every transaction that adds records begins here, and takes
// records_settled_lock shared as its first statement (pg_store.hpp).
result<pg::transaction> pg_store::begin_ingest() {
  auto tx = pg::transaction::begin(db_);
  if (!tx) return tx;
  if (auto r = db_.exec(lock_records_shared); !r) return std::unexpected(r.error());
  return tx;
}

std::vector<result<ingest_result>> pg_store::store_batches(std::span<const pending_batch> group) {
  if (group.size() > 1) {
    auto together = insert_group(group);
    if (together) return std::move(*together);
    // Rolled back: nothing of the group is stored. Each batch again, alone,
    // with store_batch's own fallback for keys already stored.
    log::info("receiver.group_split", "a group of batches is stored one batch at a time",
              {{"batches", std::to_string(group.size())}, {"reason", together.error().message()}});
  }
  return store::store_batches(group);
}

result<std::vector<result<ingest_result>>> pg_store::insert_group(std::span<const pending_batch> group) {
  const auto day = day_of(group.front().received_ms);
  for (const auto& p : group) {
    if (day_of(p.received_ms) != day) return fail(errc::store_unavailable, "the group was received on two days");
  }
  if (auto r = ensure_partitions(group.front().received_ms); !r) return std::unexpected(r.error());
  // Locks in one order in every transaction: by (gateway, stream, first seq).
  std::vector<std::size_t> order(group.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::ranges::sort(order, [&](std::size_t x, std::size_t y) {
    const batch& a = *group[x].b;
    const batch& b = *group[y].b;
    return std::tie(a.gateway, a.stream, a.records.front().seq) < std::tie(b.gateway, b.stream, b.records.front().seq);
  });
  auto tx = begin_ingest();
  if (!tx) return std::unexpected(tx.error());
  std::vector<std::vector<std::optional<std::int64_t>>> derived(group.size());
  std::vector<std::pair<std::size_t, std::size_t>> rows;  // (batch, record), in lock order
  for (const auto i : order) {
    const batch& b = *group[i].b;
    if (auto r = anchor(b.gateway, b.sent); !r) return std::unexpected(r.error());
    auto d = derived_times(b);
    if (!d) return std::unexpected(d.error());
    derived[i] = std::move(*d);
    for (std::size_t k = 0; k < b.records.size(); ++k) rows.emplace_back(i, k);
  }
  const std::string iso = iso_day(day);
  auto keys = pg::load(db_, how_, "record_keys", key_columns, 4, rows.size(), [&](std::size_t n, auto& out) {
    const batch& b = *group[rows[n].first].b;
    out.text(b.gateway);
    out.text(b.stream);
    out.number(b.records[rows[n].second].seq);
    out.text(iso);
  });
  if (!keys) {
    if (db_.last_sqlstate() == pg::unique_violation) return fail(errc::store_unavailable, "a key already stored");
    return std::unexpected(keys.error());
  }
  auto loaded = pg::load(db_, how_, partition_name(day), record_columns, 14, rows.size(), [&](std::size_t n, auto& out) {
    const auto& p = group[rows[n].first];
    const auto& rec = p.b->records[rows[n].second];
    out.text(p.b->gateway);
    out.text(p.b->stream);
    out.number(rec.seq);
    describe_record(rec, derived[rows[n].first][rows[n].second], out);
    out.number(p.received_ms);
    out.text(iso);
    out.text(rec.json);
    describe_actor(rec, out);
  });
  if (!loaded) return std::unexpected(loaded.error());
  // streams, gateways and outcomes: one upsert each, a row per key (an
  // upsert may not touch one row twice), in key order.
  struct stream_sum {
    std::int64_t records = 0, highest = 0, last_ms = 0;
  };
  std::map<std::pair<std::string, std::string>, stream_sum> streams;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> gateways;  // last ms, batches
  for (const auto& p : group) {
    auto& st = streams[{p.b->gateway, p.b->stream}];
    st.records += static_cast<std::int64_t>(p.b->records.size());
    st.highest = std::max(st.highest, p.b->records.back().seq);
    st.last_ms = std::max(st.last_ms, p.received_ms);
    auto& g = gateways[p.b->gateway];
    g.first = std::max(g.first, p.received_ms);
    ++g.second;
  }
  std::vector<std::string> sg, ss, gg;
  std::vector<std::int64_t> sn, sh, sm, gm, gc;
  for (const auto& [k, v] : streams) {
    sg.push_back(k.first);
    ss.push_back(k.second);
    sn.push_back(v.records);
    sh.push_back(v.highest);
    sm.push_back(v.last_ms);
  }
  for (const auto& [k, v] : gateways) {
    gg.push_back(k);
    gm.push_back(v.first);
    gc.push_back(v.second);
  }
  auto st = db_.exec("INSERT INTO streams(gateway, stream, records, duplicates, highest_seq, first_ms, last_ms)"
                     " SELECT g, s, n, 0, h, m, m FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[],"
                     " $5::bigint[]) AS u(g, s, n, h, m) ORDER BY g, s ON CONFLICT(gateway, stream) DO UPDATE SET"
                     " records = streams.records + excluded.records,"
                     " highest_seq = greatest(streams.highest_seq, excluded.highest_seq), last_ms = excluded.last_ms",
                     {text_array(sg), text_array(ss), pg::number_array(sn), pg::number_array(sh),
                      pg::number_array(sm)});
  if (!st) return std::unexpected(st.error());
  auto gw = db_.exec("INSERT INTO gateways(gateway, last_batch_ms) SELECT g, m FROM unnest($1::text[], $2::bigint[])"
                     " AS u(g, m) ORDER BY g ON CONFLICT(gateway) DO UPDATE SET last_batch_ms = excluded.last_batch_ms",
                     {text_array(gg), pg::number_array(gm)});
  if (!gw) return std::unexpected(gw.error());
  auto oc = db_.exec("INSERT INTO outcomes(gateway, outcome, count) SELECT g, 'stored', n FROM unnest($1::text[],"
                     " $2::bigint[]) AS u(g, n) ORDER BY g ON CONFLICT(gateway, outcome) DO UPDATE SET"
                     " count = outcomes.count + excluded.count",
                     {text_array(gg), pg::number_array(gc)});
  if (!oc) return std::unexpected(oc.error());
  if (auto r = tx->commit(); !r) return std::unexpected(r.error());
  std::vector<result<ingest_result>> out;
  for (const auto& p : group) {
    ingest_result one;
    one.accepted = static_cast<std::int64_t>(p.b->records.size());
    one.stored_through = p.b->records.back().seq;
    one.group = static_cast<std::int64_t>(group.size());
    out.emplace_back(std::move(one));
  }
  return out;
}

result<void> pg_store::keep_conflicts(const batch& b, const std::vector<std::int64_t>& seqs,
                                      std::int64_t received_ms) {
  auto tx = pg::transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  for (const auto& rec : b.records) {
    if (!std::ranges::binary_search(seqs, rec.seq)) continue;
    auto r = db_.exec("INSERT INTO conflicts(gateway, stream, seq, received_ms, json) VALUES($1, $2, $3, $4, $5)",
                      {b.gateway, b.stream, pg::num(rec.seq), pg::num(received_ms), rec.json});
    if (!r) return std::unexpected(r.error());
  }
  if (auto r = count_outcome(b.gateway, "conflict"); !r) return r;
  return tx->commit();
}

result<void> pg_store::store_heartbeat(const heartbeat& h, std::int64_t received_ms) {
  auto tx = pg::transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  if (auto r = anchor(h.gateway, h.sent); !r) return r;
  auto ins = db_.exec("INSERT INTO heartbeats(gateway, stream, received_ms, sent_wall_ms, json) VALUES($1, $2, $3, $4, $5)",
                      {h.gateway, h.stream, pg::num(received_ms), pg::num(h.sent.wall_ms), h.json});
  if (!ins) return std::unexpected(ins.error());
  auto touch = db_.exec("INSERT INTO gateways(gateway, last_heartbeat_ms, last_heartbeat) VALUES($1, $2, $3)"
                        " ON CONFLICT(gateway) DO UPDATE SET last_heartbeat_ms = excluded.last_heartbeat_ms,"
                        " last_heartbeat = excluded.last_heartbeat",
                        {h.gateway, pg::num(received_ms), h.json});
  if (!touch) return std::unexpected(touch.error());
  if (auto r = count_outcome(h.gateway, "heartbeat"); !r) return r;
  return tx->commit();
}

result<void> pg_store::count_outcome(std::string_view gateway, std::string_view outcome) {
  auto r = db_.exec("INSERT INTO outcomes(gateway, outcome, count) VALUES($1, $2, 1)"
                    " ON CONFLICT(gateway, outcome) DO UPDATE SET count = outcomes.count + 1",
                    {std::string(gateway), std::string(outcome)});
  if (!r) return std::unexpected(r.error());
  return {};
}

result<std::vector<stored_record>> pg_store::records(const record_filter& f) {
  auto q = db_.exec("SELECT gateway, stream, seq, derived_wall_ms, json FROM records"
                    " WHERE ($1::text IS NULL OR gateway = $1) AND ($2::text IS NULL OR stream = $2)"
                    " AND ($3::text IS NULL OR actor = $3)"
                    " ORDER BY gateway COLLATE \"C\", stream COLLATE \"C\", seq LIMIT $4::bigint",
                    {f.gateway, f.stream, f.actor, f.limit == 0 ? std::nullopt : pg::param(pg::num(f.limit))});
  if (!q) return std::unexpected(q.error());
  std::vector<stored_record> out;
  out.reserve(static_cast<std::size_t>(q->size()));
  for (int i = 0; i < q->size(); ++i) {
    out.push_back({std::string(q->text(i, 0)), std::string(q->text(i, 1)), q->int64(i, 2), q->opt_int64(i, 3),
                   std::string(q->text(i, 4))});
  }
  return out;
}

result<store_stats> pg_store::stats() {
  store_stats out;
  auto sq = db_.exec("SELECT s.gateway, s.stream, s.records, s.duplicates, s.highest_seq, s.last_ms,"
                     " (SELECT count(*) FROM records r WHERE r.gateway = s.gateway AND r.stream = s.stream"
                     "  AND r.derived_wall_ms IS NULL)"
                     " FROM streams s ORDER BY s.gateway COLLATE \"C\", s.stream COLLATE \"C\"");
  if (!sq) return std::unexpected(sq.error());
  for (int i = 0; i < sq->size(); ++i) {
    out.streams.push_back({std::string(sq->text(i, 0)), std::string(sq->text(i, 1)), sq->int64(i, 2),
                           sq->int64(i, 3), sq->int64(i, 4), sq->int64(i, 5), sq->int64(i, 6)});
  }
  auto gq = db_.exec("SELECT gateway, last_batch_ms, last_heartbeat_ms FROM gateways");
  if (!gq) return std::unexpected(gq.error());
  for (int i = 0; i < gq->size(); ++i) {
    out.gateways.push_back({std::string(gq->text(i, 0)), gq->opt_int64(i, 1), gq->opt_int64(i, 2)});
  }
  auto oq = db_.exec("SELECT gateway, outcome, count FROM outcomes ORDER BY gateway COLLATE \"C\", outcome COLLATE \"C\"");
  if (!oq) return std::unexpected(oq.error());
  for (int i = 0; i < oq->size(); ++i) {
    out.outcomes.push_back({std::string(oq->text(i, 0)), std::string(oq->text(i, 1)), oq->int64(i, 2)});
  }
  return out;
}

}  // namespace ravao::receiver
