#include "receiver/report_queries.hpp"

#include "receiver/pg/pg_report_queries.hpp"
#include "receiver/sqlite_report_queries.hpp"

namespace ravao::receiver {

result<std::unique_ptr<report_queries>> open_report_queries(const std::string& where, store_mode m) {
  if (is_postgresql_url(where)) {
    auto db = pg_store::open(where, m, insert_method::copy);
    if (!db) return std::unexpected(db.error());
    return std::unique_ptr<report_queries>(std::make_unique<pg_report_queries>(std::move(*db)));
  }
  auto db = sqlite_store::open(where, m);
  if (!db) return std::unexpected(db.error());
  return std::unique_ptr<report_queries>(std::make_unique<sqlite_report_queries>(std::move(*db)));
}

}  // namespace ravao::receiver
