#pragma once
// report_queries.hpp against the receiver's SQLite engine: its SQL, on the
// store's connection.

#include <memory>

#include "receiver/report_queries.hpp"
#include "receiver/sqlite_store.hpp"

namespace ravao::receiver {

class sqlite_report_queries final : public report_queries {
 public:
  explicit sqlite_report_queries(std::unique_ptr<sqlite_store> db) : store_(std::move(db)), db_(store_->handle()) {}

  result<void> replace_sites(const std::vector<site>& sites) override;
  result<std::vector<site>> sites() override;
  result<std::vector<activity_row>> activity(std::int64_t from_ms, std::int64_t to_ms) override;
  result<std::vector<counter_seen>> counters_seen() override;
  result<std::vector<gateway_contact>> contacts() override;

 private:
  std::unique_ptr<sqlite_store> store_;  // owns the connection
  sqlite3* db_;
};

}  // namespace ravao::receiver
