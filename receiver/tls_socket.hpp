#pragma once
// A server-side TLS stream over a beast::tcp_stream that holds no buffer of
// its own while it waits (docs/benchmarks.md, "Session 27").
//
// Boost.Asio's ssl::stream keeps two 17 KiB copy buffers and an OpenSSL BIO
// pair of two more for its whole life: 68 KiB per connection whether it
// carries data or idles, most of the receiver's memory in a reconnect storm.
// Here OpenSSL reads and writes through a BIO of ours: the ciphertext read
// from the socket waits in `in_` only until OpenSSL has taken it, the
// ciphertext OpenSSL wrote waits in `out_` only until it is sent, and both
// are given back then. With SSL_MODE_RELEASE_BUFFERS on the context,
// OpenSSL gives back its own record buffers too: an idle session costs its
// SSL object.
//
// The socket I/O goes through the tcp_stream, so its expires_after/
// expires_at deadlines apply to the handshake and to every read and write
// as before (beast::error::timeout). An AsyncReadStream and AsyncWriteStream
// for Beast's HTTP functions; beast::get_lowest_layer() reaches the
// tcp_stream through next_layer().

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>

namespace ravao::receiver {

class tls_socket {
 public:
  using next_layer_type = boost::beast::tcp_stream;
  using executor_type = next_layer_type::executor_type;

  // Takes `stream`; the server side of a TLS session under `ctx`.
  tls_socket(next_layer_type stream, SSL_CTX* ctx);
  ~tls_socket();
  tls_socket(const tls_socket&) = delete;
  tls_socket& operator=(const tls_socket&) = delete;

  executor_type get_executor() noexcept { return next_.get_executor(); }
  next_layer_type& next_layer() noexcept { return next_; }
  SSL* native_handle() noexcept { return ssl_; }

  // Bytes held while waiting (tests, benches): 0 between operations.
  std::size_t buffered_capacity() const noexcept { return in_.capacity() + out_.capacity(); }

  template <class Token>
  auto async_handshake(Token&& token) {
    return run(std::forward<Token>(token), [this](std::size_t& n) {
      n = 0;
      return SSL_do_handshake(ssl_);
    });
  }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    const boost::asio::mutable_buffer b = first_non_empty(boost::asio::buffer_sequence_begin(buffers),
                                                          boost::asio::buffer_sequence_end(buffers));
    return run(std::forward<Token>(token), [this, b](std::size_t& n) {
      if (b.size() == 0) return 1;  // nothing asked: done at once, as for a socket
      return SSL_read_ex(ssl_, b.data(), b.size(), &n);
    });
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    const boost::asio::const_buffer b = first_non_empty(boost::asio::buffer_sequence_begin(buffers),
                                                        boost::asio::buffer_sequence_end(buffers));
    // At most one record's worth per call (a partial write, as a socket's):
    // `out_` then never holds more than one record of ciphertext, however
    // large the reply.
    const std::size_t len = std::min(b.size(), max_plaintext);
    return run(std::forward<Token>(token), [this, b, len](std::size_t& n) {
      if (len == 0) return 1;
      return SSL_write_ex(ssl_, b.data(), len, &n);
    });
  }

 private:
  // One TLS operation: `call` (an SSL_* call, which reads `in_` and appends
  // to `out_` through the BIO) is repeated until it completes, with the
  // socket read whenever OpenSSL wants more and `out_` sent before it waits
  // or completes.
  template <class Call>
  struct op {
    tls_socket& s;
    Call call;
    std::size_t done = 0;
    boost::system::error_code failure{};  // a fatal error, reported once its alert is sent
    enum { start, writing, peeking, reading, finishing, failing } state = start;

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec = {}, std::size_t n = 0) {
      switch (state) {
        case failing:
          release(s.out_);
          return self.complete(failure, 0);
        case writing:
        case finishing:
          release(s.out_);  // sent (or failed): given back
          if (ec) return self.complete(ec, 0);
          if (state == finishing) return self.complete({}, done);
          break;
        case peeking:
        case reading:
          if (ec) {
            release(s.in_);
            // A peer that closes without close_notify mid-record: as Asio's stream.
            if (ec == boost::asio::error::eof) ec = boost::asio::ssl::error::stream_truncated;
            return self.complete(ec, 0);
          }
          if (state == peeking) {
            s.in_.assign(s.peek_.begin(), s.peek_.begin() + static_cast<std::ptrdiff_t>(n));
          } else {
            s.in_.resize(n);
          }
          s.in_pos_ = 0;
          break;
        case start:
          break;
      }
      for (;;) {
        ERR_clear_error();
        std::size_t got = 0;
        const int r = call(got);
        if (r > 0) {
          done = got;
          if (!s.out_.empty()) return send(self, finishing);
          return self.complete({}, done);
        }
        const int err = SSL_get_error(s.ssl_, r);
        if (err == SSL_ERROR_WANT_READ) {
          // What OpenSSL wrote first (a handshake flight) goes out before we wait.
          if (!s.out_.empty()) return send(self, writing);
          // Nothing to read yet (a keep-alive session between requests, a
          // gateway's next flight): wait with a record header's 5 bytes,
          // not a record's 17 KiB (2,000 such sessions: 34 MiB). Once
          // bytes are there, a whole record's worth is read at once.
          boost::system::error_code pending;
          if (s.next_.socket().available(pending) == 0 && !pending) {
            state = peeking;
            return s.next_.async_read_some(boost::asio::buffer(s.peek_), std::move(self));
          }
          state = reading;
          s.in_.resize(read_size);
          return s.next_.async_read_some(boost::asio::buffer(s.in_), std::move(self));
        }
        if (err == SSL_ERROR_WANT_WRITE) {
          if (!s.out_.empty()) return send(self, writing);
          continue;  // not from our BIO, which takes every write
        }
        if (err == SSL_ERROR_ZERO_RETURN) return fail(self, boost::asio::error::eof);
        const unsigned long e = ERR_get_error();
        if (e == 0) return fail(self, boost::asio::ssl::error::stream_truncated);
        return fail(self, boost::system::error_code(static_cast<int>(e), boost::asio::error::get_ssl_category()));
      }
    }

    // The alert OpenSSL wrote for the failure (a refused certificate, say)
    // goes to the peer first; the buffer is given back either way.
    template <class Self>
    void fail(Self& self, boost::system::error_code ec) {
      release(s.in_);  // the rest of what the peer sent is of no use now
      s.in_pos_ = 0;
      if (s.out_.empty()) return self.complete(ec, 0);
      failure = ec;
      send(self, failing);
    }

    template <class Self>
    void send(Self& self, decltype(state) next) {
      state = next;
      boost::asio::async_write(s.next_, boost::asio::buffer(s.out_), std::move(self));
    }
  };

  template <class Token, class Call>
  auto run(Token&& token, Call call) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        op<Call>{*this, std::move(call)}, token, next_);
  }

  template <class It>
  static auto first_non_empty(It begin, It end) -> std::remove_cvref_t<decltype(*begin)> {
    for (; begin != end; ++begin)
      if (boost::asio::buffer_size(*begin) > 0) return *begin;
    return {};
  }

  static void release(std::vector<unsigned char>& v) { std::vector<unsigned char>().swap(v); }

  static int bio_read(BIO* bio, char* data, int len);
  static int bio_write(BIO* bio, const char* data, int len);
  static long bio_ctrl(BIO* bio, int cmd, long num, void* ptr);
  static BIO_METHOD* bio_method();

  // One TLS record and its header: what one socket read asks for.
  static constexpr std::size_t read_size = 17 * 1024;
  static constexpr std::size_t max_plaintext = 16 * 1024;  // a TLS record's largest

  next_layer_type next_;
  SSL* ssl_ = nullptr;
  std::array<unsigned char, 5> peek_{};  // a wait's read: a TLS record header
  std::vector<unsigned char> in_;  // ciphertext read and not yet taken by OpenSSL
  std::size_t in_pos_ = 0;
  std::vector<unsigned char> out_;  // ciphertext written by OpenSSL, not yet sent
};

}  // namespace ravao::receiver
