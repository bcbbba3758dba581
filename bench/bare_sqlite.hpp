#pragma once
// The baseline: a bare SQLite store configured like ravaod's (WAL,
// synchronous=FULL), committing one INSERT of a record-sized row per
// transaction. Its commit time is the floor a durable scan cannot go under.

#include <sqlite3.h>

#include <stdexcept>
#include <string>

#include "bench_util.hpp"

namespace ravao::bench {

class bare_sqlite {
 public:
  explicit bare_sqlite(const fs::path& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK)
      throw std::runtime_error("cannot open " + path.string());
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=FULL");
    exec("CREATE TABLE IF NOT EXISTS records (seq INTEGER PRIMARY KEY, counter_id TEXT NOT NULL, "
         "payload TEXT, wall_ms INTEGER NOT NULL)");
    if (sqlite3_prepare_v2(db_, "INSERT INTO records(counter_id, payload, wall_ms) VALUES(?1, ?2, ?3)", -1,
                           &insert_, nullptr) != SQLITE_OK)
      throw std::runtime_error(sqlite3_errmsg(db_));
  }
  ~bare_sqlite() {
    sqlite3_finalize(insert_);
    sqlite3_close_v2(db_);
  }
  bare_sqlite(const bare_sqlite&) = delete;
  bare_sqlite& operator=(const bare_sqlite&) = delete;

  // One row in its own transaction (autocommit), durable when it returns.
  void commit_one(std::string_view payload, std::int64_t wall_ms) {
    sqlite3_bind_text(insert_, 1, "c0", -1, SQLITE_STATIC);
    sqlite3_bind_text(insert_, 2, payload.data(), static_cast<int>(payload.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(insert_, 3, wall_ms);
    const int rc = sqlite3_step(insert_);
    sqlite3_reset(insert_);
    if (rc != SQLITE_DONE) throw std::runtime_error(std::string("insert: ") + sqlite3_errmsg(db_));
  }

 private:
  void exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string(sql) + ": " + sqlite3_errmsg(db_));
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
};

}  // namespace ravao::bench
