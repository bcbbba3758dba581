#include "receiver/store.hpp"

#include "receiver/pg/pg_store.hpp"
#include "receiver/sqlite_store.hpp"

namespace ravao::receiver {

std::vector<result<ingest_result>> store::store_batches(std::span<const pending_batch> group) {
  std::vector<result<ingest_result>> out;
  out.reserve(group.size());
  for (const auto& p : group) out.push_back(store_batch(*p.b, p.received_ms));
  return out;
}

result<std::unique_ptr<store>> open_store(const std::string& where, store_mode m, insert_method how) {
  if (is_postgresql_url(where)) {
    auto db = pg_store::open(where, m, how);
    if (!db) return std::unexpected(db.error());
    return std::unique_ptr<store>(std::move(*db));
  }
  auto db = sqlite_store::open(where, m);
  if (!db) return std::unexpected(db.error());
  return std::unique_ptr<store>(std::move(*db));
}

}  // namespace ravao::receiver
