#include "receiver/server.hpp"

#include <array>
#include <optional>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/tls_server.hpp"
#include "common/log.hpp"
#include "common/supervise.hpp"
#include "common/gzip.hpp"

namespace ravao::receiver {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t max_header_bytes = 16 * 1024;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string error_body(std::string_view message) {
  return json::serialize(json::object{{"protocol", 1}, {"error", message}});
}

}  // namespace

struct server::exchange {
  enum class endpoint { batches, heartbeats };
  endpoint where = endpoint::batches;
  http::request<http::string_body> req;
  peer_certificate peer;

  http::status status = http::status::ok;
  std::string body;
  std::optional<std::int64_t> retry_after;
  bool drop = false;  // lost-ack: close without replying

  std::string gateway;  // for the log line and stats, when known
  std::string note;
  std::optional<std::int64_t> records, accepted, duplicates, store_ms;

  void fail(http::status s, std::string_view message) {
    status = s;
    body = error_body(message);
    note = message;
  }
};

server::server(asio::any_io_executor ex, asio::ssl::context& tls, database& db, faults& f, const identities& ids,
               server_options o)
    : ex_(ex), tls_(tls), db_(db), faults_(f), identities_(ids), options_(std::move(o)), acceptor_(ex) {}

result<tcp::endpoint> server::listen(const tcp::endpoint& at) {
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
  // Supervised (common/supervise.hpp): if accepting breaks, the service must
  // restart (exit_process: serve_command's fatal handler stops with exit 1).
  // serve_command owns this server for the whole run, so `this` is safe.
  supervision s;
  s.task = "receiver.accept";
  s.policy = on_failure::exit_process;
  s.stopped = [this] { return stopped_; };
  spawn_supervised(ex_, std::move(s), [this] { return accept_loop(); });
  return bound;
}

void server::stop() {
  stopped_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  for (auto& w : sessions_) {
    if (auto s = w.lock()) beast::get_lowest_layer(*s).close();
  }
  sessions_.clear();
}

void server::count(const std::string& gateway, std::string_view outcome) {
  if (auto r = db_.count_outcome(gateway, outcome); !r) {
    log::warning("receiver.stats_failed", r.error().message());
  }
}

asio::awaitable<void> server::accept_loop() {
  while (!stopped_) {
    tcp::socket socket(ex_);
    boost::system::error_code ec;
    co_await acceptor_.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopped_ || ec == asio::error::operation_aborted) co_return;
      log::warning("receiver.accept_failed", ec.message());
      continue;
    }
    const auto remote = socket.remote_endpoint(ec);
    std::string peer = ec ? "?" : fmt::format("{}:{}", remote.address().to_string(), remote.port());
    std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
    if (sessions_.size() >= options_.max_connections) {
      log::warning("receiver.too_many_connections", "connection refused", {{"peer", peer}});
      socket.close(ec);
      continue;
    }
    auto stream = std::make_shared<tls_stream>(beast::tcp_stream(std::move(socket)), tls_);
    sessions_.push_back(stream);
    // An exception in one session closes only that connection (session.failed).
    spawn_session(ex_, "receiver.session", serve(std::move(stream), std::move(peer)));
  }
}

// One connection: handshake, then requests until the client closes, a
// timeout, an error, or a reply that closes. Owns `stream` (shared only with
// sessions_, whose weak reference lets stop() close it).
asio::awaitable<void> server::serve(std::shared_ptr<tls_stream> stream, std::string peer) {
  boost::system::error_code ec;
  auto& lowest = beast::get_lowest_layer(*stream);
  auto with_ec = asio::redirect_error(asio::use_awaitable, ec);
  lowest.expires_after(options_.timeout);
  co_await stream->async_handshake(asio::ssl::stream_base::server, with_ec);
  if (ec) {
    log::info("receiver.handshake_failed", "TLS handshake failed", {{"peer", peer}, {"reason", ec.message()}});
    lowest.close();
    co_return;
  }
  const peer_certificate peer_cert = read_peer_certificate(stream->native_handle());
  beast::flat_buffer buffer;
  while (!stopped_) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(max_header_bytes);
    parser.body_limit(options_.max_body_bytes);
    lowest.expires_after(options_.timeout);  // idle keep-alive wait, then the header
    co_await http::async_read_header(*stream, buffer, parser, with_ec);
    // A Content-Length over the limit fails here, with the header read.
    const bool too_large = ec == http::error::body_limit;
    if (ec && !too_large) break;  // the client closed, went idle, or sent garbage
    const auto started = std::chrono::steady_clock::now();
    exchange x;
    x.peer = peer_cert;
    const auto& head = parser.get();
    const std::string target(head.target());
    const std::string_view method = head.method_string();
    bool close_after = !head.keep_alive();

    const auto route = [&]() -> std::optional<exchange::endpoint> {
      std::string_view path = target;
      if (const auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
      if (!path.starts_with(options_.base_path)) return std::nullopt;
      path.remove_prefix(options_.base_path.size());
      if (path == "/v1/batches") return exchange::endpoint::batches;
      if (path == "/v1/heartbeats") return exchange::endpoint::heartbeats;
      return std::nullopt;
    }();

    bool read_body = true;
    if (too_large) {
      x.fail(http::status::payload_too_large, fmt::format("body larger than {} bytes", options_.max_body_bytes));
      count("", "too_large");
      read_body = false;
    } else if (!route) {
      x.fail(http::status::not_found, fmt::format("no such endpoint (expected POST {}/v1/batches or {}/v1/heartbeats)",
                                                  options_.base_path, options_.base_path));
      read_body = false;
    } else if (head.method() != http::verb::post) {
      x.fail(http::status::method_not_allowed, "only POST is allowed here");
      read_body = false;
    } else {
      x.where = *route;
      if (x.where == exchange::endpoint::batches && faults_.take_reset_mid_body()) {
        lowest.expires_after(options_.timeout);
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
        lowest.expires_after(options_.timeout);
        co_await http::async_write(*stream, go_on, with_ec);
        if (ec) break;
      }
    }
    if (read_body) {
      lowest.expires_after(options_.timeout);
      co_await http::async_read(*stream, buffer, parser, with_ec);
      if (ec == http::error::body_limit) {
        x.fail(http::status::payload_too_large,
               fmt::format("body larger than {} bytes", options_.max_body_bytes));
        count("", "too_large");
        read_body = false;
      } else if (ec) {
        log::info("receiver.request", fmt::format("{} {} incomplete", method, target),
                  {{"peer", peer}, {"reason", ec.message()}});
        break;
      } else {
        x.req = parser.release();
        handle(x);
      }
    }
    if (!read_body) close_after = true;  // the unread body is still on the wire

    if (faults_.delay().count() > 0) {
      asio::steady_timer delay(ex_, faults_.delay());
      co_await delay.async_wait(with_ec);
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    std::string message = fmt::format("{} {} {}", method, target, x.drop ? "dropped" : std::to_string(static_cast<unsigned>(x.status)));
    const auto opt = [](const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : std::string("-"); };
    log::info("receiver.request", message,
              {{"peer", peer}, {"gateway", x.gateway.empty() ? "-" : x.gateway}, {"records", opt(x.records)},
               {"accepted", opt(x.accepted)}, {"duplicates", opt(x.duplicates)}, {"ms", std::to_string(ms.count())},
               {"store_ms", opt(x.store_ms)},
               {"note", x.note.empty() ? "-" : x.note}});
    if (x.drop || stopped_) break;

    http::response<http::string_body> rep{x.status, 11};
    rep.set(http::field::server, "ravao-receiver/" RAVAO_VERSION);
    rep.set(http::field::content_type, "application/json");
    rep.set("Ravao-Protocol", "1");
    if (x.retry_after) rep.set(http::field::retry_after, std::to_string(*x.retry_after));
    rep.keep_alive(!close_after);
    rep.body() = std::move(x.body);
    rep.prepare_payload();
    lowest.expires_after(options_.timeout);
    co_await http::async_write(*stream, rep, with_ec);
    if (!ec && !read_body) {
      // A lingering close: the client may still be sending the body we
      // refused; read and discard it for a while (bounded), so that it gets
      // to read our reply instead of a reset.
      std::array<char, 16 * 1024> scratch;
      std::size_t drained = 0;
      lowest.expires_after(std::chrono::seconds(5));
      while (drained < 4 * options_.max_body_bytes) {
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

// 409: records stored earlier under the same key with other content. Never
// a duplicate: acknowledging would let the gateway delete its genuine copy.
void server::refuse_conflicts(exchange& x, const batch& b, const std::vector<std::int64_t>& seqs) {
  json::array listed;
  std::string text;
  for (const auto seq : seqs) {
    listed.push_back(json::object{{"seq", seq}});
    if (listed.size() <= 20) text += (text.empty() ? "" : ",") + std::to_string(seq);
  }
  if (seqs.size() > 20) text += ",...";
  log::error("receiver.record_conflict",
             "records already stored with other content: batch refused (409), the refused copies kept",
             {{"gateway", b.gateway}, {"stream", b.stream}, {"seqs", text}, {"first_seq", std::to_string(seqs.front())}});
  x.status = http::status::conflict;
  x.note = fmt::format("{} records conflict with stored ones, first seq {}", seqs.size(), seqs.front());
  x.body = json::serialize(json::object{
      {"protocol", 1},
      {"error", "records with these seqs are already stored with other content: nothing of the batch was stored"},
      {"conflicts", std::move(listed)}});
}

void server::handle(exchange& x) {
  const auto& req = x.req;
  const bool batches = x.where == exchange::endpoint::batches;
  if (const auto proto = req["Ravao-Protocol"]; !proto.empty() && proto != "1") {
    x.fail(http::status::bad_request, "unsupported Ravao-Protocol (this receiver speaks 1)");
    count("", "malformed");
    return;
  }
  // Who sent it (identity.hpp); the body must then name that gateway.
  const auto from = identities_.authenticate(req[http::field::authorization], x.peer);
  if (!from) {
    x.fail(static_cast<http::status>(from.error().status), from.error().message);
    count(from.error().gateway, from.error().outcome);
    return;
  }
  const std::string_view encoding = req[http::field::content_encoding];
  std::optional<std::string> inflated;
  if (encoding == "gzip" || encoding == "x-gzip") {
    auto body = gzip::decompress(req.body(), options_.max_inflated_bytes);
    if (!body) {
      const bool too_large = body.error().context.find("inflates past") != std::string::npos;
      x.fail(too_large ? http::status::payload_too_large : http::status::bad_request,
             too_large ? fmt::format("body inflates past {} bytes", options_.max_inflated_bytes)
                       : body.error().message());
      count("", too_large ? "too_large" : "malformed");
      return;
    }
    inflated = std::move(*body);
  } else if (!encoding.empty() && encoding != "identity") {
    x.fail(http::status::unsupported_media_type, "Content-Encoding must be gzip or identity");
    count("", "malformed");
    return;
  }
  const std::string& body = inflated ? *inflated : req.body();
  const auto authorized_for = [&](const std::string& gateway) {
    const auto refused = check_sender(*from, gateway);
    if (!refused) return true;
    x.fail(static_cast<http::status>(refused->status), refused->message);
    count(refused->gateway, refused->outcome);
    return false;
  };
  if (batches) {
    auto outcome = parse_batch(body);
    if (auto* bad = std::get_if<bad_request>(&outcome)) {
      x.gateway = bad->gateway;
      x.fail(static_cast<http::status>(bad->status), bad->message);
      count(x.gateway, bad->status == 413 ? "too_large" : "malformed");
      return;
    }
    if (auto* invalid = std::get_if<invalid_records>(&outcome)) {
      x.gateway = invalid->gateway;
      if (!authorized_for(x.gateway)) return;
      json::array rejected;
      for (const auto& r : invalid->rejected) rejected.push_back(json::object{{"seq", r.seq}, {"reason", r.reason}});
      x.status = http::status::unprocessable_entity;
      x.note = fmt::format("{} records rejected, first seq {}: {}", invalid->rejected.size(),
                           invalid->rejected.front().seq, invalid->rejected.front().reason);
      x.body = json::serialize(json::object{{"protocol", 1}, {"rejected", std::move(rejected)}});
      count(x.gateway, "rejected");
      return;
    }
    auto& b = std::get<batch>(outcome);
    x.gateway = b.gateway;
    x.records = static_cast<std::int64_t>(b.records.size());
    if (!authorized_for(b.gateway)) return;
    if (const auto forced = faults_.before_store()) {
      x.fail(static_cast<http::status>(forced->status), fmt::format("fault injected ({})", forced->outcome));
      x.retry_after = forced->retry_after_seconds;
      count(b.gateway, forced->outcome);
      return;
    }
    const auto store_started = std::chrono::steady_clock::now();
    auto stored = db_.store_batch(b, now_ms());
    x.store_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                       store_started).count();
    if (!stored) {
      log::error("receiver.store_failed", stored.error().message(), {{"gateway", b.gateway}});
      x.fail(http::status::service_unavailable, "the receiver cannot store right now");
      x.retry_after = 5;
      count(b.gateway, "store_failed");
      return;
    }
    if (!stored->conflicts.empty()) {
      refuse_conflicts(x, b, stored->conflicts);
      return;
    }
    x.accepted = stored->accepted;
    x.duplicates = stored->duplicates;
    if (stored->duplicates > 0) {
      log::notice("receiver.duplicates_discarded", "records already stored were discarded",
                  {{"gateway", b.gateway}, {"stream", b.stream}, {"count", std::to_string(stored->duplicates)}});
    }
    if (faults_.take_lost_ack()) {
      x.drop = true;
      x.note = "fault injected (lost-ack): committed, closing without a reply";
      count(b.gateway, "lost_ack");
      return;
    }
    x.body = json::serialize(json::object{{"protocol", 1},
                                          {"stored_through", stored->stored_through},
                                          {"accepted", stored->accepted},
                                          {"duplicates", stored->duplicates}});
    return;
  }
  auto outcome = parse_heartbeat(body);
  if (auto* bad = std::get_if<bad_request>(&outcome)) {
    x.gateway = bad->gateway;
    x.fail(static_cast<http::status>(bad->status), bad->message);
    count(x.gateway, "malformed");
    return;
  }
  auto& h = std::get<heartbeat>(outcome);
  x.gateway = h.gateway;
  if (!authorized_for(h.gateway)) return;
  if (auto r = db_.store_heartbeat(h, now_ms()); !r) {
    log::error("receiver.store_failed", r.error().message(), {{"gateway", h.gateway}});
    x.fail(http::status::service_unavailable, "the receiver cannot store right now");
    x.retry_after = 5;
    return;
  }
  x.body = json::serialize(json::object{{"protocol", 1}});
}

}  // namespace ravao::receiver
