#include "common/tls_server.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fmt/format.h>

#include "common/tls_policy.hpp"

namespace ravao::receiver {
namespace ssl = boost::asio::ssl;

std::string openssl_errors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

result<std::unique_ptr<ssl::context>> make_server_context(const tls_server_options& o) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  if (auto ok = tls::apply_policy(native); !ok) return std::unexpected(ok.error());
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
  // An idle connection gives its read and write buffers (about 34 KiB) back
  // to the allocator: a server holding thousands of keep-alive connections
  // pays for buffers only while they carry data.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(native, o.cert_chain.c_str()) != 1) {
    return fail(errc::invalid_argument,
                fmt::format("--cert {}: cannot load the certificate chain (PEM expected): {}", o.cert_chain.string(),
                            openssl_errors()));
  }
  if (SSL_CTX_use_PrivateKey_file(native, o.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail(errc::invalid_argument, fmt::format("--key {}: cannot load the private key (unencrypted PEM expected): {}",
                                                    o.key.string(), openssl_errors()));
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return fail(errc::invalid_argument, fmt::format("--key {} does not belong to the certificate in --cert {}",
                                                    o.key.string(), o.cert_chain.string()));
  }
  if (o.client_ca) {
    if (SSL_CTX_load_verify_locations(native, o.client_ca->c_str(), nullptr) != 1) {
      return fail(errc::invalid_argument, fmt::format("--client-ca {}: cannot load CA certificates: {}",
                                                      o.client_ca->string(), openssl_errors()));
    }
    // Tell clients which CAs we accept (helps a client with several certificates).
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.client_ca->c_str())) {
      SSL_CTX_set_client_CA_list(native, names);
    }
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  } else {
    ctx->set_verify_mode(ssl::verify_none);
  }
  return ctx;
}

}  // namespace ravao::receiver
