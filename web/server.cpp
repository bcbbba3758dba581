#include "web/server.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/fields.hpp>
#include <fmt/format.h>

#include "common/log.hpp"
#include "common/supervise.hpp"

namespace ravao::web {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

void set_common_headers(http::fields& f, cache_policy cache) {
  f.set(http::field::server, "ravao-web");
  f.set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  f.set("X-Content-Type-Options", "nosniff");
  f.set("Referrer-Policy", "no-referrer");
  f.set("X-Frame-Options", "DENY");
  f.set("Strict-Transport-Security", "max-age=31536000");
  f.set("Cross-Origin-Opener-Policy", "same-origin");
  f.set(http::field::cache_control, cache == cache_policy::no_store ? "no-store" : "no-cache");
}

web_server::web_server(asio::any_io_executor ex, asio::ssl::context& tls, api& handler, control_client& control,
                       server_limits limits)
    : ex_(ex), tls_(tls), api_(handler), control_(control), limits_(limits), acceptor_(ex), redirect_acceptor_(ex) {}

web_server::~web_server() = default;

namespace {

result<tcp::endpoint> bind(tcp::acceptor& a, const tcp::endpoint& at) {
  boost::system::error_code ec;
  a.open(at.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && at.address().is_v6()) a.set_option(asio::ip::v6_only(false), ec);
  if (!ec) a.bind(at, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail(std::error_code(ec.value(), std::system_category()),
                fmt::format("cannot listen on {}:{}", at.address().to_string(), at.port()));
  }
  return a.local_endpoint();
}

}  // namespace

result<tcp::endpoint> web_server::listen(const tcp::endpoint& at) {
  auto bound = bind(acceptor_, at);
  if (!bound) return bound;
  // Supervised: if accepting breaks, the service must restart. main owns
  // this server for the whole run, so `this` is safe.
  supervision s;
  s.task = "web.accept";
  s.policy = on_failure::exit_process;
  s.stopped = [this] { return stopped_; };
  spawn_supervised(ex_, std::move(s), [this] { return accept_loop(); });
  return bound;
}

result<tcp::endpoint> web_server::listen_redirect(const tcp::endpoint& at, unsigned short https_port) {
  auto bound = bind(redirect_acceptor_, at);
  if (!bound) return bound;
  supervision s;
  s.task = "web.redirect_accept";
  s.policy = on_failure::exit_process;
  s.stopped = [this] { return stopped_; };
  spawn_supervised(ex_, std::move(s), [this, https_port] { return redirect_loop(https_port); });
  return bound;
}

void web_server::stop() {
  stopped_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  redirect_acceptor_.close(ec);
  for (auto& w : connections_) {
    if (auto s = w.lock()) beast::get_lowest_layer(*s).close();
  }
  connections_.clear();
}

bool web_server::admit(tcp::socket& s) {
  std::erase_if(connections_, [](const auto& w) { return w.expired(); });
  if (connections_.size() + plain_connections_ < limits_.max_connections) return true;
  log::warning("web.too_many_connections", "a connection over the limit was refused",
               {{"limit", std::to_string(limits_.max_connections)}});
  boost::system::error_code ec;
  s.close(ec);
  return false;
}

asio::awaitable<void> web_server::accept_loop() {
  while (!stopped_) {
    tcp::socket socket(ex_);
    boost::system::error_code ec;
    co_await acceptor_.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopped_ || ec == asio::error::operation_aborted) co_return;
      log::warning("web.accept_failed", ec.message());
      continue;
    }
    if (!admit(socket)) continue;
    const auto remote = socket.remote_endpoint(ec);
    std::string peer = ec ? "?" : remote.address().to_string();
    auto stream = std::make_shared<tls_stream>(beast::tcp_stream(std::move(socket)), tls_);
    connections_.push_back(stream);
    spawn_session(ex_, "web.connection", serve(std::move(stream), std::move(peer)));
  }
}

asio::awaitable<void> web_server::redirect_loop(unsigned short https_port) {
  while (!stopped_) {
    tcp::socket socket(ex_);
    boost::system::error_code ec;
    co_await redirect_acceptor_.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopped_ || ec == asio::error::operation_aborted) co_return;
      log::warning("web.accept_failed", ec.message());
      continue;
    }
    if (!admit(socket)) continue;
    ++plain_connections_;
    spawn_session(ex_, "web.redirect", redirect(beast::tcp_stream(std::move(socket)), https_port));
  }
}

}  // namespace ravao::web
