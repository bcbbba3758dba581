#pragma once
// The TLS every ravao endpoint speaks, the gateway's uploader and the
// receiver alike (docs/sync-protocol.md, "Transport"): TLS 1.2 or 1.3; in
// TLS 1.2 only ECDHE key exchange (forward secrecy) with an AEAD cipher
// (AES-GCM, ChaCha20-Poly1305), never OpenSSL's default list with its CBC,
// static-RSA and DHE suites; TLS 1.3's suites are all of that kind already;
// no compression, no renegotiation. One list, so the two ends cannot drift.

#include <openssl/ssl.h>

#include "common/error.hpp"

namespace ravao::tls {

// The TLS 1.2 suites, in order of preference (OpenSSL names).
inline constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// Applies the policy to a client or server context before any connection
// is made from it.
result<void> apply_policy(SSL_CTX* ctx);

}  // namespace ravao::tls
