#include "receiver/server.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "common/clock.hpp"
#include "common/log.hpp"
#include "common/supervise.hpp"
#include "receiver/exchange.hpp"

namespace ravao::receiver {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace {

// ravao::now(), not std::chrono::system_clock: Debian 12 armhf's libstdc++
// reads the clock with a 32-bit time_t (docs/cross-build.md "The year 2038").
std::int64_t now_ms() { return now().wall_ms; }

}  // namespace

server::server(asio::any_io_executor ex, asio::ssl::context& tls, store_pool& db, faults& f, const identities& ids,
               server_options o)
    : ex_(ex),
      tls_(tls),
      db_(db),
      faults_(f),
      identities_(ids),
      options_(std::move(o)),
      acceptor_(ex),
      session_ended_(ex),
      per_address_(options_.max_connections_per_address),
      per_gateway_(options_.per_gateway),
      session_slots_(ex, options_.max_sessions),
      handshake_slots_(ex, options_.max_handshakes),
      decoders_(options_.decode_threads) {}

// The pool's destructor joins its threads: a decode still running finishes
// first (it touches nothing of the server).
server::~server() = default;

result<tcp::endpoint> server::listen(const tcp::endpoint& at) {
  boost::system::error_code ec;
  acceptor_.open(at.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(at, ec);
  // The listen queue as long as the connections served (the kernel caps it
  // at net.core.somaxconn, 4,096 by default; docs/receiver.md "Connections"
  // says to raise that to the fleet's size): a fleet reconnecting at once
  // after an outage waits there instead of overflowing it, which the
  // gateways see as a connection that hangs and is reset, with no Retry-After.
  const int backlog = static_cast<int>(std::min<std::size_t>(options_.max_connections, 65'535));
  if (!ec) acceptor_.listen(std::max(backlog, static_cast<int>(asio::socket_base::max_listen_connections)), ec);
  if (!ec) acceptor_.non_blocking(true, ec);
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
  session_ended_.cancel();
  session_slots_.close();
  handshake_slots_.close();
  for (auto& w : sessions_) {
    if (auto s = w.lock()) beast::get_lowest_layer(*s).close();
  }
  sessions_.clear();
}

// On the store pool, nobody waiting; a full pool drops the count (the
// request is logged all the same).
void server::count(const std::string& gateway, std::string_view outcome) {
  db_.post([gateway, outcome = std::string(outcome)](store& s) {
    if (auto r = s.count_outcome(gateway, outcome); !r) log::warning("receiver.stats_failed", r.error().message());
  });
}

void server::refuse_busy(exchange& x, const std::string& gateway) {
  // Logged once per episode (until a batch is stored again), not per
  // request: in a reconnect storm every gateway is refused many times;
  // `stats` counts each refusal as "overloaded".
  if (!busy_logged_) {
    busy_logged_ = true;
    log::warning("receiver.overloaded", "the database is behind: requests refused with 503 and Retry-After",
                 {{"gateway", gateway}, {"pending", std::to_string(db_.pending())},
                  {"capacity", std::to_string(db_.capacity())}});
  }
  x.fail(http::status::service_unavailable, "the receiver is busy: retry later");
  x.retry_after = load_retry_after(sessions_in_use());
}

std::int64_t server::load_retry_after(std::size_t ahead) {
  const std::int64_t base = options_.busy_retry_after;
  if (store_rate_ <= 0) return base;
  const std::int64_t most = std::max<std::int64_t>(base, options_.idle_timeout.count() - 5);
  const double need = static_cast<double>(ahead) / store_rate_;
  const std::int64_t high = std::clamp(static_cast<std::int64_t>(std::ceil(need)), base, most);
  const std::int64_t low = std::max(base, high / 2);
  return std::uniform_int_distribution<std::int64_t>(low, high)(jitter_);
}

// The rate over windows of at least a second, smoothed; a window after a
// quiet spell (over 5 s without a store) starts afresh instead of counting
// the quiet as slowness.
void server::note_stored() {
  const auto now = std::chrono::steady_clock::now();
  ++rate_count_;
  const double elapsed = std::chrono::duration<double>(now - rate_since_).count();
  if (elapsed < 1.0) return;
  if (elapsed <= 5.0) {
    const double sample = static_cast<double>(rate_count_) / elapsed;
    store_rate_ = store_rate_ > 0 ? 0.7 * store_rate_ + 0.3 * sample : sample;
  }
  rate_since_ = now;
  rate_count_ = 0;
}

server::body_hold server::hold_body(std::size_t bytes) {
  if (body_bytes_ > 0 && body_bytes_ + bytes > options_.max_body_bytes) return {};
  return body_hold(this, bytes);
}

void server::refuse_throttled(exchange& x, const std::string& gateway, const gateway_limiter::admission& a) {
  // Logged once each time the gateway goes over, not per request: a looping
  // gateway must not flood the log too.
  if (a.first_refusal) {
    log::warning("receiver.gateway_throttled", "a gateway over its per-gateway limit: requests refused with 429",
                 {{"gateway", gateway}, {"limit", std::string(a.reason)},
                  {"retry_after", std::to_string(a.retry_after)}});
  }
  x.gateway = gateway;
  x.fail(http::status::too_many_requests,
         a.reason == "rate" ? "too many requests from this gateway: retry later"
                            : "too many requests of this gateway under way: retry later");
  x.retry_after = a.retry_after;
  count(gateway, "throttled");
}

// At --max-connections the loop stops accepting until a connection ends:
// the connections over the cap wait in the kernel's listen queue (and their
// SYNs are retried by the client beyond it), none is accepted only to be
// closed without a reply. Below it, every connection is accepted and waits
// for a session in user space (serve). Out of descriptors (EMFILE, ENFILE)
// or kernel memory, it waits the same way, at most 100 ms, instead of
// spinning on a connection it cannot take.
asio::awaitable<void> server::accept_loop() {
  while (!stopped_) {
    std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
    boost::system::error_code ec;
    if (connections_ >= options_.max_connections) {
      if (!at_capacity_) {
        log::warning("receiver.too_many_connections", "at --max-connections: accepting paused until one ends",
                     {{"connections", std::to_string(connections_)}});
      }
      at_capacity_ = true;
      co_await wait_for_a_session_end(std::chrono::seconds(1));
      continue;
    }
    at_capacity_ = false;
    tcp::socket socket(ex_);
    co_await acceptor_.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopped_ || ec == asio::error::operation_aborted) co_return;
      log::warning("receiver.accept_failed", ec.message());
      if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space || ec == asio::error::no_memory ||
          ec.value() == ENFILE) {
        co_await wait_for_a_session_end(std::chrono::milliseconds(100));
      }
      continue;
    }
    admit(std::move(socket));
    // Then every connection the kernel holds ready, without waiting for the
    // next turn of the event loop: in a storm the I/O thread is busy with
    // handshakes, and a listen queue that overflows ends in resets.
    for (int more = 0; more < 1024 && connections_ < options_.max_connections; ++more) {
      tcp::socket next(ex_);
      acceptor_.accept(next, ec);  // non-blocking (listen): would_block when none is ready
      if (ec) break;               // a lasting error shows again at the next async_accept
      admit(std::move(next));
    }
  }
}

void server::admit(tcp::socket socket) {
  boost::system::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  std::string peer = ec ? "?" : fmt::format("{}:{}", remote.address().to_string(), remote.port());
  const std::string key = ec ? "?" : address_key(remote.address());
  auto admission = per_address_.admit(key);
  if (!admission.admitted) {
    // Logged once each time an address reaches its cap, not per connection:
    // a flood must not flood the log too.
    if (admission.first_refusal) {
      log::warning("receiver.too_many_connections_from_address", "connections from one address refused",
                   {{"peer", peer}, {"limit", std::to_string(options_.max_connections_per_address)}});
    }
    socket.close(ec);
    return;
  }
  ++connections_;
  // An exception in one session closes only that connection (session.failed).
  spawn_session(ex_, "receiver.session", serve(std::move(socket), std::move(peer), std::move(admission.slot)));
}

asio::awaitable<void> server::wait_for_a_session_end(std::chrono::milliseconds at_most) {
  session_ended_.expires_after(at_most);
  boost::system::error_code ec;
  co_await session_ended_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

void server::on_session_end() {
  --connections_;
  session_ended_.cancel();
}

std::expected<sender, refusal> server::authorize(const http::fields& head, const peer_certificate& peer) const {
  return identities_.authenticate(head[http::field::authorization], peer);
}

bool server::may_send_for(const sender& who, const std::string& gateway, exchange& x) {
  const auto refused = check_sender(who, gateway);
  if (!refused) return true;
  x.fail(static_cast<http::status>(refused->status), refused->message);
  count(refused->gateway, refused->outcome);
  return false;
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

void server::refuse_records(exchange& x, const std::vector<rejection>& refused) {
  json::array rejected;
  for (const auto& r : refused) rejected.push_back(json::object{{"seq", r.seq}, {"reason", r.reason}});
  x.status = http::status::unprocessable_entity;
  x.note = fmt::format("{} records rejected, first seq {}: {}", refused.size(), refused.front().seq,
                       refused.front().reason);
  x.body = json::serialize(json::object{{"protocol", 1}, {"rejected", std::move(rejected)}});
  count(x.gateway, "rejected");
}

asio::awaitable<void> server::handle(exchange& x, const sender& who, decoded_body decoded) {
  if (auto* refused = std::get_if<refused_body>(&decoded)) {
    x.gateway = refused->gateway;
    x.fail(static_cast<http::status>(refused->status), refused->message);
    count(x.gateway, refused->outcome);
    co_return;
  }
  if (auto* invalid = std::get_if<invalid_records>(&decoded)) {
    x.gateway = invalid->gateway;
    if (!may_send_for(who, x.gateway, x)) co_return;
    refuse_records(x, invalid->rejected);
    co_return;
  }
  if (auto* h = std::get_if<heartbeat>(&decoded)) {
    x.gateway = h->gateway;
    if (!may_send_for(who, h->gateway, x)) co_return;
    // Named, not a temporary in the co_await expression: g++ 12 destroys
    // such temporaries twice.
    std::function<result<void>(store&)> store_it = [beat = std::move(*h), at = now_ms()](store& s) {
      return s.store_heartbeat(beat, at);
    };
    auto stored = co_await db_.submit(std::move(store_it));
    if (!stored) {
      refuse_busy(x, x.gateway);
      co_return;
    }
    if (auto& r = *stored; !r) {
      log::error("receiver.store_failed", r.error().message(), {{"gateway", x.gateway}});
      x.fail(http::status::service_unavailable, "the receiver cannot store right now");
      x.retry_after = 5;
      co_return;
    }
    x.body = json::serialize(json::object{{"protocol", 1}});
    co_return;
  }
  // Shared with the store job: the pool thread reads it until the job returns.
  const auto shared = std::make_shared<const batch>(std::move(std::get<batch>(decoded)));
  const batch& b = *shared;
  x.gateway = b.gateway;
  x.records = static_cast<std::int64_t>(b.records.size());
  if (!may_send_for(who, b.gateway, x)) co_return;
  if (const auto unknown = faults_.unknown_types(b); !unknown.empty()) {
    refuse_records(x, unknown);
    co_return;
  }
  if (const auto forced = faults_.before_store()) {
    x.fail(static_cast<http::status>(forced->status), fmt::format("fault injected ({})", forced->outcome));
    x.retry_after = forced->retry_after_seconds;
    count(b.gateway, forced->outcome);
    co_return;
  }
  const auto store_started = std::chrono::steady_clock::now();
  // Group-committed with the batches waiting beside it (store_pool.hpp).
  auto job = co_await db_.store_batch(shared, now_ms());
  x.store_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                     store_started).count();
  if (!job) {
    refuse_busy(x, x.gateway);
    count(x.gateway, "overloaded");
    co_return;
  }
  busy_logged_ = false;
  note_stored();
  auto& stored = *job;
  if (!stored) {
    log::error("receiver.store_failed", stored.error().message(), {{"gateway", x.gateway}});
    x.fail(http::status::service_unavailable, "the receiver cannot store right now");
    x.retry_after = 5;
    count(b.gateway, "store_failed");
    co_return;
  }
  if (!stored->conflicts.empty()) {
    refuse_conflicts(x, b, stored->conflicts);
    co_return;
  }
  x.accepted = stored->accepted;
  x.duplicates = stored->duplicates;
  x.group = stored->group;
  if (stored->duplicates > 0) {
    log::notice("receiver.duplicates_discarded", "records already stored were discarded",
                {{"gateway", b.gateway}, {"stream", b.stream}, {"count", std::to_string(stored->duplicates)}});
  }
  if (faults_.take_lost_ack()) {
    x.drop = true;
    x.note = "fault injected (lost-ack): committed, closing without a reply";
    count(b.gateway, "lost_ack");
    co_return;
  }
  x.body = json::serialize(json::object{{"protocol", 1},
                                        {"stored_through", stored->stored_through},
                                        {"accepted", stored->accepted},
                                        {"duplicates", stored->duplicates}});
}

}  // namespace ravao::receiver
