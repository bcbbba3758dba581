#pragma once
// The receiver's HTTPS server: POST <base>/v1/batches and <base>/v1/heartbeats
// (docs/sync-protocol.md) over TLS with keep-alive, bounded request sizes and
// timeouts, every request bound to its sender's gateway (identity.hpp), and
// the faults of faults.hpp.
//
// One thread: the io_context that runs the accept loop and every session
// coroutine also runs the SQLite transactions (a batch of 5,000 records
// commits in a few milliseconds, during which other connections wait). The
// server owns the acceptor and the session streams; stop() closes them all,
// which ends every coroutine.

#include <chrono>
#include <cstddef>
#include <filesystem>
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
#include "receiver/database.hpp"
#include "receiver/faults.hpp"
#include "receiver/identity.hpp"

namespace ravao::receiver {

struct server_options {
  std::string base_path;              // "" or "/ravao": the path of the gateway's [sync] url
  std::size_t max_body_bytes = 8 * 1024 * 1024;       // as sent (compressed): 413 beyond
  std::size_t max_inflated_bytes = 32 * 1024 * 1024;  // after gunzip: 413 beyond
  std::chrono::seconds timeout{30};   // TLS handshake, idle keep-alive, reading a request, writing a reply
  std::size_t max_connections = 256;  // more are accepted and closed at once
};

class server {
 public:
  // `tls`, `db`, `f` and `ids` must outlive the server and are used on `ex` only.
  server(boost::asio::any_io_executor ex, boost::asio::ssl::context& tls, database& db, faults& f,
         const identities& ids, server_options o);

  // Binds and starts accepting; the bound endpoint (the real port for port 0).
  result<boost::asio::ip::tcp::endpoint> listen(const boost::asio::ip::tcp::endpoint& at);
  // Closes the acceptor and every connection.
  void stop();

 private:
  using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
  struct exchange;

  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(std::shared_ptr<tls_stream> stream, std::string peer);
  void handle(exchange& x);
  void refuse_conflicts(exchange& x, const batch& b, const std::vector<std::int64_t>& seqs);
  void count(const std::string& gateway, std::string_view outcome);  // stats; a failure is only logged

  boost::asio::any_io_executor ex_;
  boost::asio::ssl::context& tls_;
  database& db_;
  faults& faults_;
  const identities& identities_;
  server_options options_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<std::weak_ptr<tls_stream>> sessions_;
  bool stopped_ = false;
};

}  // namespace ravao::receiver
