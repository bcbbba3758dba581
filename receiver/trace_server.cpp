#include "receiver/trace_server.hpp"

#include <array>
#include <cstdint>
#include <future>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/clock.hpp"
#include "common/log.hpp"
#include "common/supervise.hpp"
#include "common/text.hpp"
#include "receiver/trace_api.hpp"
#include "receiver/trace_output.hpp"

namespace ravao::receiver {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

struct trace_server::reply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::optional<std::int64_t> retry_after;
  std::string note;  // for the log line: never personal data
  bool close = false;
};

struct trace_server::request_context {
  std::string peer;
  const peer_certificate& cert;
  http::request_parser<http::string_body>& parser;
  beast::flat_buffer& buffer;
  steady::time_point deadline;
  bool header_too_large = false;
  bool body_read = false;
  std::string case_ref, legal_basis;
  std::optional<std::string> requested_by;
  std::int64_t refused_unaudited = 0;
};

namespace {

constexpr std::size_t max_header_bytes = 8 * 1024;
constexpr std::size_t max_logged_bytes = 256;

std::string operator_of(const peer_certificate& c) { return c.subject.empty() ? "(no subject)" : c.subject; }

// Who asked, for the audit entry: the certificate (its subject is the
// entry's operator), where from, and the person the request names.
json::object who_of(const std::string& peer, const peer_certificate& c,
                    const std::optional<std::string>& requested_by, std::int64_t refused_unaudited) {
  json::object who;
  who["via"] = "https";
  who["peer"] = peer;
  who["certificate"] = json::object{{"serial", c.serial}, {"sha256", c.fingerprint}};
  if (requested_by) who["requested_by"] = *requested_by;
  if (refused_unaudited > 0) who["rate_limited_unaudited"] = refused_unaudited;
  return who;
}

// On the worker: the desk is that thread's alone. Each job owns its input.
asio::awaitable<result<void>> audit_on_worker(trace_desk* desk, json::object entry) { co_return desk->audit(entry); }

struct trace_job {
  api_request request;
  trace_purpose purpose;
  answer_format format = answer_format::json;
};

asio::awaitable<result<std::string>> trace_on_worker(trace_desk* desk, trace_job job) {
  auto answer = desk->trace(job.request.query, job.purpose);
  if (!answer) co_return std::unexpected(answer.error());
  co_return job.format == answer_format::csv ? trace_csv(*answer, job.request.query)
                                             : trace_json(*answer, job.request.query);
}

std::string error_body(std::string_view reason) { return json::serialize(json::object{{"error", reason}}); }

std::string path_of(std::string_view target) { return std::string(target.substr(0, target.find('?'))); }

}  // namespace

trace_server::trace_server(asio::any_io_executor ex, asio::ssl::context& tls, std::unique_ptr<trace_desk> desk,
                           deny_list deny, trace_server_options o)
    : ex_(ex),
      tls_(tls),
      desk_(std::move(desk)),
      deny_(std::move(deny)),
      options_(std::move(o)),
      acceptor_(ex),
      rate_(options_.rate_burst, options_.rate_per_minute) {}

// Joins the worker (a job under way finishes) before the desk goes.
trace_server::~trace_server() { worker_.join(); }

result<index_stats> trace_server::index_now(const std::string& operator_name) {
  std::promise<result<index_stats>> done;
  asio::post(worker_, [&] { done.set_value(desk_->index_pass(operator_name)); });
  return done.get_future().get();
}

result<tcp::endpoint> trace_server::listen(const tcp::endpoint& at) {
  boost::system::error_code ec;
  acceptor_.open(at.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(at, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail(std::error_code(ec.value(), std::system_category()),
                fmt::format("cannot listen on {}:{}", at.address().to_string(), at.port()));
  }
  const auto bound = acceptor_.local_endpoint(ec);
  // Supervised: if accepting breaks, the service stops with exit 1 (the
  // command's fatal handler); the command owns this server for the whole run.
  supervision s;
  s.task = "trace_api.accept";
  s.policy = on_failure::exit_process;
  s.stopped = [this] { return stopped_; };
  spawn_supervised(ex_, std::move(s), [this] { return accept_loop(); });
  return bound;
}

void trace_server::stop() {
  stopped_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  for (auto& w : sessions_) {
    if (auto s = w.lock()) beast::get_lowest_layer(*s).close();
  }
  sessions_.clear();
}

asio::awaitable<void> trace_server::accept_loop() {
  while (!stopped_) {
    tcp::socket socket(ex_);
    boost::system::error_code ec;
    co_await acceptor_.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopped_ || ec == asio::error::operation_aborted) co_return;
      log::warning("trace_api.accept_failed", ec.message());
      continue;
    }
    const auto remote = socket.remote_endpoint(ec);
    std::string peer = ec ? "?" : fmt::format("{}:{}", remote.address().to_string(), remote.port());
    std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
    if (sessions_.size() >= options_.max_connections) {
      log::warning("trace_api.too_many_connections", "connection refused", {{"peer", peer}});
      socket.close(ec);
      continue;
    }
    auto stream = std::make_shared<tls_stream>(beast::tcp_stream(std::move(socket)), tls_);
    sessions_.push_back(stream);
    spawn_session(ex_, "trace_api.session", serve(std::move(stream), std::move(peer)));
  }
}

asio::awaitable<trace_server::reply> trace_server::refuse(request_context& rc, unsigned status, std::string reason) {
  json::object e = audit_entry_head("trace_refused", operator_of(rc.cert));
  for (auto& [k, v] : who_of(rc.peer, rc.cert, rc.requested_by, rc.refused_unaudited)) e[k] = v;
  e["status"] = status;
  e["reason"] = reason;
  e["target"] = text::escape_for_log(rc.parser.get().target(), max_logged_bytes);
  if (!rc.case_ref.empty()) e["case"] = rc.case_ref;
  if (!rc.legal_basis.empty()) e["legal_basis"] = rc.legal_basis;
  auto audited = co_await asio::co_spawn(worker_, audit_on_worker(desk_.get(), std::move(e)), asio::use_awaitable);
  if (!audited) log::error("trace_api.audit_failed", audited.error().message(), {{"peer", rc.peer}});
  reply r;
  r.status = status;
  r.body = error_body(reason);
  r.note = std::move(reason);
  co_return r;
}

asio::awaitable<trace_server::reply> trace_server::answer(request_context& rc, tls_stream& stream) {
  auto& lowest = beast::get_lowest_layer(stream);
  const auto& head = rc.parser.get();
  // The rate first: every refusal below is audited, and a flood of them must
  // not grow the audit log faster than the rate allows.
  const auto rate = rate_.take(rc.cert.fingerprint);
  if (!rate.admitted) {
    reply r;
    if (rate.audit) r = co_await refuse(rc, 429, "too many requests from this certificate: retry later");
    else r = {429, "application/json", error_body("too many requests from this certificate: retry later"), {},
              "rate limited (counted, audited with the next entry)", false};
    r.retry_after = rate.retry_after_s;
    co_return r;
  }
  rc.refused_unaudited = rate.refused_unaudited;
  if (!rc.cert.trace_role) {
    co_return co_await refuse(rc, 403,
                              "this certificate has no trace role: only the health department's certificates "
                              "may trace (docs/tracing.md, \"Certificates\")");
  }
  if (deny_.fingerprints.contains(rc.cert.fingerprint) || deny_.serials.contains(rc.cert.serial))
    co_return co_await refuse(rc, 403, "this certificate is revoked (--deny)");
  if (path_of(head.target()) != options_.base_path + "/v1/trace")
    co_return co_await refuse(rc, 404, fmt::format("no such endpoint (expected POST {}/v1/trace)", options_.base_path));
  if (head.method() != http::verb::post) co_return co_await refuse(rc, 405, "only POST is allowed here");
  const auto too_large = fmt::format("body larger than {} bytes", options_.max_body_bytes);
  if (rc.header_too_large) co_return co_await refuse(rc, 413, too_large);
  if (const auto length = rc.parser.content_length(); length && *length > options_.max_body_bytes)
    co_return co_await refuse(rc, 413, too_large);

  boost::system::error_code ec;
  auto with_ec = asio::redirect_error(asio::use_awaitable, ec);
  if (head[http::field::expect] == "100-continue") {
    http::response<http::empty_body> go_on{http::status::continue_, 11};
    lowest.expires_at(rc.deadline);
    co_await http::async_write(stream, go_on, with_ec);
  }
  lowest.expires_at(rc.deadline);
  if (!ec) co_await http::async_read(stream, rc.buffer, rc.parser, with_ec);
  if (ec == http::error::body_limit) co_return co_await refuse(rc, 413, too_large);
  if (ec) {
    auto r = co_await refuse(rc, 408, ec == beast::error::timeout ? "the request's deadline passed"
                                                                   : "the request was cut short");
    r.close = true;
    co_return r;
  }
  rc.body_read = true;

  const auto format = answer_format_of(head.target(), head[http::field::accept]);
  auto parsed = parse_api_request(rc.parser.get().body(), now().wall_ms);
  rc.case_ref = parsed.case_ref;
  rc.legal_basis = parsed.legal_basis;
  if (parsed.request) rc.requested_by = parsed.request->requested_by;
  if (!format) co_return co_await refuse(rc, 400, "format= expects csv or json");
  if (!parsed.request) co_return co_await refuse(rc, 400, parsed.error);
  if (waiting_ >= options_.max_waiting) {
    auto r = co_await refuse(rc, 503, "the tracing host is busy: retry later");
    r.retry_after = 5;
    co_return r;
  }

  trace_job job{std::move(*parsed.request), {}, *format};
  job.purpose = {operator_of(rc.cert), job.request.case_ref, job.request.legal_basis,
                 who_of(rc.peer, rc.cert, rc.requested_by, rc.refused_unaudited)};
  ++waiting_;
  auto out = co_await asio::co_spawn(worker_, trace_on_worker(desk_.get(), std::move(job)), asio::use_awaitable);
  --waiting_;
  if (!out) {
    log::error("trace_api.trace_failed", out.error().message(), {{"peer", rc.peer}});
    co_return co_await refuse(rc, 500, "the trace failed on the tracing host: " + out.error().message());
  }
  reply r;
  r.body = std::move(*out);
  if (*format == answer_format::csv) r.content_type = "text/csv; charset=utf-8";
  r.note = "answered";
  co_return r;
}

// Owns `stream` (shared only with sessions_, whose weak reference lets stop() close it).
asio::awaitable<void> trace_server::serve(std::shared_ptr<tls_stream> stream, std::string peer) {
  boost::system::error_code ec;
  auto& lowest = beast::get_lowest_layer(*stream);
  auto with_ec = asio::redirect_error(asio::use_awaitable, ec);
  lowest.expires_after(options_.handshake_timeout);
  co_await stream->async_handshake(asio::ssl::stream_base::server, with_ec);
  if (ec) {
    // No certificate, an expired one, another CA: no request was made, so
    // nothing is audited (a flood of handshakes must not grow the audit log).
    log::info("trace_api.handshake_failed", "TLS handshake failed",
              {{"peer", peer}, {"reason", ec == beast::error::timeout ? "handshake deadline passed" : ec.message()}});
    lowest.close();
    co_return;
  }
  const peer_certificate cert = read_peer_certificate(stream->native_handle());
  beast::flat_buffer buffer;
  bool first = true;
  while (!stopped_) {
    if (buffer.size() == 0) {
      lowest.expires_after(first ? options_.handshake_timeout : options_.idle_timeout);
      const auto n = co_await stream->async_read_some(buffer.prepare(4096), with_ec);
      if (ec) break;
      buffer.commit(n);
    }
    first = false;
    const auto started = steady::now();
    http::request_parser<http::string_body> parser;
    parser.header_limit(max_header_bytes);
    parser.body_limit(options_.max_body_bytes);
    lowest.expires_at(started + options_.handshake_timeout);
    co_await http::async_read_header(*stream, buffer, parser, with_ec);
    const bool header_too_large = ec == http::error::body_limit;
    if (ec && !header_too_large) break;

    request_context rc{peer, cert, parser, buffer, started + options_.request_timeout, header_too_large, false,
                       {}, {}, {}, 0};
    reply r = co_await answer(rc, *stream);
    if (stopped_) break;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - started);
    log::info("trace_api.request",
              fmt::format("{} {} {}", text::escape_for_log(parser.get().method_string(), max_logged_bytes),
                          text::escape_for_log(path_of(parser.get().target()), max_logged_bytes), r.status),
              {{"peer", peer}, {"client", text::escape_for_log(operator_of(cert), max_logged_bytes)},
               {"ms", std::to_string(ms.count())}, {"note", text::escape_for_log(r.note, max_logged_bytes)}});

    http::response<http::string_body> rep{static_cast<http::status>(r.status), 11};
    rep.set(http::field::server, "ravao-receiver/" RAVAO_VERSION);
    rep.set(http::field::content_type, r.content_type);
    rep.set(http::field::cache_control, "no-store");  // personal data
    if (r.retry_after) rep.set(http::field::retry_after, std::to_string(*r.retry_after));
    const bool close_after = r.close || !rc.body_read || !parser.get().keep_alive();
    rep.keep_alive(!close_after);
    rep.body() = std::move(r.body);
    rep.prepare_payload();
    lowest.expires_after(options_.idle_timeout);
    co_await http::async_write(*stream, rep, with_ec);
    if (!ec && !rc.body_read && !r.close) {
      // A lingering close: the client may still be sending the body we
      // refused; discard what it announced (at most 1 MiB, for at most the
      // handshake deadline, through a fixed buffer) so that it reads our
      // reply instead of a reset.
      std::array<char, 16 * 1024> scratch;
      const std::size_t most = 1 << 20;
      const auto announced = parser.is_header_done() ? parser.content_length() : boost::none;
      // In 64 bits: a Content-Length past 4 GiB must not wrap on 32-bit ARM.
      const auto budget = static_cast<std::size_t>(std::min<std::uint64_t>(announced.value_or(most), most));
      std::size_t drained = 0;
      lowest.expires_after(options_.handshake_timeout);
      while (drained < budget) {
        drained += co_await stream->async_read_some(asio::buffer(scratch), with_ec);
        if (ec) break;
      }
    }
    if (ec || close_after) break;
  }
  lowest.close();
}

}  // namespace ravao::receiver
