#pragma once
// The console under test: a real ravaod (tests/support/harness.hpp) with a
// pty scanner at each of two counters, a real ravao-web in front of it on a
// loopback port with its self-signed certificate, and three accounts made
// with `ravao-web user add`: alice (staff, desk), bob (staff, in) and sam
// (supervisor). Requests go through tests/support/https_client (which
// verifies the certificate for "localhost"); raw_tls is a bare OpenSSL
// client for what that one cannot do: an old TLS version, a stream read
// byte by byte. Every wait has a deadline.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>

#include "support/harness.hpp"
#include "support/https_client.hpp"

namespace ravao::test {

inline std::string console_daemon_config() {
  return R"(
[site]
id = "bd-web"
name = "Bưu điện thử nghiệm"

[store]
path = "{dir}/ravao.db"

[control]
socket = "{dir}/ravaod.sock"

[[scanner]]
id = "s-desk"
kind = "serial"
device = "{dir}/tty-desk"

[[scanner]]
id = "s-in"
kind = "serial"
device = "{dir}/tty-in"

[[counter]]
id = "desk"
name = "Quầy 2"
scanner = "s-desk"
mode = "toggle"

[[counter]]
id = "in"
name = "Quầy 1"
scanner = "s-in"
mode = "toggle"
)";
}

struct session_cookie {
  std::string id;
  std::string csrf;
  std::string header() const { return "ravao_session=" + id; }
};

class console {
 public:
  console() : daemon_(console_daemon_config()) {
    desk_ = std::make_unique<fake_serial_scanner>(daemon_.dir() / "tty-desk");
    in_ = std::make_unique<fake_serial_scanner>(daemon_.dir() / "tty-in");
    daemon_.start();
    write_file(config_path(), fmt::format("[web]\nlisten = \"127.0.0.1:0\"\nstate_dir = \"{}\"\ncontrol_socket = \"{}\"\n"
                                          "redirect_http = true\nhttp_listen = \"127.0.0.1:0\"\n",
                                          (dir_ / "state").string(), daemon_.socket_path().string()));
    add_user("alice", "staff", "desk");
    add_user("bob", "staff", "in");
    add_user("sam", "supervisor", "");
    web_ = std::make_unique<process>(
        std::vector<std::string>{RAVAO_WEB_PATH, "--config", config_path().string()}, dir_ / "web.out",
        dir_ / "web.err");
    BOOST_TEST_REQUIRE(eventually([&] {
      const std::string out = read_file(dir_ / "web.out");
      port_ = port_after(out, "listening on 127.0.0.1:");
      http_port_ = port_after(out, "redirecting on 127.0.0.1:");
      return port_ != 0 && http_port_ != 0;
    }), "ravao-web did not start: " << read_file(dir_ / "web.err"));
  }
  ~console() {
    if (web_) {
      web_->signal(15);
      web_->wait(10s);
    }
  }

  std::filesystem::path config_path() const { return dir_ / "web.toml"; }
  std::filesystem::path certificate() const { return dir_ / "state" / "certificate.pem"; }
  unsigned short port() const { return port_; }
  unsigned short http_port() const { return http_port_; }
  daemon_under_test& daemon() { return daemon_; }
  fake_serial_scanner& desk_scanner() { return *desk_; }
  std::string web_log() const { return read_file(dir_ / "web.err"); }

  https_options options() const {
    https_options o;
    o.port = port_;
    o.ca_file = certificate();
    return o;
  }

  void add_user(const std::string& name, const std::string& role, const std::string& counter) {
    std::string cmd = fmt::format("printf 'secret-{}\\n' | '{}' --config '{}' user add {} --role {} --password-stdin", name,
                                  RAVAO_WEB_PATH, config_path().string(), name, role);
    if (!counter.empty()) cmd += " --counter " + counter;
    const auto r = run({"/bin/sh", "-c", cmd});
    BOOST_TEST_REQUIRE(r.code == 0, "user add " << name << ": " << r.err);
  }

 private:
  // The port printed after `prefix` on a whole line; 0 when not there yet.
  static unsigned short port_after(const std::string& out, std::string_view prefix) {
    const auto at = out.find(prefix);
    if (at == std::string::npos) return 0;
    const auto end = out.find('\n', at);
    if (end == std::string::npos) return 0;
    return static_cast<unsigned short>(std::stoi(out.substr(at + prefix.size(), end - at - prefix.size())));
  }

  temp_dir dir_;
  daemon_under_test daemon_;
  std::unique_ptr<fake_serial_scanner> desk_, in_;
  std::unique_ptr<process> web_;
  unsigned short port_ = 0, http_port_ = 0;
};

// A GET written by hand (https_client only POSTs) and its reply.
inline http_reply get(https_client& c, std::string_view target, std::string_view cookie = {},
                      std::string_view extra_headers = {}) {
  std::string req = fmt::format("GET {} HTTP/1.1\r\nHost: localhost\r\n", target);
  if (!cookie.empty()) req += fmt::format("Cookie: {}\r\n", cookie);
  req += extra_headers;
  req += "\r\n";
  auto sent = c.send_raw(req);
  BOOST_TEST_REQUIRE(sent.has_value(), "GET " << target << ": " << (sent ? "" : sent.error().message()));
  auto r = c.read_reply();
  BOOST_TEST_REQUIRE(r.has_value(), "GET " << target << ": " << (r ? "" : r.error().message()));
  return *r;
}

inline http_reply post(https_client& c, std::string_view target, std::string_view body,
                       std::map<std::string, std::string> headers = {}) {
  post_options p;
  p.gzip = false;
  p.headers = std::move(headers);
  auto r = c.post(target, body, p);
  BOOST_TEST_REQUIRE(r.has_value(), "POST " << target << ": " << (r ? "" : r.error().message()));
  return *r;
}

inline http_reply post_as(https_client& c, const session_cookie& s, std::string_view target, std::string_view body) {
  return post(c, target, body, {{"Cookie", s.header()}, {"X-CSRF-Token", s.csrf}});
}

// The session id in a Set-Cookie header ("ravao_session=ID; Path=/; ...").
inline std::string cookie_id(const std::string& set_cookie) {
  const auto eq = set_cookie.find('=');
  const auto semi = set_cookie.find(';');
  return eq == std::string::npos ? std::string() : set_cookie.substr(eq + 1, semi - eq - 1);
}

inline session_cookie login(https_client& c, const std::string& user, const std::string& password = {}) {
  const auto r = post(c, "/api/login",
                      fmt::format(R"({{"user":"{}","password":"{}"}})", user, password.empty() ? "secret-" + user : password));
  BOOST_TEST_REQUIRE(r.status == 200u, "login " << user << ": " << r.status << " " << r.body);
  return {cookie_id(r.header("set-cookie")), std::string(r.json().at("csrf").as_string())};
}

// A bare TLS client on OpenSSL: a chosen highest protocol version, and
// reads with a deadline (SO_RCVTIMEO) for streams that never end.
class raw_tls {
 public:
  raw_tls(unsigned short port, int max_version = 0) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_security_level(ctx_, 0);  // let OpenSSL offer TLS 1.0/1.1 at all
    if (max_version) {
      SSL_CTX_set_min_proto_version(ctx_, TLS1_VERSION);
      SSL_CTX_set_max_proto_version(ctx_, max_version);
    }
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    // SNI (SSL_set_tlsext_host_name is a macro with a C cast).
    SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>("localhost"));
  }
  ~raw_tls() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    ::close(fd_);
  }
  bool handshake() { return connected_ && SSL_connect(ssl_) == 1; }
  int version() const { return SSL_version(ssl_); }
  bool write(std::string_view s) { return SSL_write(ssl_, s.data(), static_cast<int>(s.size())) == static_cast<int>(s.size()); }
  // Reads until `needle` is in what was read, the peer closes, or `deadline`.
  bool read_until(std::string_view needle, std::chrono::seconds deadline = 20s) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    char buf[4096];
    while (received_.find(needle) == std::string::npos) {
      if (std::chrono::steady_clock::now() > end) return false;
      const int n = SSL_read(ssl_, buf, sizeof buf);
      if (n <= 0) {
        const int err = SSL_get_error(ssl_, n);
        if (err == SSL_ERROR_WANT_READ || (err == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EINTR))) continue;
        return false;
      }
      received_.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }
  const std::string& received() const { return received_; }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool connected_ = false;
  std::string received_;
};

}  // namespace ravao::test
