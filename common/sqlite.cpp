#include "common/sqlite.hpp"

#include <fmt/format.h>

namespace ravao::sql {

error make_error(sqlite3* db, int rc, std::string_view what) {
  const int primary = rc & 0xff;
  errc kind = errc::protocol;
  switch (primary) {
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_NOMEM:
      kind = errc::store_unavailable;
      break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      kind = errc::store_corrupt;
      break;
    default:
      break;
  }
  const char* msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return error{make_error_code(kind), fmt::format("{}: {} (sqlite {})", what, msg, rc)};
}

result<void> exec(sqlite3* db, std::string_view sql_text) {
  char* err = nullptr;
  const std::string s(sql_text);
  const int rc = sqlite3_exec(db, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string what = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    auto e = make_error(nullptr, rc, "exec");
    e.context = fmt::format("{} ({} ; sqlite {})", what, s.substr(0, 60), rc);
    return std::unexpected(e);
  }
  return {};
}

result<statement> statement::prepare(sqlite3* db, std::string_view sql_text) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db, sql_text.data(), static_cast<int>(sql_text.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    auto e = make_error(db, rc, "prepare");
    e.context += fmt::format(" in: {}", sql_text.substr(0, 80));
    return std::unexpected(std::move(e));
  }
  return statement(db, stmt);
}

statement::statement(statement&& o) noexcept
    : db_(o.db_), stmt_(o.stmt_), bind_error_(std::move(o.bind_error_)) {
  o.stmt_ = nullptr;
  o.bind_error_.reset();
}

statement& statement::operator=(statement&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = o.stmt_;
    bind_error_ = std::move(o.bind_error_);
    o.stmt_ = nullptr;
    o.bind_error_.reset();
  }
  return *this;
}

statement::~statement() { sqlite3_finalize(stmt_); }

statement& statement::check_bind(int rc, int i) {
  if (rc != SQLITE_OK && !bind_error_) bind_error_ = make_error(stmt_ ? db_ : nullptr, rc, fmt::format("bind ?{}", i));
  return *this;
}

// sqlite3_bind_* on a null statement returns SQLITE_MISUSE (SQLITE_ENABLE_API_ARMOR) or crashes:
// an empty statement records the misuse without calling SQLite.
statement& statement::bind(int i, std::int64_t v) {
  return check_bind(stmt_ ? sqlite3_bind_int64(stmt_, i, v) : SQLITE_MISUSE, i);
}
statement& statement::bind(int i, std::string_view v) {
  return check_bind(stmt_ ? sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8)
                          : SQLITE_MISUSE, i);
}
statement& statement::bind(int i, std::nullopt_t) {
  return check_bind(stmt_ ? sqlite3_bind_null(stmt_, i) : SQLITE_MISUSE, i);
}
statement& statement::bind_opt(int i, const std::optional<std::int64_t>& v) {
  return v ? bind(i, *v) : bind(i, std::nullopt);
}
statement& statement::bind_text_or_null(int i, std::string_view v) {
  return v.empty() ? bind(i, std::nullopt) : bind(i, v);
}

statement& statement::bind_blob_or_null(int i, std::string_view bytes) {
  if (bytes.empty()) return bind(i, std::nullopt);
  return check_bind(stmt_ ? sqlite3_bind_blob64(stmt_, i, bytes.data(), bytes.size(), SQLITE_TRANSIENT)
                          : SQLITE_MISUSE, i);
}

result<bool> statement::step() {
  if (bind_error_) {
    auto e = std::move(*bind_error_);
    reset();
    return std::unexpected(std::move(e));
  }
  if (!stmt_) return std::unexpected(make_error(nullptr, SQLITE_MISUSE, "step of an unprepared statement"));
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  sqlite3_reset(stmt_);
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(make_error(db_, rc, "step"));
}

result<void> statement::run() {
  auto r = step();
  if (!r) return std::unexpected(r.error());
  if (*r) sqlite3_reset(stmt_);
  return {};
}

void statement::reset() {
  sqlite3_reset(stmt_);
  bind_error_.reset();
}

std::int64_t statement::int64(int col) const { return sqlite3_column_int64(stmt_, col); }

std::optional<std::int64_t> statement::opt_int64(int col) const {
  if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(stmt_, col);
}

std::string statement::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::string_view statement::view(int col) const {
  // sqlite3_column_blob returns TEXT bytes as they are too (no conversion).
  const void* p = sqlite3_column_blob(stmt_, col);
  if (!p) return {};
  return {static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))};
}

bool statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

result<transaction> transaction::begin_immediate(sqlite3* db) {
  if (auto r = exec(db, "BEGIN IMMEDIATE"); !r) return std::unexpected(r.error());
  return transaction(db);
}

transaction::~transaction() { rollback(); }

result<void> transaction::commit() {
  if (!db_) return std::unexpected(make_error(nullptr, SQLITE_MISUSE, "commit of an ended transaction"));
  auto r = exec(db_, "COMMIT");
  if (!r) rollback();
  db_ = nullptr;
  return r;
}

void transaction::rollback() noexcept {
  // A failed COMMIT or an I/O error may have ended the transaction already
  // (SQLite rolls back by itself on some errors): autocommit says so.
  if (db_ && !sqlite3_get_autocommit(db_)) (void)exec(db_, "ROLLBACK");
  db_ = nullptr;
}

result<std::int64_t> scalar(sqlite3* db, std::string_view query, std::int64_t arg) {
  auto st = statement::prepare(db, query);
  if (!st) return std::unexpected(st.error());
  auto row = st->bind(1, arg).step();
  if (!row) return std::unexpected(row.error());
  const std::int64_t v = *row ? st->int64(0) : 0;
  st->reset();
  return v;
}

}  // namespace ravao::sql
