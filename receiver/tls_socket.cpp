#include "receiver/tls_socket.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace ravao::receiver {

tls_socket::tls_socket(next_layer_type stream, SSL_CTX* ctx) : next_(std::move(stream)), ssl_(SSL_new(ctx)) {
  if (!ssl_) throw std::bad_alloc();
  BIO* bio = BIO_new(bio_method());
  if (!bio) {
    SSL_free(ssl_);
    throw std::bad_alloc();
  }
  BIO_set_data(bio, this);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl_, bio, bio);  // the SSL owns it
  SSL_set_accept_state(ssl_);
}

tls_socket::~tls_socket() { SSL_free(ssl_); }

int tls_socket::bio_read(BIO* bio, char* data, int len) {
  auto* s = static_cast<tls_socket*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  const std::size_t left = s->in_.size() - s->in_pos_;
  if (left == 0 || len <= 0) {
    BIO_set_retry_read(bio);
    return -1;
  }
  const std::size_t n = std::min(left, static_cast<std::size_t>(len));
  std::memcpy(data, s->in_.data() + s->in_pos_, n);
  s->in_pos_ += n;
  if (s->in_pos_ == s->in_.size()) {
    release(s->in_);  // all taken: nothing is held while the session waits
    s->in_pos_ = 0;
  }
  return static_cast<int>(n);
}

int tls_socket::bio_write(BIO* bio, const char* data, int len) {
  auto* s = static_cast<tls_socket*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (len <= 0) return 0;
  s->out_.insert(s->out_.end(), data, data + len);
  return len;
}

long tls_socket::bio_ctrl(BIO* bio, int cmd, long, void*) {
  auto* s = static_cast<tls_socket*>(BIO_get_data(bio));
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;  // sent by the operation, before it waits or completes
    case BIO_CTRL_PENDING:
      return static_cast<long>(s->in_.size() - s->in_pos_);
    case BIO_CTRL_WPENDING:
      return static_cast<long>(s->out_.size());
    default:
      return 0;
  }
}

BIO_METHOD* tls_socket::bio_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ravao-receiver tls_socket");
    if (!m || BIO_meth_set_read(m, &bio_read) != 1 || BIO_meth_set_write(m, &bio_write) != 1 ||
        BIO_meth_set_ctrl(m, &bio_ctrl) != 1)
      throw std::runtime_error("cannot make the TLS socket's BIO method");
    return m;
  }();
  return method;
}

}  // namespace ravao::receiver
