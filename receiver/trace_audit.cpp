#include "receiver/trace_audit.hpp"

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "common/sqlite.hpp"

namespace ravao::receiver {

namespace {

const std::string genesis(64, '0');

std::string chained(const trace_keys& keys, std::string_view prev, std::string_view entry) {
  return seal::keyed_hash(keys.audit, fmt::format("{}\n{}", prev, entry));
}

}  // namespace

result<std::vector<audit_entry>> audit_entries(sqlite3* db) {
  auto q = sql::statement::prepare(db, "SELECT id, entry, prev, hash FROM audit ORDER BY id");
  if (!q) return std::unexpected(q.error());
  std::vector<audit_entry> out;
  while (true) {
    auto row = q->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    out.push_back({q->int64(0), q->text(1), q->text(2), q->text(3)});
  }
}

result<audit_head> audit_append(sqlite3* db, const trace_keys& keys, const boost::json::object& entry) {
  auto tx = sql::transaction::begin_immediate(db);
  if (!tx) return std::unexpected(tx.error());
  auto last = sql::statement::prepare(db, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1");
  if (!last) return std::unexpected(last.error());
  auto row = last->step();
  if (!row) return std::unexpected(row.error());
  const std::int64_t id = *row ? last->int64(0) + 1 : 1;
  const std::string prev = *row ? last->text(1) : genesis;
  last->reset();
  const std::string text = boost::json::serialize(entry);
  const std::string hash = chained(keys, prev, text);
  auto insert = sql::statement::prepare(db, "INSERT INTO audit(id, entry, prev, hash) VALUES(?1, ?2, ?3, ?4)");
  if (!insert) return std::unexpected(insert.error());
  if (auto ok = insert->bind(1, id).bind(2, text).bind(3, prev).bind(4, hash).run(); !ok)
    return std::unexpected(ok.error());
  if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  return audit_head{id, hash};
}

audit_check audit_verify(const std::vector<audit_entry>& entries, const trace_keys& keys) {
  audit_check check;
  check.head.hash = genesis;
  std::int64_t expected_id = 1;
  for (const auto& e : entries) {
    if (e.id != expected_id)
      check.problems.push_back(fmt::format("entry {} is missing (the next is {})", expected_id, e.id));
    if (e.prev != check.head.hash)
      check.problems.push_back(fmt::format("entry {}: does not follow the entry before it (removed or changed)", e.id));
    if (chained(keys, e.prev, e.entry) != e.hash)
      check.problems.push_back(fmt::format("entry {}: its contents do not match its hash (changed)", e.id));
    check.head = {e.id, e.hash};
    expected_id = e.id + 1;
  }
  return check;
}

}  // namespace ravao::receiver
