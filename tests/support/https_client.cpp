#include "support/https_client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>

#include "common/gzip.hpp"

namespace ravao::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;

namespace {

std::unexpected<error> failed(std::string_view step, const boost::system::error_code& ec) {
  return std::unexpected(error{std::error_code(ec.value(), std::system_category()),
                               fmt::format("{}: {}", step, ec.message())});
}

}  // namespace

struct https_client::impl {
  https_options o;
  asio::io_context io;
  ssl::context ctx{ssl::context::tls_client};
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> stream;
  beast::flat_buffer buffer;

  // Starts one asynchronous operation (its completion stores the error) and
  // runs the private io_context until it completes; the stream's own
  // deadline (expires_after) bounds it.
  template <class Start>
  boost::system::error_code run(Start start) {
    boost::system::error_code result;
    beast::get_lowest_layer(*stream).expires_after(o.timeout);
    start([&result](boost::system::error_code ec, auto&&...) { result = ec; });
    io.restart();
    io.run();
    return result;
  }
};

https_client::https_client(https_options o) : impl_(std::make_unique<impl>()) { impl_->o = std::move(o); }

https_client::~https_client() { close(); }

bool https_client::resumable() const {
  if (!impl_->stream) return false;
  const SSL_SESSION* s = SSL_get_session(impl_->stream->native_handle());
  return s != nullptr && SSL_SESSION_is_resumable(s) == 1;
}

bool https_client::connected() const {
  return impl_->stream && beast::get_lowest_layer(*impl_->stream).socket().is_open();
}

void https_client::close() {
  if (impl_->stream) beast::get_lowest_layer(*impl_->stream).close();
  impl_->stream.reset();
  impl_->buffer.clear();
}

result<void> https_client::connect() {
  close();
  auto& x = *impl_;
  boost::system::error_code ec;
  x.ctx = ssl::context(ssl::context::tls_client);
  x.ctx.set_verify_mode(ssl::verify_peer);
  x.ctx.load_verify_file(x.o.ca_file.native(), ec);
  if (ec) return failed("loading the CA file " + x.o.ca_file.native(), ec);
  if (x.o.client_cert) {
    x.ctx.use_certificate_chain_file(x.o.client_cert->native(), ec);
    if (!ec && x.o.client_key) x.ctx.use_private_key_file(x.o.client_key->native(), ssl::context::pem, ec);
    if (ec) return failed("loading the client certificate", ec);
  }
  x.stream = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(x.io, x.ctx);
  // SNI (SSL_set_tlsext_host_name is a macro with a C cast).
  SSL_ctrl(x.stream->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
           const_cast<char*>(x.o.host.c_str()));
  x.stream->set_verify_callback(ssl::host_name_verification(x.o.host));
  const asio::ip::tcp::endpoint at(asio::ip::make_address(x.o.address), x.o.port);
  if (!x.o.source.empty()) {
    auto& sock = beast::get_lowest_layer(*x.stream).socket();
    sock.open(at.protocol(), ec);
    if (!ec) sock.bind(asio::ip::tcp::endpoint(asio::ip::make_address(x.o.source), 0), ec);
    if (ec) return failed("binding to " + x.o.source, ec);
  }
  ec = x.run([&](auto handler) { beast::get_lowest_layer(*x.stream).async_connect(at, handler); });
  if (ec) return failed("TCP connect", ec);
  ec = x.run([&](auto handler) { x.stream->async_handshake(ssl::stream_base::client, handler); });
  if (ec) {
    close();
    return failed("TLS handshake", ec);
  }
  return {};
}

result<http_reply> https_client::post(std::string_view target, std::string_view body, const post_options& p) {
  if (!connected()) {
    if (auto r = connect(); !r) return std::unexpected(r.error());
  }
  auto& x = *impl_;
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, x.o.host);
  req.set(http::field::content_type, "application/json");
  req.set("Ravao-Protocol", "1");
  if (!x.o.token.empty()) req.set(http::field::authorization, "Bearer " + x.o.token);
  if (p.gzip) {
    req.set(http::field::content_encoding, "gzip");
    req.body() = gzip::compress(body);
  } else {
    req.body() = body;
  }
  req.keep_alive(true);
  for (const auto& [name, value] : p.headers) {
    if (value.empty()) req.erase(name);
    else req.set(name, value);
  }
  req.prepare_payload();
  auto ec = x.run([&](auto handler) { http::async_write(*x.stream, req, handler); });
  if (ec) {
    close();
    return failed("sending the request", ec);
  }
  return read_reply();
}

result<void> https_client::send_raw(std::string_view bytes) {
  if (!connected()) {
    if (auto r = connect(); !r) return r;
  }
  auto& x = *impl_;
  const auto ec = x.run([&](auto handler) { asio::async_write(*x.stream, asio::buffer(bytes), handler); });
  if (ec) {
    close();
    return failed("sending", ec);
  }
  return {};
}

result<http_reply> https_client::read_reply() {
  if (!connected()) return std::unexpected(error{std::make_error_code(std::errc::not_connected), "not connected"});
  auto& x = *impl_;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  const auto ec = x.run([&](auto handler) { http::async_read(*x.stream, x.buffer, parser, handler); });
  if (ec) {
    close();
    return failed("reading the reply", ec);
  }
  auto res = parser.release();
  http_reply out;
  out.status = res.result_int();
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(f.value());
  }
  out.body = std::move(res.body());
  if (!res.keep_alive()) close();
  return out;
}

result<void> https_client::post_partial_and_reset(std::string_view target, std::string_view body,
                                                  std::size_t sent_bytes) {
  if (!connected()) {
    if (auto r = connect(); !r) return r;
  }
  auto& x = *impl_;
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, x.o.host);
  req.set(http::field::content_type, "application/json");
  req.set("Ravao-Protocol", "1");
  if (!x.o.token.empty()) req.set(http::field::authorization, "Bearer " + x.o.token);
  req.content_length(body.size());
  http::request_serializer<http::string_body> head(req);
  auto ec = x.run([&](auto handler) { http::async_write_header(*x.stream, head, handler); });
  if (!ec) {
    const auto part = asio::buffer(body.data(), std::min(sent_bytes, body.size()));
    ec = x.run([&](auto handler) { asio::async_write(*x.stream, part, handler); });
  }
  auto& sock = beast::get_lowest_layer(*x.stream).socket();
  boost::system::error_code ignored;
  sock.set_option(asio::socket_base::linger(true, 0), ignored);
  close();
  if (ec) return failed("sending part of the request", ec);
  return {};
}

}  // namespace ravao::test
