// The receiver's TLS stream (receiver/tls_socket.hpp) against a real
// OpenSSL client on loopback, with certificates from `ravao-receiver pki`:
// the mutual-TLS handshake, data both ways in records and in pieces, no
// buffer held between operations, deadlines, and the ways a peer can end.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

#include "common/tls_client.hpp"
#include "common/tls_server.hpp"
#include "receiver/receiver_fixture.hpp"
#include "receiver/tls_socket.hpp"

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
using asio::ip::tcp;
using namespace ravao::test;
using ravao::receiver::tls_socket;

namespace {

// A server context (client certificates required) and a client context
// with gw-a's certificate, from one `ravao-receiver pki`.
struct pki_pair {
  temp_dir dir;
  std::unique_ptr<ssl::context> server;
  std::optional<ssl::context> client;
  std::optional<ssl::context> anonymous;  // trusts the CA, has no certificate
  pki_pair() {
    must_run({"pki", "--out", (dir / "pki").native(), "--client", "gw-a"});
    auto s = ravao::receiver::make_server_context(
        {dir / "pki/server.pem", dir / "pki/server.key", dir / "pki/ca.pem"});
    BOOST_TEST_REQUIRE(s.has_value(), why(s));
    server = std::move(*s);
    auto c = ravao::sync::make_client_context({dir / "pki/ca.pem", dir / "pki/client.pem", dir / "pki/client.key"});
    BOOST_TEST_REQUIRE(c.has_value(), why(c));
    client.emplace(std::move(*c));
    auto a = ravao::sync::make_client_context({dir / "pki/ca.pem", {}, {}});
    BOOST_TEST_REQUIRE(a.has_value(), why(a));
    anonymous.emplace(std::move(*a));
  }
};

// One accepted connection as a tls_socket, and the client's end of it.
struct connection {
  asio::io_context io;
  tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
  std::shared_ptr<tls_socket> server;
  ssl::stream<tcp::socket> client;
  connection(ssl::context& server_ctx, ssl::context& client_ctx) : client(io, client_ctx) {
    tcp::socket accepted(io);
    client.next_layer().connect(acceptor.local_endpoint());
    acceptor.accept(accepted);
    server = std::make_shared<tls_socket>(beast::tcp_stream(std::move(accepted)), server_ctx.native_handle());
  }
  // Both handshakes at once; the server's result.
  boost::system::error_code handshake() {
    boost::system::error_code server_ec, client_ec;
    server->async_handshake([&](boost::system::error_code ec, std::size_t) { server_ec = ec; });
    client.async_handshake(ssl::stream_base::client, [&](boost::system::error_code ec) { client_ec = ec; });
    io.run();
    io.restart();
    return server_ec;
  }
};

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

}  // namespace

// A keep-alive session waiting for its next request: its read waits with
// a record header's 5 bytes inline, not a record's 17 KiB; the request is
// read whole when it comes.
BOOST_AUTO_TEST_CASE(a_read_in_wait_holds_no_buffer_until_bytes_arrive) {
  pki_pair pki;
  connection c(*pki.server, *pki.client);
  BOOST_TEST_REQUIRE(!c.handshake());
  std::string received(100, '\0');
  std::size_t got = 0;
  boost::system::error_code read_ec;
  c.server->async_read_some(asio::buffer(received), [&](boost::system::error_code ec, std::size_t n) {
    read_ec = ec;
    got = n;
  });
  c.io.poll();  // the read is now in wait: nothing was sent
  BOOST_TEST(got == 0u);
  BOOST_TEST(c.server->buffered_capacity() == 0u);
  const std::string sent = "POST /v1/batches HTTP/1.1";
  asio::write(c.client, asio::buffer(sent));
  c.io.run();
  c.io.restart();
  BOOST_TEST_REQUIRE(!read_ec, read_ec.message());
  BOOST_TEST(received.substr(0, got) == sent);
  BOOST_TEST(c.server->buffered_capacity() == 0u);
}

BOOST_AUTO_TEST_CASE(a_mutual_tls_session_carries_a_megabyte_each_way_and_holds_no_buffer_between_operations) {
  pki_pair pki;
  connection c(*pki.server, *pki.client);
  BOOST_TEST_REQUIRE(!c.handshake());
  BOOST_TEST(c.server->buffered_capacity() == 0u);
  X509* peer = SSL_get0_peer_certificate(c.server->native_handle());
  BOOST_TEST_REQUIRE(peer != nullptr);

  const std::string sent = pattern(1 << 20);
  std::string received(sent.size(), '\0');
  std::size_t got = 0;
  bool held_nothing_after_each_read = true;
  boost::system::error_code write_ec, read_ec;
  asio::async_write(c.client, asio::buffer(sent), [&](boost::system::error_code ec, std::size_t) { write_ec = ec; });
  // Reads in odd sizes, so that records end in the middle of a read.
  std::function<void()> read_more = [&] {
    const std::size_t want = std::min<std::size_t>(received.size() - got, 5'000);
    c.server->async_read_some(asio::buffer(received.data() + got, want), [&](boost::system::error_code ec, std::size_t n) {
      read_ec = ec;
      got += n;
      if (c.server->buffered_capacity() > 17 * 1024) held_nothing_after_each_read = false;
      if (!ec && got < received.size()) read_more();
    });
  };
  read_more();
  c.io.run();
  c.io.restart();
  BOOST_TEST_REQUIRE(!write_ec);
  BOOST_TEST_REQUIRE(!read_ec, read_ec.message());
  BOOST_TEST(got == sent.size());
  BOOST_TEST((received == sent));
  BOOST_TEST(held_nothing_after_each_read);
  BOOST_TEST(c.server->buffered_capacity() == 0u);

  // And back: Beast's writes go through async_write_some.
  boost::system::error_code back_ec;
  std::string echoed(sent.size(), '\0');
  asio::async_write(*c.server, asio::buffer(sent), [&](boost::system::error_code ec, std::size_t) { back_ec = ec; });
  asio::async_read(c.client, asio::buffer(echoed), [&](boost::system::error_code ec, std::size_t) { read_ec = ec; });
  c.io.run();
  c.io.restart();
  BOOST_TEST_REQUIRE(!back_ec);
  BOOST_TEST_REQUIRE(!read_ec);
  BOOST_TEST((echoed == sent));
  BOOST_TEST(c.server->buffered_capacity() == 0u);

  // One write_some takes at most one record, so the stream never holds
  // more than one record of ciphertext however large the reply.
  std::size_t written = 0;
  c.server->async_write_some(asio::buffer(sent), [&](boost::system::error_code ec, std::size_t n) {
    back_ec = ec;
    written = n;
  });
  std::string part(16 * 1024, '\0');
  asio::async_read(c.client, asio::buffer(part), [&](boost::system::error_code ec, std::size_t) { read_ec = ec; });
  c.io.run();
  c.io.restart();
  BOOST_TEST_REQUIRE(!back_ec);
  BOOST_TEST(written == 16u * 1024u);
  BOOST_TEST((part == sent.substr(0, part.size())));
  BOOST_TEST(c.server->buffered_capacity() == 0u);
}

BOOST_AUTO_TEST_CASE(a_client_without_a_certificate_fails_the_handshake) {
  pki_pair pki;
  connection c(*pki.server, *pki.anonymous);
  const auto ec = c.handshake();
  BOOST_TEST((ec.category() == asio::error::get_ssl_category()), ec.message());
  BOOST_TEST(c.server->buffered_capacity() == 0u);
}

BOOST_AUTO_TEST_CASE(the_tcp_streams_deadline_ends_a_read_that_waits_too_long) {
  pki_pair pki;
  connection c(*pki.server, *pki.client);
  BOOST_TEST_REQUIRE(!c.handshake());
  char byte = 0;
  boost::system::error_code ec;
  beast::get_lowest_layer(*c.server).expires_after(std::chrono::milliseconds(100));
  c.server->async_read_some(asio::buffer(&byte, 1), [&](boost::system::error_code e, std::size_t) { ec = e; });
  c.io.run();
  c.io.restart();
  BOOST_TEST((ec == beast::error::timeout), ec.message());
  BOOST_TEST(c.server->buffered_capacity() == 0u);
}

BOOST_AUTO_TEST_CASE(close_notify_reads_as_end_of_stream_and_a_bare_close_as_truncated) {
  pki_pair pki;
  {
    connection c(*pki.server, *pki.client);
    BOOST_TEST_REQUIRE(!c.handshake());
    boost::system::error_code ec;
    char byte = 0;
    c.client.async_shutdown([](boost::system::error_code) {});
    c.server->async_read_some(asio::buffer(&byte, 1), [&](boost::system::error_code e, std::size_t) { ec = e; });
    c.io.run_for(std::chrono::seconds(10));
    c.io.restart();
    BOOST_TEST((ec == asio::error::eof), ec.message());
  }
  {
    connection c(*pki.server, *pki.client);
    BOOST_TEST_REQUIRE(!c.handshake());
    boost::system::error_code ec;
    char byte = 0;
    // FIN without close_notify (a close() could be a reset instead: the
    // client has the server's unread session tickets).
    c.client.next_layer().shutdown(tcp::socket::shutdown_send);
    c.server->async_read_some(asio::buffer(&byte, 1), [&](boost::system::error_code e, std::size_t) { ec = e; });
    c.io.run();
    c.io.restart();
    BOOST_TEST((ec == ssl::error::stream_truncated), ec.message());
  }
}
