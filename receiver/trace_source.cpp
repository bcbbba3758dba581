// The receiver's SQLite store as tracing reads it: the only file with SQL
// on the receiver's SQLite store for tracing (trace_source.hpp); PostgreSQL's
// is pg/pg_trace_source.cpp.

#include "receiver/trace_source.hpp"

#include "receiver/pg/pg_trace_source.hpp"
#include "receiver/sqlite_store.hpp"

namespace ravao::receiver {

namespace {

#define RAVAO_TRACE_COLUMNS \
  "SELECT id, gateway, stream, seq, type, counter, derived_wall_ms, clock_synced, received_ms, json FROM records "

source_record row_of(const sql::statement& q) {
  return {q.int64(0), q.text(1), q.text(2),    q.int64(3),  q.text(4),
          q.text(5),  q.opt_int64(6), q.int64(7) != 0, q.int64(8), q.text(9)};
}

class sqlite_source final : public trace_source {
 public:
  explicit sqlite_source(std::unique_ptr<sqlite_store> db) : db_(std::move(db)) {}

  result<void> prepare() {
    return sql::prepare_members<sqlite_source>(
        db_->handle(), *this,
        {{&sqlite_source::after_, RAVAO_TRACE_COLUMNS
          "WHERE id > ?1 AND id <= ?2 AND type IN ('visit_opened', 'visit_closed', 'slip_issued') ORDER BY id LIMIT ?3"},
         {&sqlite_source::max_, "SELECT coalesce(max(id), 0) FROM records"},
         {&sqlite_source::one_, RAVAO_TRACE_COLUMNS "WHERE id = ?1"},
         {&sqlite_source::time_, "SELECT derived_wall_ms FROM records WHERE id = ?1"}});
  }

  // One writer at a time: a row id is committed in the order it was given.
  result<std::int64_t> settled_through() override {
    auto row = max_.step();
    if (!row) return std::unexpected(row.error());
    const auto through = max_.int64(0);
    max_.reset();
    return through;
  }

  result<std::vector<source_record>> visit_records_after(std::int64_t after, std::int64_t through,
                                                         std::size_t limit) override {
    std::vector<source_record> out;
    after_.bind(1, after).bind(2, through).bind(3, static_cast<std::int64_t>(limit));
    while (true) {
      auto row = after_.step();
      if (!row) return std::unexpected(row.error());
      if (!*row) return out;
      out.push_back(row_of(after_));
    }
  }

  result<std::optional<source_record>> record(std::int64_t id) override {
    one_.bind(1, id);
    auto row = one_.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::nullopt;
    auto r = row_of(one_);
    one_.reset();
    return r;
  }

  result<std::optional<std::int64_t>> derived_time(std::int64_t id) override {
    time_.bind(1, id);
    auto row = time_.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::nullopt;
    auto t = time_.opt_int64(0);
    time_.reset();
    return t;
  }

 private:
  std::unique_ptr<sqlite_store> db_;  // closed after the statements (declared first)
  sql::statement after_, max_, one_, time_;
};

}  // namespace

result<std::map<std::int64_t, source_record>> trace_source::records(const std::vector<std::int64_t>& ids) {
  std::map<std::int64_t, source_record> out;
  for (const auto id : ids) {
    if (out.contains(id)) continue;
    auto rec = record(id);
    if (!rec) return std::unexpected(rec.error());
    if (*rec) out.emplace(id, std::move(**rec));
  }
  return out;
}

result<std::unique_ptr<trace_source>> open_trace_source(const std::string& where) {
  if (is_postgresql_url(where)) return open_pg_trace_source(where);
  auto db = sqlite_store::open(where, store_mode::read_only);
  if (!db) return std::unexpected(db.error());
  auto source = std::make_unique<sqlite_source>(std::move(*db));
  if (auto ok = source->prepare(); !ok) return std::unexpected(ok.error());
  return source;
}

}  // namespace ravao::receiver
