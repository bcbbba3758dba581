#pragma once
// The control socket ravaoctl talks to: a unix stream socket, mode 0660,
// owned by the configured group. Each connection sends requests as one JSON
// object per line, {"cmd": "status", ...}, and gets one JSON line back per
// request: {"ok": true, "result": ...} or {"ok": false, "error": "..."}.
// Protocol reference: docs/control.md.
//
// Access: the peer's credentials (SO_PEERCRED) are checked on accept
// (control/peer_access.hpp): root, the daemon's own user, members of the
// socket's group and, inside a user namespace, users from outside it are
// served; anyone else gets {"ok":false,"error":"permission denied ..."} and
// is disconnected.
//
// Ownership: the server owns its acceptor and the sessions it spawns; stop()
// closes the acceptor and every open session. A session that sends nothing
// for idle_timeout is closed.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <filesystem>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "common/error.hpp"
#include "control/peer_access.hpp"

namespace ravao {

// Thrown by a handler to answer {"ok":false,"error":what(), ...details}: an
// error with structured keys beside the words (`declare`'s "field_errors").
// "ok" and "error" in `details` are ignored.
class control_error : public std::invalid_argument {
 public:
  control_error(const std::string& what, boost::json::object details)
      : std::invalid_argument(what), details_(std::move(details)) {}
  const boost::json::object& details() const { return details_; }

 private:
  boost::json::object details_;
};

class control_server {
 public:
  // A coroutine on the server's executor; `request` and `peer` (who is
  // connected, from SO_PEERCRED) live until it returns.
  // Throws std::exception to answer {"ok":false,"error":what()} (control_error
  // adds keys). Requests of one connection are answered in order; connections
  // run concurrently, so a handler waiting for the store does not hold up
  // other clients.
  using handler = std::function<boost::asio::awaitable<boost::json::value>(const boost::json::object& request,
                                                                           const control_peer& peer)>;

  control_server(boost::asio::any_io_executor ex, handler h);

  // A command that turns its connection into a stream the daemon pushes
  // (`subscribe`). `take` gets the request and the connection: it answers
  // the request itself and owns the connection from then on; the server
  // reads no more of it and its idle close no longer applies (stop() still
  // closes it). Throwing std::exception refuses: the server answers
  // {"ok":false,"error":what()} and serves the connection as before.
  using socket_ptr = std::shared_ptr<boost::asio::local::stream_protocol::socket>;
  using stream_taker = std::function<void(const boost::json::object& request, socket_ptr sock)>;
  void add_stream(std::string cmd, stream_taker take);

  // Binds (replacing a stale socket file, refusing a live one), sets mode 0660
  // and the group (empty: keep what the socket got: its folder's group when
  // the folder is set-group-ID, else the daemon's), and starts accepting.
  result<void> listen(const std::filesystem::path& path, const std::string& group);
  void stop();

  static constexpr std::size_t max_request_bytes = 64 * 1024;

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(std::shared_ptr<boost::asio::local::stream_protocol::socket> sock);
  result<control_access> socket_access(const std::filesystem::path& path, const std::string& group);
  bool peer_allowed(int fd, std::string& who, control_peer& peer) const;

  boost::asio::any_io_executor ex_;
  handler handler_;
  std::map<std::string, stream_taker, std::less<>> streams_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  std::filesystem::path path_;
  control_access access_;
  std::string group_name_;  // for the refusal's advice
  std::list<std::weak_ptr<boost::asio::local::stream_protocol::socket>> sessions_;
  bool stopped_ = false;
};

}  // namespace ravao
