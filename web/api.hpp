#pragma once
// The console's HTTP API (docs/console.md, "HTTP API") and its pages.
//
// Every request is answered here except the event stream's body: handle()
// returns either a reply, or, for an authorised GET /api/events, what the
// connection must relay (events.hpp). The checks, in order: the route; the
// session (cookie ravao_session, session_table: idle and absolute
// timeouts); for a POST, the Origin header (absent, or this server's own)
// and X-CSRF-Token (the session's); the role (supervisor endpoints: 403 for
// staff) and the counter binding (a staff user's counters only: 403). Every
// write passes actor "web:<user>" to ravaod.
//
// Thread: handle() runs on the server's executor; Argon2id verification
// (account_store::verify, ~100 ms, 64 MiB) runs on `verifier`, a small pool,
// with the account store (thread-safe) and copies of the name and password.
// Owns nothing: the server's main owns the client, the tables and the pool,
// and keeps them until the executor has stopped.

#include <optional>
#include <string>
#include <variant>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/object.hpp>

#include "web/auth/account_store.hpp"
#include "web/auth/login_throttle.hpp"
#include "web/auth/session_table.hpp"
#include "web/control_client.hpp"
#include "web/reply.hpp"

namespace ravao::web {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;

// An authorised event stream: subscribe to ravaod for `counter` (all
// counters when empty: a supervisor) on behalf of `user`.
struct event_stream {
  std::optional<std::string> counter;
  std::string user;
};

using api_outcome = std::variant<reply, event_stream>;

class api {
 public:
  api(boost::asio::any_io_executor ex, control_client& control, account_store& accounts, session_table& sessions,
      login_throttle& throttle, boost::asio::thread_pool& verifier);

  boost::asio::awaitable<api_outcome> handle(const http_request& req, const std::string& peer_address);

  // The Vietnamese text of a 503 when ravaod cannot be reached, and a reply
  // for a control failure of any kind (503, 504, 409, 422).
  static reply control_failure_reply(const control_failure& f);

 private:
  struct call_context;  // one request: its session, target, body

  boost::asio::awaitable<reply> route_api(call_context& c);
  reply static_page(const http_request& req, const std::optional<session>& s);

  boost::asio::awaitable<reply> login(call_context& c);
  reply logout(call_context& c);
  boost::asio::awaitable<reply> session_info(const session& s);

  // api_counter.cpp
  boost::asio::awaitable<reply> counters(call_context& c);
  boost::asio::awaitable<reply> visits(call_context& c);
  boost::asio::awaitable<reply> last_scan(call_context& c);
  boost::asio::awaitable<reply> checkout(call_context& c);
  boost::asio::awaitable<reply> undo(call_context& c);
  boost::asio::awaitable<reply> declare(call_context& c);
  boost::asio::awaitable<reply> slip_print(call_context& c);
  boost::asio::awaitable<reply> slip_reprint(call_context& c);
  // api_supervisor.cpp
  boost::asio::awaitable<reply> overview(call_context& c);
  boost::asio::awaitable<reply> summary(call_context& c, std::string_view format);
  boost::asio::awaitable<reply> print_for_counter(call_context& c, std::string_view cmd);

  // Calls ravaod and answers its result as JSON (or the failure's reply).
  boost::asio::awaitable<reply> relay(boost::json::object request);
  // A write: `actor` added, the result relayed, logged as web.action.
  boost::asio::awaitable<reply> write(call_context& c, boost::json::object request);
  // The counter of the request (query `counter`, or body key `counter`),
  // checked against the session's binding; else the refusal to send.
  std::variant<std::string, reply> bound_counter(call_context& c, std::optional<std::string> counter);

  boost::asio::any_io_executor ex_;
  control_client& control_;
  account_store& accounts_;
  session_table& sessions_;
  login_throttle& throttle_;
  boost::asio::thread_pool& verifier_;
};

}  // namespace ravao::web
