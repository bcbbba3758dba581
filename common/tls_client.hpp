#pragma once
// The gateway's side of TLS (docs/sync-protocol.md "Transport"): the common
// policy (common/tls_policy.hpp: TLS 1.2 or newer, in TLS 1.2 only ECDHE
// with AEAD ciphers), the server verified against the configured CA and the
// URL's host name, optionally a client certificate. There is deliberately no
// way to turn verification off.

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream_base.hpp>

#include <filesystem>
#include <string>

#include <openssl/ssl.h>

#include "common/error.hpp"

namespace ravao::sync {

struct tls_client_settings {
  std::filesystem::path ca_file;
  std::filesystem::path client_cert;  // empty: none
  std::filesystem::path client_key;
};

result<boost::asio::ssl::context> make_client_context(const tls_client_settings& s);

// Sets SNI and the identity the certificate must carry (a DNS name, or an IP
// address when `host` is one) on a connection before its handshake.
result<void> expect_server_identity(SSL* ssl, const std::string& host);

// Why a handshake failed, in words: the certificate verification result when
// verification was what failed ("certificate has expired", "hostname
// mismatch", "unable to get local issuer certificate"), else the TLS error.
std::string describe_handshake_failure(SSL* ssl, const boost::system::error_code& ec);

}  // namespace ravao::sync
