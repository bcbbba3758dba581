#include "receiver/sqlite_report_queries.hpp"

#include "common/sqlite.hpp"
#include "receiver/iso_week.hpp"

namespace ravao::receiver {

namespace {

// Steps `st` to its end, calling `row` on each row.
template <class Row>
result<void> each_row(sql::statement& st, Row&& row) {
  while (true) {
    auto more = st.step();
    if (!more) return std::unexpected(more.error());
    if (!*more) return {};
    row(st);
  }
}

}  // namespace

result<void> sqlite_report_queries::replace_sites(const std::vector<site>& sites) {
  auto tx = sql::transaction::begin_immediate(db_);
  if (!tx) return std::unexpected(tx.error());
  if (auto r = sql::exec(db_, "DELETE FROM site_gateways; DELETE FROM sites;"); !r) return r;
  auto put_site = sql::statement::prepare(
      db_, "INSERT INTO sites(site, name, commune, province, population, line) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  if (!put_site) return std::unexpected(put_site.error());
  auto put_gateway = sql::statement::prepare(db_, "INSERT INTO site_gateways(gateway, site) VALUES(?1, ?2)");
  if (!put_gateway) return std::unexpected(put_gateway.error());
  for (const auto& s : sites) {
    put_site->bind(1, s.id).bind(2, s.name).bind(3, s.commune).bind(4, s.province).bind(5, s.population).bind(6, s.line);
    if (auto r = put_site->run(); !r) return r;
    for (const auto& g : s.gateways) {
      put_gateway->bind(1, g).bind(2, s.id);
      if (auto r = put_gateway->run(); !r) return r;
    }
  }
  return tx->commit();
}

result<std::vector<site>> sqlite_report_queries::sites() {
  auto st = sql::statement::prepare(
      db_, "SELECT s.site, s.name, s.commune, s.province, s.population, s.line, g.gateway"
           " FROM sites s LEFT JOIN site_gateways g ON g.site = s.site ORDER BY s.line, g.gateway");
  if (!st) return std::unexpected(st.error());
  std::vector<site> out;
  auto r = each_row(*st, [&](const sql::statement& row) {
    if (out.empty() || out.back().id != row.view(0)) {
      out.push_back(site{row.text(0), row.text(1), row.text(2), row.text(3), row.int64(4), {}, row.int64(5)});
    }
    if (!row.is_null(6)) out.back().gateways.push_back(row.text(6));
  });
  if (!r) return std::unexpected(r.error());
  return out;
}

result<std::vector<activity_row>> sqlite_report_queries::activity(std::int64_t from_ms, std::int64_t to_ms) {
  // derived_wall_ms: the record's time on a synchronised clock, or derived
  // from its boot's anchor; NULL (never synchronised) records are left out.
  auto st = sql::statement::prepare(
      db_, "SELECT gateway, counter, type, (derived_wall_ms + ?3) / ?4 AS day, count(*), count(actor)"
           " FROM records WHERE derived_wall_ms >= ?1 AND derived_wall_ms < ?2 AND received_ms >= ?5"
           " AND type <> 'device' GROUP BY gateway, counter, type, day");
  if (!st) return std::unexpected(st.error());
  // from_ms is after 1970 (parse_iso_week), so the integer division is a floor.
  st->bind(1, from_ms).bind(2, to_ms).bind(3, vietnam_utc_offset_ms).bind(4, day_ms);
  st->bind(5, from_ms - activity_receipt_margin_ms);
  std::vector<activity_row> out;
  auto r = each_row(*st, [&](const sql::statement& row) {
    out.push_back(activity_row{row.text(0), row.text(1), row.text(2), row.int64(3), row.int64(4), row.int64(5)});
  });
  if (!r) return std::unexpected(r.error());
  return out;
}

result<std::vector<counter_seen>> sqlite_report_queries::counters_seen() {
  auto st = sql::statement::prepare(
      db_, "SELECT DISTINCT gateway, counter FROM records WHERE type <> 'device'"
           " UNION SELECT g.gateway, json_extract(c.value, '$.id') FROM gateways g,"
           " json_each(CASE WHEN json_valid(g.last_heartbeat) THEN g.last_heartbeat ELSE '{}' END, '$.counters') c"
           " WHERE json_type(c.value, '$.id') = 'text'");
  if (!st) return std::unexpected(st.error());
  std::vector<counter_seen> out;
  auto r = each_row(*st, [&](const sql::statement& row) { out.push_back(counter_seen{row.text(0), row.text(1)}); });
  if (!r) return std::unexpected(r.error());
  return out;
}

result<std::vector<gateway_contact>> sqlite_report_queries::contacts() {
  auto st = sql::statement::prepare(
      db_, "SELECT gateway, last_batch_ms, last_heartbeat_ms, last_heartbeat FROM gateways ORDER BY gateway");
  if (!st) return std::unexpected(st.error());
  std::vector<gateway_contact> out;
  auto r = each_row(*st, [&](const sql::statement& row) {
    out.push_back(gateway_contact{row.text(0), row.opt_int64(1), row.opt_int64(2), row.text(3)});
  });
  if (!r) return std::unexpected(r.error());
  return out;
}

}  // namespace ravao::receiver
