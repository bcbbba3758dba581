#pragma once
// Thin RAII over libpq: one connection, statements with text parameters,
// results read as text, COPY FROM STDIN, and failures turned into
// ravao::error (errc::store_unavailable: the server answers 503 and the
// gateway retries). Nothing here throws. Used by one thread at a time.

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace ravao::receiver::pg {

// "postgresql://user:secret@host/db" -> "postgresql://user@host/db": for logs and messages.
std::string redacted(const std::string& url);

// A parameter: text, or NULL.
using param = std::optional<std::string>;

class rows {
 public:
  explicit rows(PGresult* r) : r_(r, &PQclear) {}
  int size() const { return PQntuples(r_.get()); }
  bool is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string_view text(int row, int col) const;
  std::int64_t int64(int row, int col) const;
  std::optional<std::int64_t> opt_int64(int row, int col) const;
  std::int64_t affected() const;  // rows an INSERT/UPDATE/DELETE touched
  PGresult* raw() const { return r_.get(); }

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> r_;
};

class connection {
 public:
  // `url`: a libpq connection URI (postgresql://user@host/db?host=/socket/dir).
  static result<connection> open(const std::string& url);

  // Runs `sql` (several statements allowed when there are no parameters).
  result<rows> exec(std::string_view sql, const std::vector<param>& params = {});
  // COPY ... FROM STDIN. `fill(chunk)` appends the next rows, in COPY's text
  // format, to the empty `chunk` and returns whether more follow; each chunk
  // is sent before the next is asked for, so neither the caller nor libpq's
  // output buffer (which grows to the largest piece sent and keeps that size
  // for the connection's life) holds the whole load.
  result<void> copy_in(std::string_view sql, const std::function<bool(std::string&)>& fill);

  // The URL with any password removed, for messages.
  const std::string& shown() const { return shown_; }
  // The SQLSTATE of the last failed exec or copy_in ("23505": unique
  // violation); "" when the failure had none (the connection was lost).
  const std::string& last_sqlstate() const { return last_sqlstate_; }

 private:
  void remember_sqlstate(const PGresult* r);
  connection(PGconn* c, std::string shown) : c_(c, &PQfinish), shown_(std::move(shown)) {}
  std::unique_ptr<PGconn, decltype(&PQfinish)> c_;
  std::string shown_;
  std::string last_sqlstate_;
};

// A transaction that rolls back unless committed.
class transaction {
 public:
  static result<transaction> begin(connection& c);
  transaction(transaction&& o) noexcept : c_(o.c_) { o.c_ = nullptr; }
  transaction& operator=(transaction&&) = delete;
  ~transaction();
  result<void> commit();

 private:
  explicit transaction(connection& c) : c_(&c) {}
  connection* c_;
};

// One field in COPY's text format: backslash, tab, newline and carriage return escaped; NULL as \N.
void append_copy_field(std::string& out, const param& v);
void append_copy_field(std::string& out, std::string_view v);  // never NULL
// SQLSTATE unique_violation.
inline constexpr std::string_view unique_violation = "23505";
// `v` as an int64 parameter.
inline param num(std::int64_t v) { return std::to_string(v); }
// `values` as a bigint[] parameter ({1,2,3}), for unnest($1::bigint[]) or = ANY($1::bigint[]).
inline std::string number_array(const std::vector<std::int64_t>& values) {
  std::string out = "{";
  for (const auto v : values) out += (out.size() > 1 ? "," : "") + std::to_string(v);
  return out + '}';
}

}  // namespace ravao::receiver::pg
