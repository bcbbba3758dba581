#pragma once
// report_queries.hpp against the receiver's PostgreSQL engine: the same
// figures as the SQLite engine's (docs/weekly-report.md, "Where the SQL
// is"), reading only the day partitions of `records` a period needs.

#include <memory>

#include "receiver/pg/pg_store.hpp"
#include "receiver/report_queries.hpp"

namespace ravao::receiver {

class pg_report_queries final : public report_queries {
 public:
  explicit pg_report_queries(std::unique_ptr<pg_store> db) : store_(std::move(db)), db_(store_->connection()) {}

  result<void> replace_sites(const std::vector<site>& sites) override;
  result<std::vector<site>> sites() override;
  result<std::vector<activity_row>> activity(std::int64_t from_ms, std::int64_t to_ms) override;
  result<std::vector<counter_seen>> counters_seen() override;
  result<std::vector<gateway_contact>> contacts() override;

 private:
  std::unique_ptr<pg_store> store_;  // owns the connection
  pg::connection& db_;
};

}  // namespace ravao::receiver
