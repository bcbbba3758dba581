#include "common/tls_policy.hpp"

#include <openssl/err.h>

namespace ravao::tls {

result<void> apply_policy(SSL_CTX* ctx) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 || SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1) {
    char buf[256] = {};
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    ERR_clear_error();
    return fail(errc::invalid_argument, std::string("cannot set the TLS versions and ciphers: ") + buf);
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  return {};
}

}  // namespace ravao::tls
