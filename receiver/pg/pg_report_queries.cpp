#include "receiver/pg/pg_report_queries.hpp"

#include <boost/json/parse.hpp>

#include "receiver/iso_week.hpp"

namespace ravao::receiver {

namespace {

std::string text(const pg::rows& r, int row, int col) { return std::string(r.text(row, col)); }

}  // namespace

result<void> pg_report_queries::replace_sites(const std::vector<site>& sites) {
  auto tx = pg::transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  if (auto r = db_.exec("DELETE FROM site_gateways; DELETE FROM sites"); !r) return std::unexpected(r.error());
  for (const auto& s : sites) {
    auto put = db_.exec("INSERT INTO sites(site, name, commune, province, population, line) VALUES($1, $2, $3, $4, $5, $6)",
                        {s.id, s.name, s.commune, s.province, pg::num(s.population), pg::num(s.line)});
    if (!put) return std::unexpected(put.error());
    for (const auto& g : s.gateways) {
      if (auto r = db_.exec("INSERT INTO site_gateways(gateway, site) VALUES($1, $2)", {g, s.id}); !r) {
        return std::unexpected(r.error());
      }
    }
  }
  return tx->commit();
}

result<std::vector<site>> pg_report_queries::sites() {
  auto q = db_.exec("SELECT s.site, s.name, s.commune, s.province, s.population, s.line, g.gateway"
                    " FROM sites s LEFT JOIN site_gateways g ON g.site = s.site ORDER BY s.line, g.gateway COLLATE \"C\"");
  if (!q) return std::unexpected(q.error());
  std::vector<site> out;
  for (int i = 0; i < q->size(); ++i) {
    if (out.empty() || out.back().id != q->text(i, 0)) {
      out.push_back(site{text(*q, i, 0), text(*q, i, 1), text(*q, i, 2), text(*q, i, 3), q->int64(i, 4), {},
                         q->int64(i, 5)});
    }
    if (!q->is_null(i, 6)) out.back().gateways.push_back(text(*q, i, 6));
  }
  return out;
}

result<std::vector<activity_row>> pg_report_queries::activity(std::int64_t from_ms, std::int64_t to_ms) {
  // The same statement as SQLite's, plus the received day: records are
  // partitioned by it, so the planner reads only the partitions received
  // since the margin before the period (a date parameter prunes at plan
  // time; received_ms then bounds it exactly as on SQLite).
  const std::int64_t received_from = from_ms - activity_receipt_margin_ms;
  auto q = db_.exec(
      "SELECT gateway, counter, type, (derived_wall_ms + $3::bigint) / $4::bigint AS day, count(*), count(actor)"
      " FROM records WHERE received_day >= DATE '1970-01-01' + $6::integer AND received_ms >= $5::bigint"
      " AND derived_wall_ms >= $1::bigint AND derived_wall_ms < $2::bigint AND type <> 'device'"
      " GROUP BY gateway, counter, type, day",
      {pg::num(from_ms), pg::num(to_ms), pg::num(vietnam_utc_offset_ms), pg::num(day_ms), pg::num(received_from),
       pg::num(received_from / day_ms)});
  if (!q) return std::unexpected(q.error());
  std::vector<activity_row> out;
  out.reserve(static_cast<std::size_t>(q->size()));
  for (int i = 0; i < q->size(); ++i) {
    out.push_back(activity_row{text(*q, i, 0), text(*q, i, 1), text(*q, i, 2), q->int64(i, 3), q->int64(i, 4),
                               q->int64(i, 5)});
  }
  return out;
}

result<std::vector<counter_seen>> pg_report_queries::counters_seen() {
  auto q = db_.exec("SELECT DISTINCT gateway, counter FROM records WHERE type <> 'device'");
  if (!q) return std::unexpected(q.error());
  std::vector<counter_seen> out;
  for (int i = 0; i < q->size(); ++i) out.push_back(counter_seen{text(*q, i, 0), text(*q, i, 1)});
  // The last heartbeats' counters: read here rather than in SQL, where a
  // text column that is not JSON would fail the cast (SQLite's json_valid
  // has no PostgreSQL 15 equivalent). Duplicates of the records' are harmless:
  // the caller keeps a set.
  auto hb = db_.exec("SELECT gateway, last_heartbeat FROM gateways WHERE last_heartbeat IS NOT NULL");
  if (!hb) return std::unexpected(hb.error());
  for (int i = 0; i < hb->size(); ++i) {
    boost::system::error_code ec;
    const auto v = boost::json::parse(hb->text(i, 1), ec);
    const auto* counters = !ec && v.is_object() ? v.as_object().if_contains("counters") : nullptr;
    if (counters == nullptr || !counters->is_array()) continue;
    for (const auto& c : counters->as_array()) {
      const auto* id = c.is_object() ? c.as_object().if_contains("id") : nullptr;
      if (id != nullptr && id->is_string()) out.push_back(counter_seen{text(*hb, i, 0), std::string(id->as_string())});
    }
  }
  return out;
}

result<std::vector<gateway_contact>> pg_report_queries::contacts() {
  auto q = db_.exec("SELECT gateway, last_batch_ms, last_heartbeat_ms, coalesce(last_heartbeat, '') FROM gateways"
                    " ORDER BY gateway COLLATE \"C\"");
  if (!q) return std::unexpected(q.error());
  std::vector<gateway_contact> out;
  out.reserve(static_cast<std::size_t>(q->size()));
  for (int i = 0; i < q->size(); ++i) {
    out.push_back(gateway_contact{text(*q, i, 0), q->opt_int64(i, 1), q->opt_int64(i, 2), text(*q, i, 3)});
  }
  return out;
}

}  // namespace ravao::receiver
