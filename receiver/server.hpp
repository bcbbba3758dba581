#pragma once
// The receiver's HTTPS server: POST <base>/v1/batches and <base>/v1/heartbeats
// (docs/sync-protocol.md) over TLS with keep-alive, bounded request sizes,
// deadlines and connections per address, every request bound to its sender's
// gateway (identity.hpp) and authenticated as soon as its header is read
// (before any of its body), and the faults of faults.hpp.
//
// Threads: one I/O thread runs the accept loop and every session coroutine.
// Every connection is accepted (up to max_connections, fd limits permitting);
// TLS sessions and handshakes are capped by two FIFO gates (slot_gate.hpp),
// so that a reconnect storm is queued in user space, never reset.
// Gunzip and JSON parsing, which a large body makes long, run on a small
// worker pool (body.hpp: pure, owning its input); the database work runs on
// the store pool (store_pool.hpp: bounded; a full pool is a 503 with
// Retry-After). The session awaits each and resumes on the I/O thread. The server owns the acceptor, the pool and the
// session streams; stop() closes the acceptor and the streams, which ends
// every coroutine (a decode under way finishes, then its session ends).

#include <chrono>
#include <cstddef>
#include <expected>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "common/error.hpp"
#include "receiver/body.hpp"
#include "receiver/faults.hpp"
#include "receiver/gateway_limiter.hpp"
#include "receiver/identity.hpp"
#include "receiver/limits.hpp"
#include "receiver/slot_gate.hpp"
#include "receiver/store_pool.hpp"
#include "receiver/tls_socket.hpp"

namespace ravao::receiver {

struct server_options {
  std::string base_path;              // "" or "/ravao": the path of the gateway's [sync] url
  // Deadlines (docs/receiver.md): the TLS handshake, and a request's header
  // once its first byte arrived, within `handshake_timeout`; a whole request
  // (header, body, decoding, up to storing) within `request_timeout`; a
  // keep-alive connection waits `idle_timeout` for its next request, and a
  // reply is written within `idle_timeout`.
  std::chrono::seconds handshake_timeout{10};
  std::chrono::seconds request_timeout{60};
  std::chrono::seconds idle_timeout{30};
  // Connections (docs/receiver.md "Connections"): up to `max_connections`
  // are accepted (more wait in the listen queue until one ends); of those,
  // `max_sessions` have a TLS session at once, and the others wait for one
  // in FIFO order holding only their socket; `max_handshakes` TLS handshakes
  // run at once. A connection that waited `queue_timeout` for a session is
  // served anyway, only to answer its first request 503 with Retry-After.
  std::size_t max_connections = 20'000;
  std::size_t max_sessions = 2'000;
  std::size_t max_handshakes = 256;
  std::chrono::seconds queue_timeout{30};
  // Request bodies held at once (announced bytes: being read, decoded or
  // waiting for the database); a request over it is answered 503 with
  // Retry-After from its header, before its body costs memory. One body is
  // always admitted, whatever its size.
  std::size_t max_body_bytes = 32 * 1024 * 1024;
  std::size_t max_connections_per_address = 16;  // from one peer address; more are accepted and closed
  unsigned decode_threads = 2;                   // the worker pool that gunzips and parses bodies
  std::int64_t busy_retry_after = 2;             // Retry-After (s) of a 503 when the store pool is full
  gateway_limits per_gateway;                    // requests of one gateway: more get 429 (gateway_limiter.hpp)
};

class server {
 public:
  // `tls`, `db`, `f` and `ids` must outlive the server; all but `db` (whose
  // jobs run on its own threads) are used on `ex` only.
  server(boost::asio::any_io_executor ex, boost::asio::ssl::context& tls, store_pool& db, faults& f,
         const identities& ids, server_options o);
  ~server();

  // Binds and starts accepting; the bound endpoint (the real port for port 0).
  result<boost::asio::ip::tcp::endpoint> listen(const boost::asio::ip::tcp::endpoint& at);
  // Closes the acceptor and every connection.
  void stop();

 private:
  using tls_stream = tls_socket;  // no buffers of its own while a session waits (tls_socket.hpp)
  struct exchange;

  boost::asio::awaitable<void> accept_loop();
  // An accepted connection: its address's share checked, then served (serve).
  void admit(boost::asio::ip::tcp::socket socket);
  // Until a session ends (on_session_end) or `at_most` passes.
  boost::asio::awaitable<void> wait_for_a_session_end(std::chrono::milliseconds at_most);
  void on_session_end();
  // session.cpp: one connection, request after request.
  // Owns the accepted socket: waits for a session and a handshake slot, then serves.
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket, std::string peer, connection_slot slot);
  // A TLS session for `socket` within the handshake gate; nullptr when it failed (logged).
  // `overflow`: it waited past queue_timeout for a session, and goes first.
  boost::asio::awaitable<std::shared_ptr<tls_stream>> handshake(boost::asio::ip::tcp::socket socket,
                                                                const std::string& peer, bool overflow);
  // Requests on one TLS session until it ends; `overflow`: it waited past
  // queue_timeout, so its first request is answered 503 and the session closed.
  boost::asio::awaitable<void> serve_requests(std::shared_ptr<tls_stream> stream, const std::string& peer,
                                              bool overflow);
  // The one place a request is authenticated (identities::authenticate),
  // from its header and the TLS client certificate, before its body is read.
  std::expected<sender, refusal> authorize(const boost::beast::http::fields& head,
                                           const peer_certificate& peer) const;
  // Whether `who` may send for `gateway` (the body's); else fills `x` with 403.
  bool may_send_for(const sender& who, const std::string& gateway, exchange& x);
  // 409: records already stored under the same keys with other content.
  void refuse_conflicts(exchange& x, const batch& b, const std::vector<std::int64_t>& seqs);
  // 422 with the refused records and their reasons (counted as "rejected").
  void refuse_records(exchange& x, const std::vector<rejection>& refused);
  // The decoded body checked against the sender, stored, and the reply set in `x`.
  boost::asio::awaitable<void> handle(exchange& x, const sender& who, decoded_body body);
  // 503 with Retry-After (load_retry_after): the store pool or the body budget is full.
  void refuse_busy(exchange& x, const std::string& gateway);
  // Retry-After (s) of a 503 for load: how long the `ahead` requests take
  // at the rate batches were stored lately, at least busy_retry_after and
  // at most idle_timeout - 5 s (a gateway obeying it still finds its
  // keep-alive session), drawn from its upper half so that the refused do
  // not all come back in the same second; busy_retry_after while no rate
  // is known. A reconnect storm is spread over the time the database needs
  // instead of retried every 2 s with its whole body.
  std::int64_t load_retry_after(std::size_t ahead);
  // Sessions in use: each may hold a batch for the database.
  std::size_t sessions_in_use() const { return options_.max_sessions - session_slots_.free(); }
  void note_stored();  // a batch stored: counted into store_rate_
  std::chrono::steady_clock::time_point rate_since_{};
  std::int64_t rate_count_ = 0;
  double store_rate_ = 0;        // batches stored per second, smoothed (I/O thread only)
  std::minstd_rand jitter_{42};  // spreads Retry-After (not a secret)
  bool busy_logged_ = false;  // an overload episode was logged (I/O thread only)
  // A request body's share of max_body_bytes, held until its request is
  // done (stored or refused); given back when destroyed. I/O thread only.
  class body_hold {
   public:
    body_hold() = default;
    body_hold(server* s, std::size_t bytes) : s_(s), bytes_(bytes) { s_->body_bytes_ += bytes_; }
    body_hold(body_hold&& o) noexcept : s_(std::exchange(o.s_, nullptr)), bytes_(o.bytes_) {}
    body_hold& operator=(body_hold&& o) noexcept {
      if (this != &o) {
        release();
        s_ = std::exchange(o.s_, nullptr);
        bytes_ = o.bytes_;
      }
      return *this;
    }
    ~body_hold() { release(); }
    explicit operator bool() const { return s_ != nullptr; }
    // Once decoded the body's records are what it holds: its share becomes
    // their size (more than a gzip Content-Length). Never refused: the
    // request is admitted; later headers find the budget spent.
    void resize(std::size_t bytes) {
      if (!s_) return;
      s_->body_bytes_ = s_->body_bytes_ - bytes_ + bytes;
      bytes_ = bytes;
    }

   private:
    void release() {
      if (auto* s = std::exchange(s_, nullptr)) s->body_bytes_ -= bytes_;
    }
    server* s_ = nullptr;
    std::size_t bytes_ = 0;
  };
  // A share of max_body_bytes for a body of `bytes`; empty when the budget is spent.
  body_hold hold_body(std::size_t bytes);
  std::size_t body_bytes_ = 0;
  // 429 with Retry-After: `gateway` is over its per-gateway limits.
  void refuse_throttled(exchange& x, const std::string& gateway, const gateway_limiter::admission& a);
  void count(const std::string& gateway, std::string_view outcome);  // stats; a failure is only logged

  boost::asio::any_io_executor ex_;
  boost::asio::ssl::context& tls_;
  store_pool& db_;
  faults& faults_;
  const identities& identities_;
  server_options options_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer session_ended_;  // cancelled when a session ends: wakes a paused accept loop
  bool at_capacity_ = false;                 // logged once per episode
  address_limits per_address_;
  gateway_limiter per_gateway_;
  std::vector<std::weak_ptr<tls_stream>> sessions_;
  std::size_t connections_ = 0;  // accepted and not yet closed, waiting ones included
  slot_gate session_slots_;      // TLS sessions at once (max_sessions)
  slot_gate handshake_slots_;    // TLS handshakes at once (max_handshakes)
  bool queue_timeout_logged_ = false;  // an episode of connections waiting past queue_timeout
  bool handshake_timeout_logged_ = false;  // an episode of connections waiting past it for a handshake
  boost::asio::thread_pool decoders_;
  bool stopped_ = false;
};

}  // namespace ravao::receiver
