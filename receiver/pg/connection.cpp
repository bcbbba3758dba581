#include "receiver/pg/connection.hpp"

#include <array>
#include <charconv>
#include <utility>

#include <fmt/format.h>

namespace ravao::receiver::pg {

namespace {

}  // namespace

std::string redacted(const std::string& url) {
  const auto scheme = url.find("://");
  const auto at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + url.substr(at);
}

namespace {

std::string trimmed(const char* message) {
  std::string m = message ? message : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

}  // namespace

std::string_view rows::text(int row, int col) const {
  return {PQgetvalue(r_.get(), row, col), static_cast<std::size_t>(PQgetlength(r_.get(), row, col))};
}

std::int64_t rows::int64(int row, int col) const {
  const auto t = text(row, col);
  std::int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

std::optional<std::int64_t> rows::opt_int64(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return int64(row, col);
}

std::int64_t rows::affected() const {
  const char* n = PQcmdTuples(r_.get());
  std::int64_t v = 0;
  if (n) std::from_chars(n, n + std::char_traits<char>::length(n), v);
  return v;
}

result<connection> connection::open(const std::string& url) {
  connection c(PQconnectdb(url.c_str()), redacted(url));
  if (!c.c_) return fail(errc::store_unavailable, fmt::format("{}: out of memory", c.shown_));
  if (PQstatus(c.c_.get()) != CONNECTION_OK) {
    return fail(errc::store_unavailable,
                fmt::format("cannot connect to {}: {}", c.shown_, trimmed(PQerrorMessage(c.c_.get()))));
  }
  // The server's notices ("relation ... already exists, skipping") are not
  // the receiver's log lines.
  PQsetNoticeProcessor(c.c_.get(), [](void*, const char*) {}, nullptr);
  return c;
}

result<rows> connection::exec(std::string_view sql, const std::vector<param>& params) {
  const std::string text(sql);
  PGresult* raw = nullptr;
  if (params.empty()) {
    raw = PQexec(c_.get(), text.c_str());
  } else {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    raw = PQexecParams(c_.get(), text.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                       nullptr, 0);
  }
  rows r(raw);
  const auto status = PQresultStatus(raw);
  if (raw && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)) return r;
  remember_sqlstate(raw);
  // A connection lost (the server restarted): the next call reconnects.
  if (PQstatus(c_.get()) == CONNECTION_BAD) PQreset(c_.get());
  return fail(errc::store_unavailable, fmt::format("{}: {}", shown_, trimmed(PQerrorMessage(c_.get()))));
}

void connection::remember_sqlstate(const PGresult* r) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  last_sqlstate_ = state ? state : "";
}

result<void> connection::copy_in(std::string_view sql, const std::function<bool(std::string&)>& fill) {
  const auto failed = [&] {
    return fail(errc::store_unavailable, fmt::format("{}: COPY: {}", shown_, trimmed(PQerrorMessage(c_.get()))));
  };
  const std::string text(sql);
  if (rows started(PQexec(c_.get(), text.c_str())); PQresultStatus(started.raw()) != PGRES_COPY_IN) {
    remember_sqlstate(started.raw());
    return failed();
  }
  std::string chunk;
  bool sent = true;
  for (bool more = true; more && sent;) {
    chunk.clear();
    more = fill(chunk);
    if (!chunk.empty()) sent = PQputCopyData(c_.get(), chunk.data(), static_cast<int>(chunk.size())) == 1;
  }
  // A failed send (a lost connection) ends the COPY as failed.
  const bool ended = PQputCopyEnd(c_.get(), sent ? nullptr : "ravao-receiver: sending the rows failed") == 1;
  bool ok = sent && ended;
  last_sqlstate_.clear();
  while (PGresult* r = PQgetResult(c_.get())) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
      if (ok) remember_sqlstate(r);
      ok = false;
    }
    PQclear(r);
  }
  if (!ok) return failed();
  return {};
}

void append_copy_field(std::string& out, std::string_view v) {
  // The escaped bytes are rare (a record's JSON has none but backslashes of
  // its own escapes), so they are found with memchr, not byte by byte.
  constexpr std::array<std::pair<char, char>, 4> escapes{{{'\\', '\\'}, {'\t', 't'}, {'\n', 'n'}, {'\r', 'r'}}};
  while (!v.empty()) {
    std::size_t at = v.size();
    char with = 0;
    for (const auto& [raw, letter] : escapes) {
      if (const auto p = v.substr(0, at).find(raw); p != std::string_view::npos) {
        at = p;
        with = letter;
      }
    }
    out.append(v.substr(0, at));
    if (at == v.size()) return;
    out += '\\';
    out += with;
    v.remove_prefix(at + 1);
  }
}

void append_copy_field(std::string& out, const param& v) {
  if (!v) {
    out += "\\N";
    return;
  }
  append_copy_field(out, std::string_view(*v));
}

result<transaction> transaction::begin(connection& c) {
  if (auto r = c.exec("BEGIN"); !r) return std::unexpected(r.error());
  return transaction(c);
}

transaction::~transaction() {
  if (c_) (void)c_->exec("ROLLBACK");
}

result<void> transaction::commit() {
  auto* c = c_;
  c_ = nullptr;
  if (auto r = c->exec("COMMIT"); !r) return std::unexpected(r.error());
  return {};
}

}  // namespace ravao::receiver::pg
