#pragma once
// Rows loaded into one table by either insert method (store.hpp,
// insert_method): COPY FROM STDIN in its text format, or multi-row INSERTs
// of bound parameters. The caller describes row i by calling the sink's
// text/number/null once per column, in the order of `columns`; the same
// description serves both methods, so COPY and VALUES load the same bytes.
//
// Not thread-safe: uses the caller's connection, on the caller's thread.

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "receiver/pg/connection.hpp"
#include "receiver/store.hpp"

namespace ravao::receiver::pg {

// Multi-row INSERT: rows per statement. PostgreSQL allows 65,535 bound
// parameters in one statement; records has 14 columns.
inline constexpr std::size_t values_rows = 1000;

// What load() gives PQputCopyData at a time: a few hundred records.
inline constexpr std::size_t copy_chunk = 64 * 1024;

// COPY text, a chunk at a time.
class copy_sink {
 public:
  void text(std::string_view v) {
    separate();
    append_copy_field(out_, v);
  }
  void number(std::int64_t v) {
    separate();
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, v).ptr;
    out_.append(digits, end);
  }
  void null() {
    separate();
    out_ += "\\N";
  }
  void end_row() {
    out_ += '\n';
    first_ = true;
  }
  std::size_t size() const { return out_.size(); }
  // Hands the rows so far to `chunk` (empty) and starts again empty.
  void move_to(std::string& chunk) {
    out_.swap(chunk);
    out_.clear();
  }

 private:
  void separate() {
    if (!first_) out_ += '\t';
    first_ = false;
  }
  std::string out_;
  bool first_ = true;
};

// Bound parameters of one multi-row INSERT.
class values_sink {
 public:
  void text(std::string_view v) { params_.emplace_back(std::string(v)); }
  void number(std::int64_t v) { params_.push_back(num(v)); }
  void null() { params_.emplace_back(std::nullopt); }
  void end_row() {}
  std::vector<param>& params() { return params_; }

 private:
  std::vector<param> params_;
};

// Loads `n` rows into `table` (`columns`: "(a, b, c)", `width` of them);
// `row(i, sink)` describes row i. On failure the connection's last_sqlstate()
// says why (23505: a unique key already there).
template <class Row>
result<void> load(connection& db, insert_method how, std::string_view table, std::string_view columns,
                  std::size_t width, std::size_t n, Row&& row) {
  if (how == insert_method::copy) {
    copy_sink sink;
    std::size_t i = 0;
    return db.copy_in(fmt::format("COPY {}{} FROM STDIN", table, columns), [&](std::string& chunk) {
      for (; i < n && sink.size() < copy_chunk; ++i) {
        row(i, sink);
        sink.end_row();
      }
      sink.move_to(chunk);
      return i < n;
    });
  }
  for (std::size_t first = 0; first < n; first += values_rows) {
    const std::size_t count = std::min(values_rows, n - first);
    values_sink sink;
    sink.params().reserve(count * width);
    std::string sql = fmt::format("INSERT INTO {}{} VALUES", table, columns);
    std::size_t p = 0;
    for (std::size_t i = 0; i < count; ++i) {
      row(first + i, sink);
      sql += i == 0 ? "(" : ",(";
      for (std::size_t c = 0; c < width; ++c) fmt::format_to(std::back_inserter(sql), "{}${}", c == 0 ? "" : ",", ++p);
      sql += ')';
    }
    if (auto r = db.exec(sql, sink.params()); !r) return std::unexpected(r.error());
  }
  return {};
}

}  // namespace ravao::receiver::pg
