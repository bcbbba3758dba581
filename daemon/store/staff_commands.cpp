// What the command card's CHECKOUT_LAST and UNDO_LAST barcodes do
// (docs/slips.md, "The workflow"). Both write records, as everything that
// changes a visit does: the server sees the correction, not a silent edit.

#include <fmt/format.h>

#include "store/writer.hpp"

namespace ravao {
using namespace store_detail;

result<staff_command_outcome> store_writer::checkout_last(const std::string& counter_id, const timestamp& at,
                                                          std::string_view actor) {
  return checkout_visit(counter_id, std::nullopt, at, actor);
}

result<staff_command_outcome> store_writer::checkout_visit(const std::string& counter_id,
                                                           std::optional<std::int64_t> visit_id, const timestamp& at,
                                                           std::string_view actor) {
  auto& s = *impl_;
  writer w(s, visits_config{});
  staff_command_outcome out;
  auto tx = sql::transaction::begin_immediate(s.db);
  if (!tx) return std::unexpected(tx.error());
  auto done = [&]() -> result<void> {
    // The given visit, or the visitor most recently active at this counter
    // (opened or rescanned); open, and opened at this counter either way.
    auto st = sql::statement::prepare(s.db,
        "SELECT id, '', COALESCE(name_masked,''), COALESCE(id_masked,'') FROM visits "
        "WHERE counter_id=?1 AND closed_seq IS NULL AND (?2 IS NULL OR id=?2) "
        "ORDER BY last_wall_ms DESC, id DESC LIMIT 1");
    if (!st) return std::unexpected(st.error());
    auto row = st->bind(1, counter_id).bind_opt(2, visit_id).step();
    if (!row) return std::unexpected(row.error());
    if (!*row) {
      if (visit_id)
        return fail(errc::not_found, fmt::format("visit {} is not open at counter {} (closed already, or opened at "
                                                 "another counter)", *visit_id, counter_id));
      out.detail = "no open visit at this counter";
      return {};
    }
    const std::int64_t visit = st->int64(0);
    const person_keys who{st->text(1), st->text(2), st->text(3)};
    st->reset();
    writer::record rec;
    rec.counter_id = counter_id;
    rec.payload_kind = "ravao_command";
    rec.who = &who;
    rec.close_reason = "staff_checkout";
    rec.actor = actor;
    auto seq = w.close(visit, rec, at);
    if (!seq) return std::unexpected(seq.error());
    out.seq = *seq;
    out.visit_id = visit;
    out.detail = "visit closed";
    return {};
  }();
  if (!done) return std::unexpected(done.error());
  if (auto c = tx->commit(); !c) return std::unexpected(c.error());
  commit_effects(s, w.effects());
  return out;
}

result<staff_command_outcome> store_writer::undo_last(const std::string& counter_id, const timestamp& at,
                                                      std::chrono::seconds window, std::string_view actor) {
  auto& s = *impl_;
  writer w(s, visits_config{});
  staff_command_outcome out;
  auto tx = sql::transaction::begin_immediate(s.db);
  if (!tx) return std::unexpected(tx.error());
  auto done = [&]() -> result<void> {
    // The last record a scan made here, not already undone, within the window.
    auto st = sql::statement::prepare(s.db, fmt::format(
        "SELECT seq, type, visit_id, close_reason, wall_ms FROM records r WHERE counter_id=?1 AND {} "
        "ORDER BY seq DESC LIMIT 1", visitor_scan_record));
    if (!st) return std::unexpected(st.error());
    auto row = st->bind(1, counter_id).step();
    if (!row) return std::unexpected(row.error());
    if (!*row) {
      out.detail = "nothing to undo at this counter";
      return {};
    }
    const std::int64_t target = st->int64(0);
    const std::string type = st->text(1);
    const std::int64_t visit = st->opt_int64(2).value_or(0);
    const std::string reason = st->text(3);
    const std::int64_t wall = st->int64(4);
    st->reset();
    if (at.wall_ms - wall > std::chrono::milliseconds(window).count() || at.wall_ms < wall) {
      out.detail = fmt::format("the last scan here (record #{}) is older than {} s: not undone", target,
                               window.count());
      return {};
    }
    const std::int64_t seq = w.effects().next_seq;
    writer::record rec;
    rec.type = "undo";
    rec.counter_id = counter_id;
    rec.visit_id = visit;
    rec.payload_kind = "ravao_command";
    rec.ref = target;
    rec.actor = actor;
    if (auto x = w.insert_record(rec, at); !x) return x;
    if (type == "visit_opened" && visit) {
      // The visit never happened: closed by the undo, if still open.
      auto up = sql::statement::prepare(s.db,
          "UPDATE visits SET closed_seq=?2, closed_wall_ms=?3, closed_counter_id=?4, close_reason='undone' "
          "WHERE id=?1 AND closed_seq IS NULL");
      if (!up) return std::unexpected(up.error());
      if (auto x = up->bind(1, visit).bind(2, seq).bind(3, at.wall_ms).bind(4, counter_id).run(); !x) return x;
      if (sqlite3_changes(s.db) > 0) --w.effects().totals.open_visits;
    } else if (type == "visit_closed" && visit && reason == "scan") {
      // The visitor is still inside: the visit is open again.
      auto up = sql::statement::prepare(s.db,
          "UPDATE visits SET closed_seq=NULL, closed_wall_ms=NULL, closed_counter_id=NULL, close_reason=NULL "
          "WHERE id=?1 AND closed_seq=?2");
      if (!up) return std::unexpected(up.error());
      if (auto x = up->bind(1, visit).bind(2, target).run(); !x) return x;
      if (sqlite3_changes(s.db) > 0) ++w.effects().totals.open_visits;
    } else if (type == "visit_closed" && visit) {
      auto up = sql::statement::prepare(s.db, "UPDATE visits SET close_reason='undone' WHERE id=?1 AND closed_seq=?2");
      if (!up) return std::unexpected(up.error());
      if (auto x = up->bind(1, visit).bind(2, target).run(); !x) return x;
    } else if (type == "slip_returned") {
      auto up = sql::statement::prepare(s.db, "UPDATE slips SET returned_seq=NULL WHERE returned_seq=?1");
      if (!up) return std::unexpected(up.error());
      if (auto x = up->bind(1, target).run(); !x) return x;
    }
    out.seq = seq;
    out.visit_id = visit;
    out.undone_seq = target;
    out.detail = fmt::format("{} (record #{}) undone", type, target);
    return {};
  }();
  if (!done) return std::unexpected(done.error());
  if (auto c = tx->commit(); !c) return std::unexpected(c.error());
  commit_effects(s, w.effects());
  // The duplicate window must not swallow the corrected rescan.
  std::erase_if(s.recent, [&](const auto& kv) { return kv.first.starts_with(counter_id + '\x1f'); });
  return out;
}

}  // namespace ravao
