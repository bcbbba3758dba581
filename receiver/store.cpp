#include "receiver/store.hpp"

#include "receiver/pg/pg_store.hpp"
#include "receiver/sqlite_store.hpp"

namespace ravao::receiver {

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
