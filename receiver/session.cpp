// One connection of the receiver's server: the TLS handshake, then requests
// until the client closes, a deadline passes, an error, or a reply that
// closes. Each request: its header (within the handshake deadline), the
// checks that need only the header (route, method, protocol, authorize), and
// only then its body, decoded on the worker pool, then stored and answered.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "common/log.hpp"
#include "common/text.hpp"
#include "receiver/exchange.hpp"

namespace ravao::receiver {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using steady = std::chrono::steady_clock;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t max_header_bytes = 16 * 1024;
// How much of a client-supplied string (request target, method) a log line shows, escaped.
constexpr std::size_t max_logged_bytes = 256;

std::optional<endpoint> route(std::string_view target, std::string_view base_path) {
  std::string_view path = target;
  if (const auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  if (!path.starts_with(base_path)) return std::nullopt;
  path.remove_prefix(base_path.size());
  if (path == "/v1/batches") return endpoint::batches;
  if (path == "/v1/heartbeats") return endpoint::heartbeats;
  return std::nullopt;
}

// A tracing request: the ingest server holds no secret key and never traces
// (docs/tracing.md, "Roles").
bool is_trace_request(std::string_view target, std::string_view base_path) {
  std::string_view path = target;
  if (!path.starts_with(base_path)) return false;
  path.remove_prefix(base_path.size());
  return path.starts_with("/v1/trace");
}

// Runs on the worker pool: owns its input, so the session's frame is not
// touched from there; its result is delivered back on the session's executor.
asio::awaitable<decoded_body> decode_on_pool(endpoint where, std::string body, std::string encoding) {
  co_return decode_body(where, std::move(body), std::move(encoding));
}

}  // namespace

// Owns `socket` and `slot` (its place among its address's connections).
// While it waits for a session it holds only the socket: no TLS state, no
// buffer (docs/receiver.md "Connections").
asio::awaitable<void> server::serve(tcp::socket socket, std::string peer,
                                    [[maybe_unused]] connection_slot slot) {  // held until the session ends
  // However the session ends: a paused accept loop may take the next connection.
  struct wake_accept {
    server* s;
    ~wake_accept() { s->on_session_end(); }
  } wake{this};
  auto session = co_await session_slots_.acquire(steady::now() + options_.queue_timeout);
  if (stopped_) co_return;  // the socket closes with this frame
  const bool overflow = !session;
  if (overflow && !queue_timeout_logged_) {
    queue_timeout_logged_ = true;
    log::warning("receiver.session_queue_timeout",
                 "connections waited past the queue timeout for a session: answered 503 with Retry-After",
                 {{"peer", peer}, {"waiting", std::to_string(session_slots_.waiting())},
                  {"max_sessions", std::to_string(options_.max_sessions)}});
  } else if (!overflow) {
    queue_timeout_logged_ = false;
  }
  auto stream = co_await handshake(std::move(socket), peer, overflow);
  if (!stream) co_return;
  co_await serve_requests(std::move(stream), peer, overflow);
}

asio::awaitable<std::shared_ptr<server::tls_stream>> server::handshake(tcp::socket socket, const std::string& peer,
                                                                        bool overflow) {
  // Its deadline starts once it has a slot: the I/O thread runs at most
  // max_handshakes at once, so each gets its share of the CPU in time. A
  // connection that already waited past queue_timeout for a session goes
  // first: it is only told 503 with Retry-After, and its gateway has waited
  // longest; it waits at most queue_timeout again. One that holds a session
  // waits for its turn however long the queue is (it is served in order;
  // each handshake ahead ends within the handshake deadline), or until its
  // gateway gives up and closes.
  const auto until = overflow ? steady::now() + options_.queue_timeout : steady::time_point::max();
  auto slot = co_await handshake_slots_.acquire(until, overflow);
  if (stopped_) co_return nullptr;
  if (!slot) {
    // Past the session queue timeout and now the handshake queue's too:
    // closed unanswered (the gateway retries with its backoff), logged once
    // per episode, as the session queue's timeout.
    if (!handshake_timeout_logged_) {
      handshake_timeout_logged_ = true;
      log::warning("receiver.handshake_queue_timeout",
                   "connections waited past the queue timeout for a TLS handshake: closed unanswered",
                   {{"peer", peer}, {"waiting", std::to_string(handshake_slots_.waiting())},
                    {"max_handshakes", std::to_string(options_.max_handshakes)}});
    }
    co_return nullptr;
  }
  handshake_timeout_logged_ = false;
  auto stream = std::make_shared<tls_stream>(beast::tcp_stream(std::move(socket)), tls_.native_handle());
  sessions_.push_back(stream);
  boost::system::error_code ec;
  auto& lowest = beast::get_lowest_layer(*stream);
  lowest.expires_after(options_.handshake_timeout);
  co_await stream->async_handshake(asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    log::info("receiver.handshake_failed", "TLS handshake failed",
              {{"peer", peer}, {"reason", ec == beast::error::timeout ? "handshake deadline passed" : ec.message()}});
    lowest.close();
    co_return nullptr;
  }
  co_return stream;
}

// Owns `stream` (shared only with sessions_, whose weak reference lets stop() close it).
asio::awaitable<void> server::serve_requests(std::shared_ptr<tls_stream> stream, const std::string& peer,
                                             bool overflow) {
  boost::system::error_code ec;
  auto& lowest = beast::get_lowest_layer(*stream);
  auto with_ec = asio::redirect_error(asio::use_awaitable, ec);
  const peer_certificate peer_cert = read_peer_certificate(stream->native_handle());
  // At most 32 KiB (a header is at most 16 KiB; a body goes through it in
  // pieces of a TLS record or two): 2,000 sessions each growing it to
  // Beast's 64 KiB reads would hold 128 MiB in a storm.
  beast::flat_buffer buffer(32 * 1024);
  bool first = true;
  std::int64_t promised_retry = 0;  // the Retry-After of our last reply on this session
  while (!stopped_) {
    // Waiting for the next request: its first byte within the idle timeout
    // (the handshake deadline for the first request: a gateway sends at once).
    if (buffer.size() == 0) {
      // Between requests the buffer is given back (a body may have grown it).
      buffer.shrink_to_fit();
      // While other connections wait for a session, an idle one keeps its
      // session only as long as a gateway obeying our last Retry-After needs.
      const auto idle =
          session_slots_.waiting() > 0
              ? std::min(options_.idle_timeout,
                         std::chrono::seconds(std::max(options_.busy_retry_after, promised_retry) + 5))
              : options_.idle_timeout;
      const auto wait = first ? options_.handshake_timeout : idle;
      lowest.expires_after(wait);
      const auto n = co_await stream->async_read_some(buffer.prepare(4096), with_ec);
      if (ec == beast::error::timeout) {
        log::info("receiver.session_closed", "a connection sent no request in time: closed",
                  {{"peer", peer},
                   {"reason", first ? "no first request within the handshake deadline" : "idle"},
                   {"seconds", std::to_string(wait.count())}});
      }
      if (ec) break;
      buffer.commit(n);
    }
    first = false;
    const auto started = steady::now();
    const auto deadline = started + options_.request_timeout;
    http::request_parser<http::string_body> parser;
    parser.header_limit(max_header_bytes);
    parser.body_limit(batch_limits.max_sent_bytes);  // the largest; narrowed once routed
    lowest.expires_at(std::min(started + options_.handshake_timeout, deadline));
    co_await http::async_read_header(*stream, buffer, parser, with_ec);
    // A Content-Length over the limit fails here, with the header read.
    const bool too_large = ec == http::error::body_limit;
    if (ec && !too_large) break;  // the client closed, was too slow, or sent garbage

    exchange x;
    const auto& head = parser.get();
    const std::string target = text::escape_for_log(head.target(), max_logged_bytes);
    const std::string method = text::escape_for_log(head.method_string(), max_logged_bytes);
    bool close_after = !head.keep_alive();
    const auto where = route(head.target(), options_.base_path);

    // Everything the header alone decides, authentication included, before
    // one byte of the body is read.
    std::optional<sender> who;
    gateway_ticket ticket;  // the request's place among its gateway's, until its reply is ready
    body_hold body;         // the body's share of --max-body-mib, until the request is done
    if (too_large) {
      x.fail(http::status::payload_too_large, fmt::format("body larger than {} bytes", batch_limits.max_sent_bytes));
      count("", "too_large");
    } else if (!where && is_trace_request(head.target(), options_.base_path)) {
      x.fail(http::status::forbidden,
             "the ingest server does not trace: it holds no secret key (run ravao-receiver trace where the key is)");
    } else if (!where) {
      x.fail(http::status::not_found, fmt::format("no such endpoint (expected POST {}/v1/batches or {}/v1/heartbeats)",
                                                  options_.base_path, options_.base_path));
    } else if (head.method() != http::verb::post) {
      x.fail(http::status::method_not_allowed, "only POST is allowed here");
    } else if (const auto proto = head["Ravao-Protocol"]; !proto.empty() && proto != "1") {
      x.fail(http::status::bad_request, "unsupported Ravao-Protocol (this receiver speaks 1)");
      count("", "malformed");
    } else if (auto authorized = authorize(head, peer_cert); !authorized) {
      x.fail(static_cast<http::status>(authorized.error().status), authorized.error().message);
      count(authorized.error().gateway, authorized.error().outcome);
    } else if (const auto length = parser.content_length(); length && *length > limits_of(*where).max_sent_bytes) {
      x.fail(http::status::payload_too_large, fmt::format("body larger than {} bytes", limits_of(*where).max_sent_bytes));
      count("", "too_large");
    } else if (auto admission = per_gateway_.admit(authorized->gateway); !admission.admitted) {
      refuse_throttled(x, authorized->gateway, admission);
    } else if (overflow) {
      // It waited past --queue-timeout-seconds for a session: told when to
      // come back, then closed, so that the sessions go to the queue's order.
      x.gateway = authorized->gateway;
      x.fail(http::status::service_unavailable, "the receiver has too many connections: retry later");
      x.retry_after = load_retry_after(sessions_in_use() + session_slots_.waiting());
      close_after = true;
      count(x.gateway, "overloaded");
    } else if (ticket = std::move(admission.ticket);
               db_.pending() >= db_.capacity() ||
               !(body = hold_body(static_cast<std::size_t>(length.value_or(limits_of(*where).max_sent_bytes))))) {
      // The database is behind, or the bodies already held fill their
      // budget: refused before this body costs memory or a decode (the pool
      // may also fill while the body is read: handle() checks again).
      x.gateway = authorized->gateway;
      refuse_busy(x, x.gateway);
      count(x.gateway, "overloaded");
    } else {
      who = std::move(*authorized);
      x.where = *where;
    }

    bool body_read = false;
    if (who) {
      parser.body_limit(limits_of(x.where).max_sent_bytes);  // a chunked body
      if (x.where == endpoint::batches && faults_.take_reset_mid_body()) {
        lowest.expires_at(deadline);
        co_await http::async_read_some(*stream, buffer, parser, with_ec);
        lowest.socket().set_option(asio::socket_base::linger(true, 0), ec);
        lowest.close();  // with linger 0: RST
        log::info("receiver.request", fmt::format("{} {} reset", method, target),
                  {{"peer", peer}, {"fault", "reset-mid-body"}});
        count("", "reset");
        co_return;
      }
      if (head[http::field::expect] == "100-continue") {
        http::response<http::empty_body> go_on{http::status::continue_, 11};
        lowest.expires_at(deadline);
        co_await http::async_write(*stream, go_on, with_ec);
        if (ec) break;
      }
      lowest.expires_at(deadline);
      co_await http::async_read(*stream, buffer, parser, with_ec);
      if (ec == http::error::body_limit) {
        x.fail(http::status::payload_too_large,
               fmt::format("body larger than {} bytes", limits_of(x.where).max_sent_bytes));
        count("", "too_large");
      } else if (ec) {
        log::info("receiver.request", fmt::format("{} {} incomplete", method, target),
                  {{"peer", peer}, {"reason", ec == beast::error::timeout ? "request deadline passed" : ec.message()}});
        break;
      } else {
        body_read = true;
        auto req = parser.release();
        auto decoded = co_await asio::co_spawn(
            decoders_, decode_on_pool(x.where, std::move(req.body()), std::string(req[http::field::content_encoding])),
            asio::use_awaitable);
        if (stopped_) break;
        body.resize(memory_of(decoded));  // the raw body is gone; its records are held instead
        if (steady::now() > deadline) {
          // Decoding waited behind other bodies: nothing is stored, the gateway retries later.
          x.fail(http::status::service_unavailable,
                 fmt::format("the request took longer than {} s", options_.request_timeout.count()));
          x.retry_after = 5;
          count("", "timeout");
        } else {
          co_await handle(x, *who, std::move(decoded));
        }
      }
    }
    // A refusal with Retry-After (429, 503) decided from the header keeps
    // the connection: its announced body is read and discarded after the
    // reply, so the gateway's retry costs no new TLS handshake. Any other
    // unread body (too large, chunked, awaiting 100-continue) closes it.
    // A gateway told to come back later gives up its session with this
    // reply while other connections wait for one: the slot serves one of
    // them instead of idling, and the gateway's retry (a new connection,
    // in turn) finds no keep-alive connection closed under it. Kept alive
    // after a slow gateway's own retry had raced the idle close, a
    // storm's gateways lost hundreds of requests to it (docs/receiver.md).
    if (x.retry_after && session_slots_.waiting() > 0) close_after = true;
    std::optional<std::size_t> discard;
    if (!body_read && !too_large && x.retry_after && !close_after &&
        head[http::field::expect] != "100-continue") {
      if (const auto length = parser.content_length(); length && *length <= batch_limits.max_sent_bytes) {
        discard = static_cast<std::size_t>(*length);
      }
    }
    if (!body_read && !discard) close_after = true;  // the unread body is still on the wire

    if (faults_.delay().count() > 0) {
      asio::steady_timer delay(ex_, faults_.delay());
      co_await delay.async_wait(with_ec);
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - started);
    std::string message = fmt::format("{} {} {}", method, target, x.drop ? "dropped" : std::to_string(static_cast<unsigned>(x.status)));
    const auto opt = [](const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : std::string("-"); };
    log::info("receiver.request", message,
              {{"peer", peer}, {"gateway", x.gateway.empty() ? "-" : x.gateway}, {"records", opt(x.records)},
               {"accepted", opt(x.accepted)}, {"duplicates", opt(x.duplicates)}, {"ms", std::to_string(ms.count())},
               {"store_ms", opt(x.store_ms)}, {"group", opt(x.group)},
               {"note", x.note.empty() ? "-" : x.note}});
    if (x.drop || stopped_) break;
    ticket = {};  // the request is done but for its reply: the gateway may send its next one
    body = {};

    http::response<http::string_body> rep{x.status, 11};
    rep.set(http::field::server, "ravao-receiver/" RAVAO_VERSION);
    rep.set(http::field::content_type, "application/json");
    rep.set("Ravao-Protocol", "1");
    if (x.retry_after) rep.set(http::field::retry_after, std::to_string(*x.retry_after));
    promised_retry = x.retry_after.value_or(0);
    rep.keep_alive(!close_after);
    rep.body() = std::move(x.body);
    rep.prepare_payload();
    lowest.expires_after(options_.idle_timeout);
    co_await http::async_write(*stream, rep, with_ec);
    if (!ec && discard) {
      // Exactly the announced body: what is already buffered, then the rest
      // through a fixed scratch buffer (nothing is kept), within the handshake deadline.
      const std::size_t buffered = std::min(buffer.size(), *discard);
      buffer.consume(buffered);
      std::size_t left = *discard - buffered;
      // On the heap, for the drain only: an array here would sit in every
      // session's coroutine frame for its whole life.
      std::vector<char> scratch(16 * 1024);
      lowest.expires_after(options_.handshake_timeout);
      while (left > 0 && !ec) {
        left -= co_await stream->async_read_some(asio::buffer(scratch.data(), std::min(left, scratch.size())), with_ec);
      }
    } else if (!ec && !body_read) {
      // A lingering close: the client may still be sending the body we
      // refused; discard what it announced (at most 4 batches' worth, for at
      // most the handshake deadline, through a fixed scratch buffer: nothing
      // is kept), so that it reads our reply instead of a reset.
      std::vector<char> scratch(16 * 1024);  // on the heap, as above
      const std::size_t most = 4 * batch_limits.max_sent_bytes;
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
  // No TLS close_notify: every reply is length-delimited, and waiting for the
  // peer's would let a silent client hold the connection.
  lowest.close();
}

}  // namespace ravao::receiver
