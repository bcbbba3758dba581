#pragma once
// The receiver's TLS settings: the common policy (common/tls_policy.hpp:
// TLS 1.2 or newer, forward-secret AEAD ciphers only), the certificate chain
// and key given on the command line, and optionally mutual TLS (every client
// must present a certificate that chains to --client-ca; the handshake fails
// otherwise).

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "common/error.hpp"

namespace ravao::receiver {

struct tls_server_options {
  std::filesystem::path cert_chain;  // PEM: the server certificate first, then intermediates
  std::filesystem::path key;         // PEM, unencrypted
  std::optional<std::filesystem::path> client_ca;
};

result<std::unique_ptr<boost::asio::ssl::context>> make_server_context(const tls_server_options& o);

// OpenSSL's queued errors as one line (and the queue cleared).
std::string openssl_errors();

}  // namespace ravao::receiver
