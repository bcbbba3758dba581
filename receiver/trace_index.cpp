#include "receiver/trace_index.hpp"

#include <sodium.h>

#include <algorithm>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace ravao::receiver {
namespace json = boost::json;

namespace {

constexpr int schema_version = 1;

// A visit's time is unknown while a record that made it has no derived time.
#define RAVAO_TIME_UNKNOWN "((in_record IS NOT NULL AND in_ms IS NULL) OR (out_record IS NOT NULL AND out_ms IS NULL))"
#define RAVAO_VISIT_COLUMNS                                                                                       \
  "SELECT id, gateway, stream, visit, counter, in_ms, in_time, out_ms, out_time, in_record, out_record, "        \
  "COALESCE(close_reason, ''), received_ms, COALESCE(person, '') FROM visits "

constexpr std::string_view schema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value NOT NULL);
CREATE TABLE IF NOT EXISTS visits(
  id INTEGER PRIMARY KEY,
  gateway TEXT NOT NULL,
  stream TEXT NOT NULL,
  visit INTEGER NOT NULL,
  counter TEXT NOT NULL,
  person TEXT,
  person_old TEXT,
  in_ms INTEGER, in_time INTEGER NOT NULL DEFAULT 0, in_record INTEGER,
  out_ms INTEGER, out_time INTEGER NOT NULL DEFAULT 0, out_record INTEGER,
  close_reason TEXT,
  received_ms INTEGER NOT NULL,
  UNIQUE(gateway, stream, visit));
CREATE INDEX IF NOT EXISTS visits_by_person ON visits(person) WHERE person IS NOT NULL;
CREATE INDEX IF NOT EXISTS visits_by_person_old ON visits(person_old) WHERE person_old IS NOT NULL;
CREATE INDEX IF NOT EXISTS visits_by_site ON visits(gateway, in_ms);
CREATE INDEX IF NOT EXISTS visits_without_entry ON visits(gateway, out_ms) WHERE in_record IS NULL;
CREATE INDEX IF NOT EXISTS visits_time_unknown ON visits(gateway, received_ms) WHERE )sql" RAVAO_TIME_UNKNOWN R"sql(;
CREATE TABLE IF NOT EXISTS slips(
  gateway TEXT NOT NULL,
  slip INTEGER NOT NULL,
  stream TEXT NOT NULL,
  visit INTEGER NOT NULL,
  PRIMARY KEY(gateway, slip, stream));
CREATE TABLE IF NOT EXISTS audit(
  id INTEGER PRIMARY KEY,
  entry TEXT NOT NULL,
  prev TEXT NOT NULL,
  hash TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql";

// BLAKE2b-256 of `label` keyed with the secret key (seal::keyed_hash).
std::array<unsigned char, seal::key_bytes> derive(const seal::key_pair& keys, std::string_view label) {
  std::string hex = seal::keyed_hash(keys.secret, label);
  std::array<unsigned char, seal::key_bytes> out{};
  sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, nullptr, nullptr);
  sodium_memzero(hex.data(), hex.size());
  return out;
}

time_source time_of(const source_record& r) {
  if (!r.derived_wall_ms) return time_source::unknown;
  return r.clock_synced ? time_source::synced : time_source::derived;
}

struct sealed_person {
  std::string id_number, old_id_number;
};

// The ID numbers sealed in a record; empty when it has none or does not open.
sealed_person person_in(const json::object& rec, seal::batch_opener& opener, index_stats& stats) {
  const auto* sealed = rec.if_contains("sealed");
  if (!sealed || !sealed->is_string()) return {};
  auto box = seal::unbase64(sealed->get_string());
  if (!box) return {};
  ++stats.opened;
  auto plain = opener.open(*box);
  if (!plain) return {};
  boost::system::error_code ec;
  const json::value v = json::parse(*plain, ec);
  if (ec || !v.is_object()) return {};
  sealed_person p;
  if (const auto* id = v.as_object().if_contains("id_number"); id && id->is_string()) p.id_number = id->get_string();
  if (const auto* id = v.as_object().if_contains("old_id_number"); id && id->is_string())
    p.old_id_number = id->get_string();
  return p;
}

std::optional<std::int64_t> int_field(const json::object& rec, std::string_view key) {
  const auto* f = rec.if_contains(key);
  if (f && f->is_int64()) return f->get_int64();
  if (f && f->is_uint64() && f->get_uint64() <= INT64_MAX) return static_cast<std::int64_t>(f->get_uint64());
  return std::nullopt;
}

std::string string_field(const json::object& rec, std::string_view key) {
  const auto* f = rec.if_contains(key);
  return f && f->is_string() ? std::string(f->get_string()) : std::string();
}

result<std::int64_t> meta_int(sqlite3* db, std::string_view key) {
  auto q = sql::statement::prepare(db, "SELECT value FROM meta WHERE key = ?1");
  if (!q) return std::unexpected(q.error());
  q->bind(1, key);
  auto row = q->step();
  if (!row) return std::unexpected(row.error());
  return *row ? q->int64(0) : 0;
}

result<void> set_meta(sqlite3* db, std::string_view key, std::int64_t value) {
  auto q = sql::statement::prepare(db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)");
  if (!q) return std::unexpected(q.error());
  return q->bind(1, key).bind(2, value).run();
}

result<sqlite3*> open_file(const std::filesystem::path& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    auto e = sql::make_error(raw, rc, fmt::format("trace file {}", path.native()));
    sqlite3_close(raw);
    return std::unexpected(e);
  }
  sqlite3_busy_timeout(raw, 5000);
  return raw;
}

}  // namespace

trace_keys trace_keys::derive(const seal::key_pair& keys) {
  return {receiver::derive(keys, "ravao trace index person v1"), receiver::derive(keys, "ravao trace audit v1")};
}

std::string normalise_id_number(std::string_view id) {
  std::string out;
  for (const char c : id) {
    if (c >= '0' && c <= '9') out += c;
    else if (c >= 'a' && c <= 'z') out += static_cast<char>(c - 'a' + 'A');
    else if (c >= 'A' && c <= 'Z') out += c;
  }
  return out;
}

std::string_view name_of(time_source t) {
  switch (t) {
    case time_source::none: return "none";
    case time_source::synced: return "synced";
    case time_source::derived: return "derived";
    case time_source::unknown: return "unknown";
  }
  return "none";
}

trace_index::~trace_index() {
  // Statements before the connection.
  open_visit_ = {}, close_visit_ = {}, add_slip_ = {}, by_person_ = {}, by_slip_ = {}, near_in_ = {};
  near_no_entry_ = {}, near_unknown_ = {}, unknown_ = {}, set_in_time_ = {}, set_out_time_ = {};
  sodium_memzero(keys_.person.data(), keys_.person.size());
  sodium_memzero(keys_.audit.data(), keys_.audit.size());
  sqlite3_close(db_);
}

result<std::unique_ptr<trace_index>> trace_index::open(const std::filesystem::path& path, const trace_keys& keys) {
  auto raw = open_file(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!raw) return std::unexpected(raw.error());
  std::unique_ptr<trace_index> t(new trace_index(*raw));
  t->keys_ = keys;
  // The index's B-trees (by person, by site and time) take inserts in random
  // order: a page cache of 128 MiB keeps a pass over millions of visits
  // off the disk.
  if (auto ok = sql::exec(t->db_, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-131072;"); !ok)
    return std::unexpected(ok.error());
  auto version_q = sql::statement::prepare(t->db_, "PRAGMA user_version");
  if (!version_q) return std::unexpected(version_q.error());
  auto version_row = version_q->step();
  if (!version_row) return std::unexpected(version_row.error());
  const auto version = std::optional<std::int64_t>(*version_row ? version_q->int64(0) : 0);
  version_q->reset();
  if (*version > schema_version)
    return fail(errc::invalid_argument, fmt::format("trace file {}: schema {} is newer than this ravao-receiver ({})",
                                                    path.native(), *version, schema_version));
  if (auto ok = sql::exec(t->db_, schema); !ok) return std::unexpected(ok.error());
  if (auto ok = sql::exec(t->db_, fmt::format("PRAGMA user_version = {}", schema_version)); !ok)
    return std::unexpected(ok.error());
  // Which key pair made the file: a hash under the person key, so that a
  // file is never mixed with hashes under another key.
  const std::string key_id = seal::keyed_hash(keys.person, "key id");
  auto q = sql::statement::prepare(t->db_, "INSERT OR IGNORE INTO meta(key, value) VALUES('key_id', ?1)");
  if (!q) return std::unexpected(q.error());
  if (auto ok = q->bind(1, key_id).run(); !ok) return std::unexpected(ok.error());
  auto check = sql::statement::prepare(t->db_, "SELECT value FROM meta WHERE key = 'key_id'");
  if (!check) return std::unexpected(check.error());
  if (auto row = check->step(); !row || !*row || check->text(0) != key_id)
    return fail(errc::invalid_argument,
                fmt::format("trace file {} was made with another provincial key: use that key, or another --trace-db",
                            path.native()));
  check->reset();
  auto longest = meta_int(t->db_, "longest_ms");
  if (!longest) return std::unexpected(longest.error());
  t->longest_ms_ = *longest;
  if (auto ok = t->prepare(); !ok) return std::unexpected(ok.error());
  return t;
}

result<std::unique_ptr<trace_index>> trace_index::open_read_only(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path))
    return fail(errc::invalid_argument, fmt::format("trace file {}: no such file", path.native()));
  auto raw = open_file(path, SQLITE_OPEN_READONLY);
  if (!raw) return std::unexpected(raw.error());
  return std::unique_ptr<trace_index>(new trace_index(*raw));
}

result<void> trace_index::prepare() {
  return sql::prepare_members<trace_index>(
      db_, *this,
      {{&trace_index::open_visit_,
        "INSERT INTO visits(gateway, stream, visit, counter, person, person_old, in_ms, in_time, in_record,"
        " received_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        " ON CONFLICT(gateway, stream, visit) DO UPDATE SET counter = excluded.counter,"
        " person = COALESCE(excluded.person, person), person_old = COALESCE(excluded.person_old, person_old),"
        " in_ms = excluded.in_ms, in_time = excluded.in_time, in_record = excluded.in_record,"
        " received_ms = MAX(received_ms, excluded.received_ms)"
        " RETURNING in_ms, out_ms"},
       {&trace_index::close_visit_,
        "INSERT INTO visits(gateway, stream, visit, counter, person, person_old, out_ms, out_time, out_record,"
        " close_reason, received_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        " ON CONFLICT(gateway, stream, visit) DO UPDATE SET"
        " person = COALESCE(person, excluded.person), person_old = COALESCE(person_old, excluded.person_old),"
        " out_ms = excluded.out_ms, out_time = excluded.out_time, out_record = excluded.out_record,"
        " close_reason = excluded.close_reason, received_ms = MAX(received_ms, excluded.received_ms)"
        " RETURNING in_ms, out_ms"},
       {&trace_index::add_slip_,
        "INSERT OR IGNORE INTO slips(gateway, slip, stream, visit) VALUES(?1, ?2, ?3, ?4)"},
       {&trace_index::by_person_, RAVAO_VISIT_COLUMNS "WHERE person = ?1 UNION " RAVAO_VISIT_COLUMNS
                                                      "WHERE person_old = ?1"},
       {&trace_index::by_slip_, RAVAO_VISIT_COLUMNS
        "WHERE (gateway, stream, visit) IN (SELECT gateway, stream, visit FROM slips"
        " WHERE slip = ?1 AND (?2 IS NULL OR gateway = ?2))"},
       {&trace_index::near_in_, RAVAO_VISIT_COLUMNS "WHERE gateway = ?1 AND in_ms BETWEEN ?2 AND ?3"},
       {&trace_index::near_no_entry_, RAVAO_VISIT_COLUMNS
        "WHERE gateway = ?1 AND in_record IS NULL AND out_ms BETWEEN ?2 AND ?3"},
       {&trace_index::near_unknown_, RAVAO_VISIT_COLUMNS "WHERE gateway = ?1 AND received_ms >= ?2 AND "
                                                         RAVAO_TIME_UNKNOWN},
       {&trace_index::unknown_,
        "SELECT id, CASE WHEN in_ms IS NULL THEN in_record END, CASE WHEN out_ms IS NULL THEN out_record END"
        " FROM visits WHERE " RAVAO_TIME_UNKNOWN},
       {&trace_index::set_in_time_, "UPDATE visits SET in_ms = ?2, in_time = ?3 WHERE id = ?1"},
       {&trace_index::set_out_time_, "UPDATE visits SET out_ms = ?2, out_time = ?3 WHERE id = ?1"}});
}

std::string trace_index::person_of(std::string_view id_number) const {
  const std::string normal = normalise_id_number(id_number);
  return normal.empty() ? std::string() : seal::keyed_hash(keys_.person, normal);
}

result<void> trace_index::index_one(const source_record& r, seal::batch_opener& opener, index_stats& stats) {
  boost::system::error_code ec;
  json::value v = json::parse(r.json, ec);
  if (ec || !v.is_object()) return {};  // the receiver stores objects only
  const json::object& rec = v.as_object();
  const auto visit = int_field(rec, "visit");
  if (r.type == "slip_issued") {
    const auto slip = int_field(rec, "ref");
    if (!slip || !visit) return {};
    return add_slip_.bind(1, r.gateway).bind(2, *slip).bind(3, r.stream).bind(4, *visit).run();
  }
  if (!visit) return {};
  const std::string reason = string_field(rec, "close_reason");
  const bool opening = r.type == "visit_opened";
  // Only openings and exits without entry name the person; a closing scan
  // carries the same sealed box as far as tracing is concerned.
  sealed_person p;
  if (opening || reason == "exit_without_entry") p = person_in(rec, opener, stats);
  const std::string person = person_of(p.id_number), person_old = person_of(p.old_id_number);
  sql::statement& q = opening ? open_visit_ : close_visit_;
  q.bind(1, r.gateway).bind(2, r.stream).bind(3, *visit).bind(4, r.counter);
  q.bind_text_or_null(5, person).bind_text_or_null(6, person_old);
  q.bind_opt(7, r.derived_wall_ms).bind(8, static_cast<std::int64_t>(time_of(r))).bind(9, r.id);
  if (opening) q.bind(10, r.received_ms);
  else q.bind_text_or_null(10, reason).bind(11, r.received_ms);
  auto row = q.step();
  if (!row) return std::unexpected(row.error());
  if (*row) {
    const auto in = q.opt_int64(0), out = q.opt_int64(1);
    if (in && out) longest_ms_ = std::max(longest_ms_, *out - *in);
    q.reset();
  }
  ++stats.visits;
  return {};
}

result<void> trace_index::retime(trace_source& source, index_stats& stats) {
  struct pending {
    std::int64_t row;
    std::optional<std::int64_t> in, out;
  };
  std::vector<pending> all;
  while (true) {
    auto row = unknown_.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    all.push_back({unknown_.int64(0), unknown_.opt_int64(1), unknown_.opt_int64(2)});
  }
  for (const auto& p : all) {
    bool known = false;
    for (const auto& [record, q] : {std::pair{p.in, &set_in_time_}, std::pair{p.out, &set_out_time_}}) {
      if (!record) continue;
      auto t = source.derived_time(*record);
      if (!t) return std::unexpected(t.error());
      if (!*t) continue;
      const auto derived = static_cast<std::int64_t>(time_source::derived);
      if (auto ok = q->bind(1, p.row).bind(2, **t).bind(3, derived).run(); !ok) return ok;
      known = true;
    }
    if (known) ++stats.retimed;
  }
  return {};
}

result<index_stats> trace_index::index(trace_source& source, const seal::key_pair& keys) {
  seal::batch_opener opener(keys);
  index_stats stats;
  auto indexed = meta_int(db_, "indexed_through");
  if (!indexed) return std::unexpected(indexed.error());
  std::int64_t last = *indexed;
  stats.first_id = last + 1;
  {
    auto tx = sql::transaction::begin_immediate(db_);
    if (!tx) return std::unexpected(tx.error());
    if (auto ok = retime(source, stats); !ok) return std::unexpected(ok.error());
    if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  }
  // Read up to a bound fixed first: every record at or below it is settled
  // (trace_source.hpp), so the watermark never passes a record that would
  // commit later. Records that settle meanwhile are the next pass's.
  auto through = source.settled_through();
  if (!through) return std::unexpected(through.error());
  constexpr std::size_t chunk = 10'000;
  while (true) {
    auto records = source.visit_records_after(last, *through, chunk);
    if (!records) return std::unexpected(records.error());
    if (records->empty()) break;
    auto tx = sql::transaction::begin_immediate(db_);
    if (!tx) return std::unexpected(tx.error());
    for (const auto& r : *records) {
      if (auto ok = index_one(r, opener, stats); !ok) return std::unexpected(ok.error());
      ++stats.read;
      last = r.id;
    }
    if (auto ok = set_meta(db_, "indexed_through", last); !ok) return std::unexpected(ok.error());
    if (auto ok = set_meta(db_, "longest_ms", longest_ms_); !ok) return std::unexpected(ok.error());
    if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  }
  stats.last_id = last;
  return stats;
}

result<std::vector<indexed_visit>> trace_index::rows(sql::statement& q) {
  std::vector<indexed_visit> out;
  while (true) {
    auto row = q.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    indexed_visit v;
    v.row = q.int64(0);
    v.gateway = q.text(1);
    v.stream = q.text(2);
    v.visit = q.int64(3);
    v.counter = q.text(4);
    v.in_ms = q.opt_int64(5);
    v.in_time = static_cast<time_source>(q.int64(6));
    v.out_ms = q.opt_int64(7);
    v.out_time = static_cast<time_source>(q.int64(8));
    v.in_record = q.opt_int64(9);
    v.out_record = q.opt_int64(10);
    v.close_reason = q.text(11);
    v.received_ms = q.int64(12);
    v.person = q.text(13);
    out.push_back(std::move(v));
  }
}

result<std::vector<indexed_visit>> trace_index::visits_of_person(std::string_view person) {
  by_person_.bind(1, person);
  return rows(by_person_);
}

result<std::vector<indexed_visit>> trace_index::visits_of_slip(std::int64_t slip,
                                                               const std::optional<std::string>& gateway) {
  by_slip_.bind(1, slip);
  if (gateway) by_slip_.bind(2, *gateway);
  else by_slip_.bind(2, std::nullopt);
  return rows(by_slip_);
}

result<std::vector<indexed_visit>> trace_index::visits_near(std::string_view gateway, std::int64_t from,
                                                            std::int64_t to, std::int64_t lookback) {
  near_in_.bind(1, gateway).bind(2, from - lookback).bind(3, to);
  auto all = rows(near_in_);
  if (!all) return all;
  near_no_entry_.bind(1, gateway).bind(2, from).bind(3, to);
  auto no_entry = rows(near_no_entry_);
  if (!no_entry) return no_entry;
  near_unknown_.bind(1, gateway).bind(2, from);
  auto unknown = rows(near_unknown_);
  if (!unknown) return unknown;
  for (auto* more : {&*no_entry, &*unknown})
    for (auto& v : *more)
      if (std::none_of(all->begin(), all->end(), [&](const indexed_visit& a) { return a.row == v.row; }))
        all->push_back(std::move(v));
  return all;
}

}  // namespace ravao::receiver
