#pragma once
// ravao-web's listeners: HTTPS for the console and, when enabled, plain
// HTTP on port 80 that answers every request with a 301 to HTTPS and serves
// nothing else.
//
// Threads: one I/O thread runs the accept loops and every connection's
// coroutine (connection.cpp); the API's Argon2id checks run on its pool.
// Limits: at most `max_connections` connections at once (more are accepted
// and closed at once); a request's header (8 KiB) within `header_timeout`
// of its first byte, its body (64 KiB) within `request_timeout`; a
// keep-alive connection waits `idle_timeout` for its next request. An event
// stream has no request deadline: it ends when the client or ravaod closes,
// when a write stalls for `write_timeout`, or at stop().
// Ownership: the server owns its acceptors and the streams (weakly: each
// connection's coroutine holds its own); stop() closes them all, which ends
// every coroutine. `tls` and `handler` must outlive the server.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "common/error.hpp"
#include "web/api.hpp"

namespace ravao::web {

struct server_limits {
  std::chrono::seconds header_timeout{10};   // also the TLS handshake's
  std::chrono::seconds request_timeout{30};
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds write_timeout{30};
  std::chrono::seconds keepalive_every{15};  // ": keepalive" on an idle event stream
  std::size_t max_connections = 256;
  std::size_t max_event_buffer = 256 * 1024;  // per event stream: more waiting unsent ends it
};

class web_server {
 public:
  web_server(boost::asio::any_io_executor ex, boost::asio::ssl::context& tls, api& handler, control_client& control,
             server_limits limits = {});
  ~web_server();

  // Binds and starts accepting; the bound endpoint (the real port for port 0).
  result<boost::asio::ip::tcp::endpoint> listen(const boost::asio::ip::tcp::endpoint& at);
  // The port-80 redirect, to the HTTPS port `https_port`.
  result<boost::asio::ip::tcp::endpoint> listen_redirect(const boost::asio::ip::tcp::endpoint& at,
                                                         unsigned short https_port);
  void stop();

 private:
  using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> redirect_loop(unsigned short https_port);
  // connection.cpp: one HTTPS connection, request after request.
  boost::asio::awaitable<void> serve(std::shared_ptr<tls_stream> stream, std::string peer);
  // events.cpp: the rest of the connection is one event stream.
  boost::asio::awaitable<void> relay_events(std::shared_ptr<tls_stream> stream, event_stream what,
                                            unsigned http_version);
  // redirect.cpp: one plain-HTTP connection, answered with a 301.
  boost::asio::awaitable<void> redirect(boost::beast::tcp_stream stream, unsigned short https_port);
  bool admit(boost::asio::ip::tcp::socket& s);

  boost::asio::any_io_executor ex_;
  boost::asio::ssl::context& tls_;
  api& api_;
  control_client& control_;
  server_limits limits_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::ip::tcp::acceptor redirect_acceptor_;
  std::vector<std::weak_ptr<tls_stream>> connections_;
  std::size_t plain_connections_ = 0;
  bool stopped_ = false;
};

// Adds the headers every ravao-web response carries (CSP, nosniff,
// Referrer-Policy, HSTS, frame denial) and the cache policy.
void set_common_headers(boost::beast::http::fields& f, cache_policy cache);

}  // namespace ravao::web
