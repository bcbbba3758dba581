#pragma once
// The receiver's HTTPS server: POST <base>/v1/batches and <base>/v1/heartbeats
// (docs/sync-protocol.md) over TLS with keep-alive, bounded request sizes,
// deadlines and connections per address, bearer tokens checked as soon as a
// request's header is read (before any of its body), and the faults of
// faults.hpp.
//
// Threads: one I/O thread runs the accept loop, every session coroutine and
// the SQLite transactions (a batch of 5,000 records commits in a few
// milliseconds, during which other connections wait). Gunzip and JSON
// parsing, which a large body makes long, run on a small worker pool
// (body.hpp: pure, owning its input); the session awaits the result and
// resumes on the I/O thread. The server owns the acceptor, the pool and the
// session streams; stop() closes the acceptor and the streams, which ends
// every coroutine (a decode under way finishes, then its session ends).

#include <chrono>
#include <cstddef>
#include <expected>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "common/error.hpp"
#include "receiver/body.hpp"
#include "receiver/database.hpp"
#include "receiver/faults.hpp"
#include "receiver/limits.hpp"

namespace ravao::receiver {

// One line of a --tokens file: "TOKEN" (any gateway) or "GATEWAY TOKEN".
struct bearer_token {
  std::string gateway;  // empty: any gateway
  std::string token;
};

// Reads a --tokens file: one token per line, optionally after a gateway id;
// blank lines and lines starting with '#' are skipped.
result<std::vector<bearer_token>> load_tokens(const std::filesystem::path& path);

struct server_options {
  std::string base_path;              // "" or "/ravao": the path of the gateway's [sync] url
  std::vector<bearer_token> tokens;   // empty: no bearer token asked for
  bool bind_client_cn = false;        // the client certificate's CN must equal the body's gateway
  // Deadlines (docs/receiver.md): the TLS handshake, and a request's header
  // once its first byte arrived, within `handshake_timeout`; a whole request
  // (header, body, decoding, up to storing) within `request_timeout`; a
  // keep-alive connection waits `idle_timeout` for its next request, and a
  // reply is written within `idle_timeout`.
  std::chrono::seconds handshake_timeout{5};
  std::chrono::seconds request_timeout{60};
  std::chrono::seconds idle_timeout{30};
  std::size_t max_connections = 256;             // more are accepted and closed at once
  std::size_t max_connections_per_address = 16;  // from one peer address; more are accepted and closed
  unsigned decode_threads = 2;                   // the worker pool that gunzips and parses bodies
};

// Who sent a request, as far as its header and TLS identity tell, before any
// of its body is read (server::authorize). The body's gateway is checked
// against it once parsed.
struct sender {
  std::string token_gateway;  // the gateway a bound token belongs to; empty: any
  std::string client_cn;      // the client certificate's CN (mutual TLS), else empty
};

// A request refused from its header alone.
struct refusal {
  unsigned status = 401;
  std::string message;
  std::string outcome;  // the statistics' outcome ("unauthorized", "malformed")
};

class server {
 public:
  // `tls`, `db` and `f` must outlive the server and are used on `ex` only.
  server(boost::asio::any_io_executor ex, boost::asio::ssl::context& tls, database& db, faults& f,
         server_options o);
  ~server();

  // Binds and starts accepting; the bound endpoint (the real port for port 0).
  result<boost::asio::ip::tcp::endpoint> listen(const boost::asio::ip::tcp::endpoint& at);
  // Closes the acceptor and every connection.
  void stop();

 private:
  using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
  struct exchange;

  boost::asio::awaitable<void> accept_loop();
  // session.cpp: one connection, request after request.
  boost::asio::awaitable<void> serve(std::shared_ptr<tls_stream> stream, std::string peer, connection_slot slot);
  // The one place a request is authenticated, from its header and the TLS
  // client identity, before its body is read.
  std::expected<sender, refusal> authorize(const boost::beast::http::fields& head, std::string_view client_cn) const;
  // Whether `who` may send for `gateway` (the body's); else fills `x` with 403.
  bool may_send_for(const sender& who, const std::string& gateway, exchange& x);
  // The decoded body checked against the sender, stored, and the reply set in `x`.
  void handle(exchange& x, const sender& who, decoded_body body);
  void count(const std::string& gateway, std::string_view outcome);  // stats; a failure is only logged

  boost::asio::any_io_executor ex_;
  boost::asio::ssl::context& tls_;
  database& db_;
  faults& faults_;
  server_options options_;
  boost::asio::ip::tcp::acceptor acceptor_;
  address_limits per_address_;
  std::vector<std::weak_ptr<tls_stream>> sessions_;
  boost::asio::thread_pool decoders_;
  bool stopped_ = false;
};

}  // namespace ravao::receiver
