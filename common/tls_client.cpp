#include "common/tls_client.hpp"

#include "common/tls_policy.hpp"

#include <boost/asio/ip/address.hpp>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>

namespace ravao::sync {
namespace ssl = boost::asio::ssl;

result<ssl::context> make_client_context(const tls_client_settings& s) {
  ssl::context ctx(ssl::context::tls_client);
  if (auto ok = tls::apply_policy(ctx.native_handle()); !ok) return std::unexpected(ok.error());
  ctx.set_options(ssl::context::default_workarounds);
  boost::system::error_code ec;
  ctx.load_verify_file(s.ca_file.native(), ec);
  if (ec) return fail(errc::config_invalid, fmt::format("[sync] ca_file {}: cannot load: {}", s.ca_file.native(), ec.message()));
  ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  if (!s.client_cert.empty()) {
    ctx.use_certificate_chain_file(s.client_cert.native(), ec);
    if (ec)
      return fail(errc::config_invalid,
                  fmt::format("[sync] client_cert {}: cannot load: {}", s.client_cert.native(), ec.message()));
    ctx.use_private_key_file(s.client_key.native(), ssl::context::pem, ec);
    if (ec)
      return fail(errc::config_invalid,
                  fmt::format("[sync] client_key {}: cannot load (or it does not match client_cert): {}",
                              s.client_key.native(), ec.message()));
  }
  return ctx;
}

result<void> expect_server_identity(SSL* ssl, const std::string& host) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  boost::system::error_code ec;
  const auto ip = boost::asio::ip::make_address(host, ec);
  if (!ec) {
    if (X509_VERIFY_PARAM_set1_ip_asc(param, ip.to_string().c_str()) != 1)
      return fail(errc::invalid_argument, fmt::format("cannot expect IP address {}", host));
    return {};
  }
  if (SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(host.c_str())) != 1 || SSL_set1_host(ssl, host.c_str()) != 1)
    return fail(errc::invalid_argument, fmt::format("cannot expect host name {}", host));
  return {};
}

std::string describe_handshake_failure(SSL* ssl, const boost::system::error_code& ec) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK)
    return fmt::format("server certificate rejected: {}", X509_verify_cert_error_string(verify));
  std::string what = ec.message();
  if (ec.category() == boost::asio::error::get_ssl_category()) {
    char buf[256] = {};
    ERR_error_string_n(static_cast<unsigned long>(ec.value()), buf, sizeof buf);
    what = buf;
  }
  return fmt::format("TLS handshake failed: {}", what);
}

}  // namespace ravao::sync
