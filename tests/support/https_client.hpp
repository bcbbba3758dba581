#pragma once
// A real HTTPS client for tests (Boost.Beast over OpenSSL): verifies the
// server against a CA file and a host name, optionally presents a client
// certificate and a bearer token, sends JSON bodies gzipped or not, and can
// misbehave on purpose (send part of a body, then reset). Synchronous for the
// test's convenience, but every operation has a deadline: it runs the
// asynchronous operation on a private io_context for at most `timeout`.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "common/error.hpp"

namespace ravao::test {

struct https_options {
  std::string host = "localhost";  // SNI and the name the certificate must carry
  std::string address = "127.0.0.1";
  std::string source;  // the local address to connect from (e.g. "127.0.0.2"); empty: any
  unsigned short port = 0;
  std::filesystem::path ca_file;
  std::optional<std::filesystem::path> client_cert;  // with client_key
  std::optional<std::filesystem::path> client_key;
  std::string token;  // "Authorization: Bearer TOKEN" when not empty
  std::chrono::milliseconds timeout{10'000};
};

struct http_reply {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  boost::json::value json() const { return boost::json::parse(body); }
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct post_options {
  bool gzip = true;
  std::map<std::string, std::string> headers;  // extra or replacing headers
};

// One keep-alive connection; connects on first use and again after the
// server closed it (unless told otherwise).
class https_client {
 public:
  explicit https_client(https_options o);
  ~https_client();
  https_client(const https_client&) = delete;
  https_client& operator=(const https_client&) = delete;

  // TCP connect and TLS handshake; the error says which step failed.
  result<void> connect();
  bool connected() const;
  // Whether the server gave this connection a session to resume (a TLS 1.3
  // ticket, read with the first reply; a TLS 1.2 session id or ticket).
  bool resumable() const;
  void close();

  // POST `target` with `body` (gzipped when asked); an error for a connection
  // that fails or closes before a complete reply.
  result<http_reply> post(std::string_view target, std::string_view body, const post_options& p = {});
  // Raw bytes on the TLS connection (connecting first when needed): a request
  // written by hand, or one byte of it at a time.
  result<void> send_raw(std::string_view bytes);
  // Reads one reply (after send_raw); an error when the server closes first.
  result<http_reply> read_reply();
  // Sends the headers for `body` but only its first `sent_bytes`, then resets
  // the connection (SO_LINGER 0).
  result<void> post_partial_and_reset(std::string_view target, std::string_view body, std::size_t sent_bytes);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ravao::test
