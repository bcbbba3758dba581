// The receiver's PostgreSQL store as tracing reads it: the only file with
// SQL on that store for tracing (pg_trace_source.hpp).

#include "receiver/pg/pg_trace_source.hpp"

#include <fmt/format.h>

#include "receiver/pg/pg_store.hpp"

namespace ravao::receiver {

namespace {

#define RAVAO_PG_TRACE_COLUMNS \
  "SELECT id, gateway, stream, seq, type, counter, derived_wall_ms, clock_synced, received_ms, json FROM records "

source_record row_of(const pg::rows& q, int i) {
  return {q.int64(i, 0),        std::string(q.text(i, 1)), std::string(q.text(i, 2)), q.int64(i, 3),
          std::string(q.text(i, 4)), std::string(q.text(i, 5)), q.opt_int64(i, 6),   q.text(i, 7) == "t",
          q.int64(i, 8),        std::string(q.text(i, 9))};
}

class pg_source final : public trace_source {
 public:
  explicit pg_source(std::unique_ptr<pg_store> db) : store_(std::move(db)), db_(store_->connection()) {}

  // The exclusive lock waits for the ingest transactions in flight (each
  // holds it shared from its start, pg_store.cpp) and holds new ones back
  // for as long as max(id) takes: none is open, so every id handed out so
  // far is committed or rolled back. An ingest transaction that starts
  // after takes its ids from the sequence after this bound (nextval
  // increases across sessions: the sequence's cache is 1, its default).
  result<std::int64_t> settled_through() override {
    auto tx = pg::transaction::begin(db_);
    if (!tx) return std::unexpected(tx.error());
    if (auto r = db_.exec(fmt::format("SELECT pg_advisory_xact_lock({})", records_settled_lock)); !r)
      return std::unexpected(r.error());
    auto q = db_.exec("SELECT coalesce(max(id), 0) FROM records");
    if (!q) return std::unexpected(q.error());
    const auto through = q->int64(0, 0);
    if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
    return through;
  }

  result<std::vector<source_record>> visit_records_after(std::int64_t after, std::int64_t through,
                                                         std::size_t limit) override {
    auto q = db_.exec(RAVAO_PG_TRACE_COLUMNS
                      "WHERE id > $1::bigint AND id <= $2::bigint"
                      " AND type IN ('visit_opened', 'visit_closed', 'slip_issued') ORDER BY id LIMIT $3::bigint",
                      {pg::num(after), pg::num(through), pg::num(static_cast<std::int64_t>(limit))});
    if (!q) return std::unexpected(q.error());
    std::vector<source_record> out;
    out.reserve(static_cast<std::size_t>(q->size()));
    for (int i = 0; i < q->size(); ++i) out.push_back(row_of(*q, i));
    return out;
  }

  result<std::optional<source_record>> record(std::int64_t id) override {
    auto q = db_.exec(RAVAO_PG_TRACE_COLUMNS "WHERE id = $1::bigint", {pg::num(id)});
    if (!q) return std::unexpected(q.error());
    if (q->size() == 0) return std::nullopt;
    return row_of(*q, 0);
  }

  // One statement for the whole answer: planned once, each day partition's
  // id index probed once with every id (a lookup per id planned and probed
  // every partition each time: 273 ms median per trace at 14 days).
  result<std::map<std::int64_t, source_record>> records(const std::vector<std::int64_t>& ids) override {
    std::map<std::int64_t, source_record> out;
    if (ids.empty()) return out;
    auto q = db_.exec(RAVAO_PG_TRACE_COLUMNS "WHERE id = ANY($1::bigint[])", {pg::number_array(ids)});
    if (!q) return std::unexpected(q.error());
    for (int i = 0; i < q->size(); ++i) {
      auto r = row_of(*q, i);
      const auto id = r.id;
      out.emplace(id, std::move(r));
    }
    return out;
  }

  result<std::optional<std::int64_t>> derived_time(std::int64_t id) override {
    auto q = db_.exec("SELECT derived_wall_ms FROM records WHERE id = $1::bigint", {pg::num(id)});
    if (!q) return std::unexpected(q.error());
    if (q->size() == 0) return std::nullopt;
    return q->opt_int64(0, 0);
  }

 private:
  std::unique_ptr<pg_store> store_;  // owns the connection
  pg::connection& db_;
};

}  // namespace

result<std::unique_ptr<trace_source>> open_pg_trace_source(const std::string& url) {
  auto db = pg_store::open(url, store_mode::read_only, insert_method::copy);
  if (!db) return std::unexpected(db.error());
  // A standby cannot tell which of the primary's ingest transactions are
  // still open (advisory locks are per server): its max(id) is no bound.
  auto standby = (*db)->connection().exec("SELECT pg_is_in_recovery()");
  if (!standby) return std::unexpected(standby.error());
  if (standby->text(0, 0) == "t")
    return fail(errc::invalid_argument,
                fmt::format("{} is a PostgreSQL standby: tracing reads the primary (a read-only role is enough), "
                            "whose ingest transactions its index pass must wait for (docs/tracing.md, \"PostgreSQL\")",
                            (*db)->connection().shown()));
  return std::unique_ptr<trace_source>(std::make_unique<pg_source>(std::move(*db)));
}

}  // namespace ravao::receiver
