// One HTTPS connection of ravao-web: the TLS handshake, then requests until
// the client closes, a deadline passes, an error, or an event stream takes
// the connection over. A request that does not parse (or is too large) gets
// a 400 (413, 431) and the connection closes; nothing a client sends can end
// more than its own connection.

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "common/log.hpp"
#include "web/request.hpp"
#include "web/server.hpp"

namespace ravao::web {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

http::response<http::string_body> to_response(reply r, unsigned version, bool keep_alive) {
  http::response<http::string_body> rep{r.status, version};
  set_common_headers(rep, r.cache);
  rep.set(http::field::content_type, r.content_type);
  for (auto& [name, value] : r.headers) rep.insert(name, value);
  rep.keep_alive(keep_alive);
  rep.body() = std::move(r.body);
  rep.prepare_payload();
  return rep;
}

}  // namespace

asio::awaitable<void> web_server::serve(std::shared_ptr<tls_stream> stream, std::string peer) {
  boost::system::error_code ec;
  auto& lowest = beast::get_lowest_layer(*stream);
  auto with_ec = asio::redirect_error(asio::use_awaitable, ec);
  lowest.expires_after(limits_.header_timeout);
  co_await stream->async_handshake(asio::ssl::stream_base::server, with_ec);
  if (ec) {
    log::debug("web.handshake_failed", "TLS handshake failed", {{"address", peer}, {"reason", ec.message()}});
    lowest.close();
    co_return;
  }
  beast::flat_buffer buffer(max_header_bytes + max_body_bytes);
  while (!stopped_) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(max_header_bytes);
    parser.body_limit(max_body_bytes);
    // The first byte of the next request within the idle timeout, then the
    // header within header_timeout and the whole request within request_timeout.
    if (buffer.size() == 0) {
      lowest.expires_after(limits_.idle_timeout);
      const auto n = co_await stream->async_read_some(buffer.prepare(4096), with_ec);
      if (ec) break;
      buffer.commit(n);
    }
    lowest.expires_after(limits_.header_timeout);
    co_await http::async_read_header(*stream, buffer, parser, with_ec);
    if (!ec) {
      lowest.expires_after(limits_.request_timeout);
      co_await http::async_read(*stream, buffer, parser, with_ec);
    }
    std::optional<reply> refused;
    if (ec == http::error::header_limit) {
      refused = error_reply(http::status::request_header_fields_too_large, "Yêu cầu quá lớn");
    } else if (ec == http::error::body_limit) {
      refused = error_reply(http::status::payload_too_large, "Dữ liệu gửi lên quá lớn");
    } else if (ec && ec.category() == make_error_code(http::error::end_of_stream).category() && ec != http::error::end_of_stream &&
               ec != http::error::partial_message) {
      refused = error_reply(http::status::bad_request, "Yêu cầu không hợp lệ");
    } else if (ec) {
      break;  // the client closed or was too slow
    }
    if (refused) {
      log::info("web.request_refused", "a request that does not parse or is too large",
                {{"address", peer}, {"reason", ec.message()}});
      lowest.expires_after(limits_.write_timeout);
      co_await http::async_write(*stream, to_response(std::move(*refused), 11, false), with_ec);
      break;
    }
    const http_request req = parser.release();
    auto outcome = co_await api_.handle(req, peer);
    if (stopped_) break;
    if (auto* events = std::get_if<event_stream>(&outcome)) {
      co_await relay_events(stream, std::move(*events), req.version());
      co_return;  // relay_events closed the connection
    }
    const bool keep_alive = req.keep_alive();
    lowest.expires_after(limits_.write_timeout);
    co_await http::async_write(*stream, to_response(std::move(std::get<reply>(outcome)), req.version(), keep_alive),
                               with_ec);
    if (ec || !keep_alive) break;
  }
  lowest.close();
}

}  // namespace ravao::web
