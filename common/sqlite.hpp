#pragma once
// Thin RAII over the SQLite C API: a prepared statement that binds by position
// and steps, a transaction that rolls back unless committed, and errors turned
// into ravao::error with SQLite's own message.
//
// Failure rule (docs/architecture.md, "Errors: the convention"): nothing here
// throws and no SQLite return code is dropped. A failed prepare is a result
// (statement::prepare); a failed bind is recorded in the statement ("sticky":
// the first failure wins) and returned by the next step()/run(), so a fluent
// `.bind(1, x).bind(2, y).run()` chain stays one expression and still cannot
// run with a parameter missing.

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/error.hpp"

namespace ravao::sql {

// SQLite result code -> error; disk-full and I/O errors map to
// errc::store_unavailable (retryable), corruption to errc::store_corrupt.
error make_error(sqlite3* db, int rc, std::string_view what);

// Runs one or more statements without results.
result<void> exec(sqlite3* db, std::string_view sql_text);

class statement {
 public:
  // Compiles `sql_text` (one statement) on `db`. Fails on a bad statement (a
  // bug), and on the faults SQLite reports at prepare: out of memory, a
  // locked or changed schema, an I/O error reading it.
  static result<statement> prepare(sqlite3* db, std::string_view sql_text);

  // An empty statement (a member not prepared yet): binds record
  // SQLITE_MISUSE, step() and run() return it.
  statement() = default;
  statement(statement&& o) noexcept;
  statement& operator=(statement&& o) noexcept;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement();

  // The first failing bind is kept and returned by the next step()/run().
  statement& bind(int i, std::int64_t v);
  statement& bind(int i, std::string_view v);  // bound as TEXT, copied
  statement& bind(int i, std::nullopt_t);
  statement& bind_opt(int i, const std::optional<std::int64_t>& v);
  statement& bind_text_or_null(int i, std::string_view v);  // empty -> NULL
  statement& bind_blob_or_null(int i, std::string_view bytes);  // bound as BLOB, copied; empty -> NULL

  // SQLITE_ROW -> true, SQLITE_DONE -> false (and resets), anything else,
  // a recorded bind failure included: error (and resets, clearing it).
  result<bool> step();
  // Steps a statement that returns no rows.
  result<void> run();
  // Ready to step again; forgets a recorded bind failure.
  void reset();

  std::int64_t int64(int col) const;
  std::optional<std::int64_t> opt_int64(int col) const;
  std::string text(int col) const;  // NULL -> ""
  // TEXT or BLOB bytes without a copy, valid until the next step/reset.
  std::string_view view(int col) const;
  bool is_null(int col) const;

 private:
  statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  statement& check_bind(int rc, int i);

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::optional<error> bind_error_;
};

// A write transaction (BEGIN IMMEDIATE) as an object: commit() ends it;
// otherwise the destructor rolls it back, whether the scope is left by a
// returned error or by an exception. Owned by the thread that owns `db`;
// one at a time per connection (SQLite has no nested BEGIN).
class transaction {
 public:
  static result<transaction> begin_immediate(sqlite3* db);

  transaction(transaction&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  transaction& operator=(transaction&&) = delete;
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction();

  // COMMIT. When it fails the transaction is rolled back here, so the
  // connection is never left inside a transaction.
  result<void> commit();

 private:
  explicit transaction(sqlite3* db) : db_(db) {}
  void rollback() noexcept;

  sqlite3* db_ = nullptr;  // null once committed or rolled back
};

// Statements a type prepares once, as (member, SQL) pairs: each prepared into
// owner.*member; the first failure is returned (the rest stay empty).
template <class Owner, std::size_t N>
result<void> prepare_members(sqlite3* db, Owner& owner,
                             const std::pair<statement Owner::*, std::string_view> (&members)[N]) {
  for (const auto& [member, text] : members) {
    auto st = statement::prepare(db, text);
    if (!st) return std::unexpected(st.error());
    owner.*member = std::move(*st);
  }
  return {};
}

// The first column of the first row of a query with one parameter ?1
// bound to `arg`, as an integer; 0 when there is no row.
result<std::int64_t> scalar(sqlite3* db, std::string_view query, std::int64_t arg = 0);

}  // namespace ravao::sql
