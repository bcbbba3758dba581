// ravao-receiver serve against the clients of an outside audit (issue 18):
// connection floods and slow clients, bodies sent without a token, gzip and
// JSON bombs from an authenticated gateway, control characters in a request
// target. Each test plays the attack and shows that it fails.

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "common/gzip.hpp"
#include "receiver/receiver_fixture.hpp"

using namespace ravao::test;

namespace {

// A plain TCP connection to the receiver from `source` (a loopback address
// other than the gateway's 127.0.0.1: the attacker's), or -1.
int tcp_from(const std::string& source, unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, source.c_str(), &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// True once the server has closed `fd` (end of stream or reset), waiting at
// most `deadline`.
bool closed_by_server(int fd, std::chrono::milliseconds deadline) {
  return eventually([&] {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    char c;
    const auto n = ::recv(fd, &c, 1, MSG_DONTWAIT);
    return n <= 0;
  }, deadline);
}

// The tokens file and the options of a real gateway: mutual TLS and a token.
std::vector<std::string> gateway_auth(receiver_fixture& r) {
  write_file(r.dir() / "tokens", "gw-test s3cret-gw\n");
  return {"--client-ca", r.pki("ca.pem").native(), "--tokens", (r.dir() / "tokens").native()};
}

https_options real_gateway(const receiver_fixture& r) {
  auto o = r.mtls_options();
  o.token = "s3cret-gw";
  return o;
}

std::string gzip_bomb(std::string_view before, std::size_t blanks, std::string_view after) {
  std::string json(before);
  json.append(blanks, ' ');
  json += after;
  return ravao::gzip::compress(json, 9);
}

}  // namespace

// Finding 2: 256 idle connections filled the receiver's connection cap and a
// real gateway then failed its handshake. Now one address gets 16 at once,
// and those that never finish a handshake are closed at its deadline.
BOOST_AUTO_TEST_CASE(audit_2_a_flood_of_idle_and_slow_connections_from_one_address_does_not_stop_a_gateway) {
  receiver_fixture r;
  r.start(gateway_auth(r));
  std::vector<int> flood;
  for (int i = 0; i < 256; ++i) {
    const int fd = tcp_from("127.0.0.2", r.port());
    BOOST_TEST_REQUIRE(fd >= 0, "cannot connect from 127.0.0.2");
    flood.push_back(fd);
  }
  // Half of them stay idle; the other half start a TLS record of 16 KiB
  // and send it one byte at a time (slow loris), which must not keep them
  // open either.
  for (std::size_t i = 0; i < flood.size(); i += 2) ::send(flood[i], "\x16\x03\x01\x40\x00", 5, MSG_NOSIGNAL);
  // Stopped and joined by its destructor, also when a check below fails.
  std::jthread drip([&](std::stop_token stop) {
    while (!stop.stop_requested()) {
      for (std::size_t i = 0; i < flood.size(); i += 2) ::send(flood[i], "\x01", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      std::this_thread::sleep_for(100ms);  // the attack's pace, not a wait for the test
    }
  });

  https_client gateway(real_gateway(r));
  auto rep = gateway.post("/v1/batches", seq_batch(1, 20));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep) << "\n" << r.log());
  BOOST_TEST(rep->status == 200u, rep->body);
  rep = gateway.post("/v1/heartbeats", heartbeat_body());
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u, rep->body);
  BOOST_TEST(r.stored() == 20);
  const auto log = r.log();
  BOOST_TEST(log.find("receiver.too_many_connections_from_address") != std::string::npos, log);
  BOOST_TEST(log.find("peer=127.0.0.2:") != std::string::npos);
  // Logged once per episode, not once per refused connection.
  std::size_t refusals = 0;
  for (auto at = log.find("too_many_connections_from_address"); at != std::string::npos;
       at = log.find("too_many_connections_from_address", at + 1)) {
    ++refusals;
  }
  BOOST_TEST(refusals < 50u);
  // Every connection of the flood is closed, the dripping ones included.
  for (const int fd : flood) BOOST_TEST(closed_by_server(fd, 30s));
  drip.request_stop();
  drip.join();
  for (const int fd : flood) ::close(fd);
}

// Finding 2: the 30 s limit applied separately to handshake, header and
// body. Now the handshake and the header each have a short deadline, which a
// client sending one byte at a time does not extend.
BOOST_AUTO_TEST_CASE(audit_2_handshake_and_header_deadlines_close_idle_and_slow_connections) {
  receiver_fixture r;
  // Long idle and request limits: only the handshake deadline can close these.
  r.start({"--handshake-timeout-seconds", "1", "--timeout-seconds", "300", "--request-timeout-seconds", "300"});
  // A TCP connection that never starts its TLS handshake.
  const int idle = tcp_from("127.0.0.3", r.port());
  BOOST_TEST_REQUIRE(idle >= 0);
  BOOST_TEST(closed_by_server(idle, 20s), "an idle connection outlived the handshake deadline");
  ::close(idle);
  BOOST_TEST(r.logged("handshake deadline passed"), r.log());

  // A TLS connection whose request header arrives one byte every 100 ms:
  // closed at the header deadline, long before the header is complete.
  auto o = r.options();
  o.source = "127.0.0.3";
  https_client loris(o);
  BOOST_TEST_REQUIRE(loris.connect().has_value());
  const std::string header =
      "POST /v1/batches HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
      "Ravao-Protocol: 1\r\nContent-Length: 2\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
  std::size_t sent = 0;
  for (; sent < header.size(); ++sent) {
    if (!loris.send_raw(header.substr(sent, 1))) break;
    std::this_thread::sleep_for(100ms);  // the attack's pace, not a wait for the test
  }
  BOOST_TEST(sent < header.size(), "the server waited for the whole slow header");

  // A gateway is served as before.
  https_client gateway(r.options());
  auto rep = gateway.post("/v1/batches", seq_batch(1, 3));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u);
}

// Finding 3: the receiver sent 100 Continue and read up to 8 MiB before it
// checked the bearer token. Now a request without a valid token is refused
// from its header: the reply comes while its body is still unsent.
BOOST_AUTO_TEST_CASE(audit_3_a_tokenless_request_is_refused_from_its_header_before_its_body_is_read) {
  receiver_fixture r;
  r.start(gateway_auth(r));
  const auto header = [](std::string_view extra) {
    return fmt::format("POST /v1/batches HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                       "Content-Encoding: gzip\r\nRavao-Protocol: 1\r\nContent-Length: {}\r\n{}\r\n",
                       8 * 1024 * 1024, extra);
  };
  // 16 connections at once, as in the audit; with a client certificate (the
  // TLS identity alone is not enough) but no token, a wrong token, or asking
  // for 100 Continue.
  const std::vector<std::string> extras{"", "Authorization: Bearer wrong\r\n", "Expect: 100-continue\r\n"};
  std::vector<std::unique_ptr<https_client>> clients;
  for (int i = 0; i < 16; ++i) {
    auto o = r.mtls_options();
    o.source = "127.0.0." + std::to_string(10 + i);  // one address each: finding 2's cap is not what refuses them
    clients.push_back(std::make_unique<https_client>(o));
    BOOST_TEST_REQUIRE(clients.back()->send_raw(header(extras[static_cast<std::size_t>(i) % extras.size()])).has_value());
  }
  for (auto& c : clients) {
    // Not one byte of the 8 MiB was sent: a server that wanted the body would not answer.
    auto rep = c->read_reply();
    BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
    BOOST_TEST(rep->status == 401u, rep->body);
    BOOST_TEST(rep->header("connection") == "close");
  }
  // The gateway with its token is served.
  https_client gateway(real_gateway(r));
  auto rep = gateway.post("/v1/batches", seq_batch(1, 2));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u);
  BOOST_TEST(r.stored() == 2);
}

// Finding 4: a 32 KiB gzip body inflating to 32 MiB of JSON blocked the
// receiver for 1.9 s and peaked at 881 MB; a 30 KiB gzip heartbeat stored
// 31.4 MB. Now each endpoint caps what a body may inflate to (a batch 8 MiB,
// a heartbeat 64 KiB) and refuses beyond it, keeping nothing.
BOOST_AUTO_TEST_CASE(audit_4_gzip_bombs_to_batches_and_heartbeats_get_413_and_store_nothing) {
  receiver_fixture r;
  r.start(gateway_auth(r));
  https_client gateway(real_gateway(r));
  const post_options as_is{.gzip = false, .headers = {{"Content-Encoding", "gzip"}}};

  // 32 MiB of JSON in about 32 KiB: a valid batch but for its size.
  std::string batch = seq_batch(1, 1);
  const auto batch_bomb = gzip_bomb(batch.substr(0, batch.size() - 1) + R"(,"pad":")", 32 * 1024 * 1024, "\"}");
  BOOST_TEST(batch_bomb.size() < 40u * 1024u);
  auto rep = gateway.post("/v1/batches", batch_bomb, as_is);
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 413u, rep->body);
  BOOST_TEST(rep->json().at("error").as_string() == "body inflates past 8388608 bytes");

  // A heartbeat of 30 KiB gzip: refused past 64 KiB, nothing stored.
  std::string hb = heartbeat_body();
  const auto heartbeat_bomb = gzip_bomb(hb.substr(0, hb.size() - 1) + R"(,"pad":")", 31 * 1024 * 1024, "\"}");
  rep = gateway.post("/v1/heartbeats", heartbeat_bomb, as_is);
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 413u, rep->body);
  BOOST_TEST(rep->json().at("error").as_string() == "body inflates past 65536 bytes");
  // Sent as is (no gzip), a heartbeat over 64 KiB is refused from its Content-Length.
  rep = gateway.post("/v1/heartbeats", hb.substr(0, hb.size() - 1) + R"(,"pad":")" + std::string(70'000, 'x') + "\"}",
                     {.gzip = false, .headers = {}});
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 413u, rep->body);

  // Nothing of them was stored.
  BOOST_TEST(r.stored() == 0);
  const auto stats = r.stats();  // kept alive: the loop walks into it
  for (const auto& g : stats.at("gateways").as_array()) {
    const auto* last = g.as_object().if_contains("last_heartbeat_ms");
    BOOST_TEST((!last || last->is_null()), json::serialize(g));
  }
  // A real heartbeat and batch still are.
  https_client again(real_gateway(r));
  rep = again.post("/v1/heartbeats", heartbeat_body());
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u, rep->body);
  rep = again.post("/v1/batches", seq_batch(1, 5));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u, rep->body);
  BOOST_TEST(r.stored() == 5);
}

// Finding 4: the number of JSON values was not capped: a few MiB of "0,"
// would become millions of values in memory. Now they are counted before
// anything is built: 413 past 500,000 in a batch, 8,192 in a heartbeat.
BOOST_AUTO_TEST_CASE(audit_4_a_body_of_millions_of_tiny_json_values_is_refused) {
  receiver_fixture r;
  r.start();
  https_client c(r.options());
  std::string zeros;
  for (int i = 0; i < 3'000'000; ++i) zeros += "0,";
  zeros += "0";
  std::string batch = seq_batch(1, 1);
  auto rep = c.post("/v1/batches", batch.substr(0, batch.size() - 1) + R"(,"later":[)" + zeros + "]}");
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 413u, rep->body);
  BOOST_TEST(rep->json().at("error").as_string() == "body holds more than 500000 JSON values");

  std::string hb = heartbeat_body();
  rep = c.post("/v1/heartbeats", hb.substr(0, hb.size() - 1) + R"(,"later":[)" + zeros.substr(0, 2 * 10'000) + "0]}");
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 413u, rep->body);
  BOOST_TEST(rep->json().at("error").as_string() == "body holds more than 8192 JSON values");
  BOOST_TEST(r.stored() == 0);
  // A batch at the protocol's record limit is far below the value cap.
  rep = c.post("/v1/batches", seq_batch(1, 10'000));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u, rep->body);
  BOOST_TEST(r.stored() == 10'000);
}

// Finding 5 (end): a U+202E in a request target reached the log raw. Now
// every client-supplied string in a log line is escaped; a target the HTTP
// parser refuses (ESC, a newline) is not logged at all.
BOOST_AUTO_TEST_CASE(audit_5_control_characters_in_a_request_target_are_logged_escaped) {
  receiver_fixture r;
  r.start();
  https_client c(r.options());
  // U+202E (right-to-left override) and U+009B (the C1 CSI) in UTF-8.
  auto rep = c.post("/v1/batches/\xe2\x80\xae\xc2\x9b" "31mhidden", seq_batch(1, 1));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 404u);
  for (const std::string target : {"/v1/\x1b[31mred", "/v1/batches\r\nfake: line"}) {
    https_client raw(r.options());
    BOOST_TEST_REQUIRE(raw.send_raw("POST " + target + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n").has_value());
    BOOST_TEST(!raw.read_reply().has_value());  // refused by the parser: the connection is closed
  }
  rep = c.post("/v1/batches", seq_batch(1, 1));  // a line after them, so that they are all in the log
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  const auto log = r.log();
  BOOST_TEST(log.find("/v1/batches/\\xe2\\x80\\xae\\xc2\\x9b31mhidden 404") != std::string::npos, log);
  BOOST_TEST(log.find("\xe2\x80\xae") == std::string::npos);
  BOOST_TEST(log.find("\xc2\x9b") == std::string::npos);
  BOOST_TEST(log.find('\x1b') == std::string::npos);
  BOOST_TEST(log.find("fake: line") == std::string::npos);
}
