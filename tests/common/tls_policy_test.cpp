// The TLS policy of both ends (common/tls_policy.hpp; issue 18, "Also"): in
// TLS 1.2, only ECDHE with AEAD ciphers. A client that offers only CBC,
// static-RSA or DHE suites fails its handshake with the receiver (its
// context, and the real ravao-receiver), and the gateway's client refuses a
// server that offers only such suites. Both ends still agree on the good
// suites and on TLS 1.3.

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/test/unit_test.hpp>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <optional>

#include "common/tls_client.hpp"
#include "common/tls_server.hpp"
#include "receiver/receiver_fixture.hpp"

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using namespace ravao::test;

namespace {

// CBC (with and without ECDHE), static RSA key exchange (no forward
// secrecy, AEAD or not), finite-field DHE: all in OpenSSL's default list.
constexpr const char* weak_rsa_suites[] = {"AES128-SHA", "AES256-GCM-SHA384", "ECDHE-RSA-AES128-SHA",
                                           "ECDHE-RSA-AES256-SHA384", "DHE-RSA-AES128-GCM-SHA256"};
constexpr const char* weak_ecdsa_suites = "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-ECDSA-AES128-SHA256";

struct pkey_free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct x509_free {
  void operator()(X509* p) const { X509_free(p); }
};
struct file_close {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

struct cert_files {
  std::filesystem::path cert, key;
};

// A self-signed certificate for localhost and 127.0.0.1 (its own CA), with
// an RSA or a P-256 key, written as PEM to `dir`.
cert_files self_signed(const temp_dir& dir, bool rsa) {
  std::unique_ptr<EVP_PKEY, pkey_free> key(rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256"));
  std::unique_ptr<X509, x509_free> x(X509_new());
  BOOST_TEST_REQUIRE((key && x));
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 86400);
  X509_set_pubkey(x.get(), key.get());
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x.get(), x.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                                   std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    BOOST_TEST_REQUIRE(ext != nullptr);
    X509_add_ext(x.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  BOOST_TEST_REQUIRE(X509_sign(x.get(), key.get(), EVP_sha256()) > 0);
  const std::string base = rsa ? "rsa" : "ec";
  cert_files out{dir / (base + ".pem"), dir / (base + ".key")};
  std::unique_ptr<std::FILE, file_close> c(std::fopen(out.cert.c_str(), "w"));
  std::unique_ptr<std::FILE, file_close> k(std::fopen(out.key.c_str(), "w"));
  BOOST_TEST_REQUIRE((c && k));
  BOOST_TEST_REQUIRE(PEM_write_X509(c.get(), x.get()) == 1);
  BOOST_TEST_REQUIRE(PEM_write_PrivateKey(k.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
  return out;
}

// A context that offers (or, as a server, accepts) only `suites`, in TLS 1.2
// at most: what the audit's crafted client and server did.
std::unique_ptr<ssl::context> tls12_only(ssl::context::method method, const char* suites,
                                         const cert_files* cert = nullptr) {
  auto ctx = std::make_unique<ssl::context>(method);
  SSL_CTX_set_max_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  BOOST_TEST_REQUIRE(SSL_CTX_set_cipher_list(ctx->native_handle(), suites) == 1, suites);
  if (cert) {
    SSL_CTX_set_dh_auto(ctx->native_handle(), 1);  // else a DHE suite could never be chosen
    ctx->use_certificate_chain_file(cert->cert.native());
    ctx->use_private_key_file(cert->key.native(), ssl::context::pem);
  }
  ctx->set_verify_mode(ssl::verify_none);
  return ctx;
}

struct outcome {
  std::optional<boost::system::error_code> client;  // nullopt: no result before the deadline
  std::string cipher;                                // the client's negotiated suite
  std::string version;
};

// One handshake of a client made from `client_ctx` with `server_ctx` (served
// here on a loopback port), or with whatever listens on `port`. Both ends run
// on one io_context for at most 20 s.
outcome handshake(ssl::context& client_ctx, ssl::context* server_ctx, unsigned short port = 0) {
  asio::io_context io;
  tcp::acceptor acceptor(io);
  std::optional<ssl::stream<tcp::socket>> served;
  if (server_ctx) {
    acceptor.open(tcp::v4());
    acceptor.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor.listen();
    port = acceptor.local_endpoint().port();
    acceptor.async_accept([&](const boost::system::error_code& ec, tcp::socket s) {
      if (ec) return;
      served.emplace(std::move(s), *server_ctx);
      served->async_handshake(ssl::stream_base::server, [](const boost::system::error_code&) {});
    });
  }
  outcome out;
  ssl::stream<tcp::socket> client(io, client_ctx);
  BOOST_TEST_REQUIRE(ravao::sync::expect_server_identity(client.native_handle(), "localhost").has_value());
  client.next_layer().async_connect({asio::ip::make_address("127.0.0.1"), port}, [&](const boost::system::error_code& ec) {
    if (ec) {
      out.client = ec;
      return;
    }
    client.async_handshake(ssl::stream_base::client, [&](const boost::system::error_code& hec) {
      out.client = hec;
      if (hec) return;
      out.cipher = SSL_get_cipher_name(client.native_handle());
      out.version = SSL_get_version(client.native_handle());
      client.next_layer().close();
    });
  });
  io.run_for(std::chrono::seconds(20));
  return out;
}

// A refused handshake is a TLS alert (no common suite), not a timeout, a
// refused connection or a certificate problem.
void expect_refused(const outcome& o, std::string_view what) {
  BOOST_TEST_REQUIRE(o.client.has_value(), what << ": no handshake result within the deadline");
  BOOST_TEST((o.client->category() == asio::error::get_ssl_category()), what << ": " << o.client->message());
  BOOST_TEST(o.client->message().find("handshake failure") != std::string::npos, what << ": " << o.client->message());
}

void expect_agreed(const outcome& o, std::string_view cipher, std::string_view version = "TLSv1.2") {
  BOOST_TEST_REQUIRE(o.client.has_value(), cipher << ": no handshake result within the deadline");
  BOOST_TEST(!*o.client, cipher << ": " << o.client->message());
  BOOST_TEST(o.cipher == cipher);
  BOOST_TEST(o.version == version);
}

}  // namespace

BOOST_AUTO_TEST_CASE(audit_tls_ciphers_the_receiver_refuses_tls12_clients_without_ecdhe_and_aead) {
  temp_dir dir;
  const cert_files rsa = self_signed(dir, true);
  const cert_files ec = self_signed(dir, false);
  auto rsa_server = ravao::receiver::make_server_context({.cert_chain = rsa.cert, .key = rsa.key, .client_ca = {}});
  auto ec_server = ravao::receiver::make_server_context({.cert_chain = ec.cert, .key = ec.key, .client_ca = {}});
  BOOST_TEST_REQUIRE(rsa_server.has_value(), why(rsa_server));
  BOOST_TEST_REQUIRE(ec_server.has_value(), why(ec_server));

  for (const char* suite : weak_rsa_suites) {
    auto client = tls12_only(ssl::context::tls_client, suite);
    expect_refused(handshake(*client, rsa_server->get()), suite);
  }
  auto weak_ec = tls12_only(ssl::context::tls_client, weak_ecdsa_suites);
  expect_refused(handshake(*weak_ec, ec_server->get()), weak_ecdsa_suites);

  // The good suites still work, and TLS 1.3.
  auto good = tls12_only(ssl::context::tls_client, "ECDHE-RSA-CHACHA20-POLY1305");
  expect_agreed(handshake(*good, rsa_server->get()), "ECDHE-RSA-CHACHA20-POLY1305");
  ssl::context modern(ssl::context::tls_client);
  modern.set_verify_mode(ssl::verify_none);
  const auto tls13 = handshake(modern, ec_server->get());
  BOOST_TEST_REQUIRE(tls13.client.has_value());
  BOOST_TEST(!*tls13.client, tls13.client->message());
  BOOST_TEST(tls13.version == "TLSv1.3");

  // The real ravao-receiver (its test PKI has a P-256 server key).
  receiver_fixture r;
  r.start();
  expect_refused(handshake(*weak_ec, nullptr, r.port()), "ravao-receiver serve");
  auto good_ec = tls12_only(ssl::context::tls_client, "ECDHE-ECDSA-AES128-GCM-SHA256");
  expect_agreed(handshake(*good_ec, nullptr, r.port()), "ECDHE-ECDSA-AES128-GCM-SHA256");
  BOOST_TEST(r.log().find("receiver.handshake_failed") != std::string::npos, r.log());
}

BOOST_AUTO_TEST_CASE(audit_tls_ciphers_the_gateway_refuses_a_server_offering_only_weak_tls12_suites) {
  temp_dir dir;
  const cert_files rsa = self_signed(dir, true);
  auto gateway = ravao::sync::make_client_context({.ca_file = rsa.cert, .client_cert = {}, .client_key = {}});
  BOOST_TEST_REQUIRE(gateway.has_value(), why(gateway));

  for (const char* suite : weak_rsa_suites) {
    auto server = tls12_only(ssl::context::tls_server, suite, &rsa);
    expect_refused(handshake(*gateway, server.get()), suite);
  }
  // The same server with a good suite: the certificate and host name are
  // fine, so it was the suite that was refused.
  auto server = tls12_only(ssl::context::tls_server, "ECDHE-RSA-AES256-GCM-SHA384", &rsa);
  expect_agreed(handshake(*gateway, server.get()), "ECDHE-RSA-AES256-GCM-SHA384");
}
