#pragma once
// ravao-web's only way to ravaod: its control socket (docs/control.md), one
// JSON line out, one JSON line back, one connection per request (requests
// from the page are few; a fresh connection needs no pool to recover after
// ravaod restarts). A subscription (`subscribe`) keeps its connection and
// yields the lines ravaod pushes.
//
// Thread: everything on the executor given; calls may run concurrently.
// Timeouts: a request has `timeout` from connect to its reply; at the
// deadline its socket is closed, which ends the read. Errors are results:
// `unavailable` (ravaod is not running or refuses us), `timeout`, or the
// daemon's own {"ok":false} reply (`refused`, with its extra keys kept).

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace ravao::web {

struct control_failure {
  enum class kind { unavailable, timeout, refused, protocol } what = kind::unavailable;
  std::string message;        // English, for logs and the API's "detail"
  boost::json::object reply;  // refused: the daemon's whole reply (error, field_errors, ...)
};

struct control_reply {
  boost::json::value result;
};

using control_result = std::variant<control_reply, control_failure>;

// One subscribed connection. Owned by the SSE relay that opened it; close()
// (from the same executor) ends a pending next_line().
class subscription {
 public:
  explicit subscription(boost::asio::local::stream_protocol::socket s) : socket_(std::move(s)) {}
  // The next line ravaod pushed (without its newline); nullopt once the
  // connection is closed or broke. A line over 1 MiB ends the subscription.
  boost::asio::awaitable<std::optional<std::string>> next_line();
  void close();
  // Bytes read with the subscribe reply that belong to the stream.
  void preload(std::string_view bytes);

 private:
  boost::asio::local::stream_protocol::socket socket_;
  boost::asio::streambuf buffer_{1 << 20};
};

class control_client {
 public:
  control_client(boost::asio::any_io_executor ex, std::filesystem::path socket,
                 std::chrono::milliseconds timeout = std::chrono::seconds(15));

  boost::asio::awaitable<control_result> call(boost::json::object request);
  // Sends `subscribe` (for one counter, or all) and waits for its first reply.
  boost::asio::awaitable<std::variant<std::unique_ptr<subscription>, control_failure>> subscribe(
      std::optional<std::string> counter);

  const std::filesystem::path& socket_path() const { return socket_; }

 private:
  // Connects, sends `request`, reads one reply line; the socket stays open
  // for a subscription.
  boost::asio::awaitable<std::variant<boost::json::object, control_failure>> exchange(
      boost::asio::local::stream_protocol::socket& s, boost::asio::streambuf& buffer, const boost::json::object& request);

  boost::asio::any_io_executor ex_;
  std::filesystem::path socket_;
  std::chrono::milliseconds timeout_;
};

}  // namespace ravao::web
