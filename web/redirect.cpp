// The plain-HTTP listener ([web] redirect_http): every request gets a 301
// to the same path on HTTPS, and the connection closes. It serves nothing
// else, reads at most one small header, within the header deadline.

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "web/request.hpp"
#include "web/server.hpp"

namespace ravao::web {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// The host part of a Host header when it is a plain name or address
// ("192.168.1.10:80" -> "192.168.1.10", "[fe80::1]" kept); else empty.
std::string host_only(std::string_view host) {
  if (host.empty() || host.size() > 255) return {};
  std::string_view h = host;
  if (h.starts_with('[')) {
    const auto end = h.find(']');
    if (end == std::string_view::npos) return {};
    h = h.substr(0, end + 1);
  } else if (const auto colon = h.find(':'); colon != std::string_view::npos) {
    h = h.substr(0, colon);
  }
  for (const char c : h) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == ':' || c == '[' || c == ']';
    if (!ok) return {};
  }
  return std::string(h);
}

}  // namespace

asio::awaitable<void> web_server::redirect(beast::tcp_stream stream, unsigned short https_port) {
  boost::system::error_code ec;
  auto with_ec = asio::redirect_error(asio::use_awaitable, ec);
  beast::flat_buffer buffer(max_header_bytes);
  http::request_parser<http::empty_body> parser;
  parser.header_limit(max_header_bytes);
  stream.expires_after(limits_.header_timeout);
  co_await http::async_read_header(stream, buffer, parser, with_ec);
  if (!ec) {
    const auto& req = parser.get();
    const std::string host = host_only(req[http::field::host]);
    const auto path = target_path(req.target());
    http::response<http::string_body> rep{host.empty() ? http::status::bad_request : http::status::moved_permanently,
                                          req.version()};
    set_common_headers(rep, cache_policy::no_store);
    rep.set(http::field::content_type, "text/plain; charset=utf-8");
    if (!host.empty()) {
      const std::string port = https_port == 443 ? "" : fmt::format(":{}", https_port);
      std::string target(req.target());
      if (!path) target = "/";
      rep.set(http::field::location, fmt::format("https://{}{}{}", host, port, target));
      rep.body() = "Hãy dùng https://\n";
    }
    rep.keep_alive(false);
    rep.prepare_payload();
    co_await http::async_write(stream, rep, with_ec);
  }
  stream.close();
  --plain_connections_;
}

}  // namespace ravao::web
