#pragma once
// Thin RAII over the SQLite C API: a prepared statement that binds by position
// and steps, and errors turned into ravao::error with SQLite's own message.

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace ravao::sql {

// SQLite result code -> error; disk-full and I/O errors map to
// errc::store_unavailable (retryable), corruption to errc::store_corrupt.
error make_error(sqlite3* db, int rc, std::string_view what);

// Runs one or more statements without results.
result<void> exec(sqlite3* db, std::string_view sql_text);

class statement {
 public:
  statement() = default;
  statement(sqlite3* db, std::string_view sql_text);  // throws std::runtime_error on a bad statement (a bug)
  statement(statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  statement& operator=(statement&& o) noexcept;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement();

  statement& bind(int i, std::int64_t v);
  statement& bind(int i, std::string_view v);  // bound as TEXT, copied
  statement& bind(int i, std::nullopt_t);
  statement& bind_opt(int i, const std::optional<std::int64_t>& v);
  statement& bind_text_or_null(int i, std::string_view v);  // empty -> NULL
  statement& bind_blob_or_null(int i, std::string_view bytes);  // bound as BLOB, copied; empty -> NULL

  // SQLITE_ROW -> true, SQLITE_DONE -> false (and resets), anything else: error (and resets).
  result<bool> step();
  // Steps a statement that returns no rows.
  result<void> run();
  void reset();

  std::int64_t int64(int col) const;
  std::optional<std::int64_t> opt_int64(int col) const;
  std::string text(int col) const;  // NULL -> ""
  // TEXT or BLOB bytes without a copy, valid until the next step/reset.
  std::string_view view(int col) const;
  bool is_null(int col) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// The first column of the first row of a query with one parameter ?1
// bound to `arg`, as an integer; 0 when there is no row.
result<std::int64_t> scalar(sqlite3* db, std::string_view query, std::int64_t arg = 0);

}  // namespace ravao::sql
