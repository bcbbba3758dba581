// ravao-receiver serve --per-gateway-*: a gateway, by its client
// certificate, over its requests in flight or over its rate gets 429 with
// Retry-After as soon as its header is read, before its body; other gateways
// are not affected (docs/receiver.md "Per-gateway limits"). Real mutual TLS;
// no timing: the rate is one request per 1,000 s, and a request is held in
// flight by Expect: 100-continue. A 429 keeps the connection open. Also
// --max-connections: at the cap a new connection waits in the listen queue
// until one ends, it is not closed; --max-sessions and --max-handshakes: more
// clients than slots wait for one and are all answered; one that waited past
// --queue-timeout-seconds is answered 503 with Retry-After; --max-body-mib:
// a request whose header finds the bodies held at their budget gets 503 with
// Retry-After before its body is read.

#include <boost/test/unit_test.hpp>

#include <future>
#include <thread>

#include "receiver/receiver_fixture.hpp"

using namespace ravao::test;

namespace {

// The fixture's PKI made again with one more gateway, gw-test-0, under the same CA.
void add_second_gateway(receiver_fixture& r) {
  must_run({"pki", "--out", r.pki("").native(), "--client", std::string(test_gateway), "--fleet", "1", "--force"});
}

https_options second_gateway(const receiver_fixture& r) {
  auto o = r.options();
  o.token.clear();
  o.client_cert = r.pki("fleet/gw-test-0.pem");
  o.client_key = r.pki("fleet/gw-test-0.key");
  return o;
}

https_options first_gateway(const receiver_fixture& r) {
  auto o = r.mtls_options();
  o.token.clear();
  return o;
}

// A batch header announcing `length` bytes of body, none of which is sent.
std::string header_only(std::size_t length, std::string_view extra = {}) {
  return fmt::format("POST /v1/batches HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                     "Ravao-Protocol: 1\r\nContent-Length: {}\r\n{}\r\n", length, extra);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_gateway_over_its_rate_gets_429_with_retry_after_before_its_body_others_do_not) {
  receiver_fixture r;
  add_second_gateway(r);
  r.start({"--client-ca", r.pki("ca.pem").native(), "--per-gateway-rate", "0.001", "--per-gateway-burst", "3"});
  https_client c(first_gateway(r));
  for (int i = 0; i < 3; ++i) {
    auto rep = c.post("/v1/batches", seq_batch(10 * i + 1, 10 * i + 10));
    BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
    BOOST_TEST(rep->status == 200u);
  }
  // The fourth: refused on its header alone (the announced megabyte never comes).
  BOOST_TEST_REQUIRE(c.send_raw(header_only(1'000'000)).has_value());
  auto rep = c.read_reply();
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 429u);
  const auto retry_after = std::stol(rep->header("retry-after"));
  BOOST_TEST(retry_after >= 1);
  BOOST_TEST(retry_after <= 1000);
  // Heartbeats count too.
  c.close();
  rep = c.post("/v1/heartbeats", heartbeat_body());
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 429u);
  BOOST_TEST(r.stored() == 30);

  // Another gateway has a bucket of its own.
  https_client other(second_gateway(r));
  rep = other.post("/v1/batches", seq_batch(1, 5, "gw-test-0"));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u);

  const auto requests = r.stats().at("gateways");
  std::int64_t throttled = -1;
  for (const auto& g : requests.as_array()) {
    if (g.at("gateway").as_string() == test_gateway) throttled = g.at("requests").at("throttled").as_int64();
  }
  BOOST_TEST(throttled == 2);
  // Logged once for the episode, not per request.
  const std::string log = r.log();
  BOOST_TEST(log.find("receiver.gateway_throttled") != std::string::npos, log);
  BOOST_TEST(log.find("receiver.gateway_throttled") == log.rfind("receiver.gateway_throttled"));
}

BOOST_AUTO_TEST_CASE(a_gateway_with_too_many_requests_in_flight_gets_429_until_one_ends) {
  receiver_fixture r;
  add_second_gateway(r);
  r.start({"--client-ca", r.pki("ca.pem").native(), "--per-gateway-in-flight", "1"});
  // The first request is admitted (100 Continue) and stays in flight until its body is sent.
  const std::string body = seq_batch(1, 10);
  https_client held(first_gateway(r));
  BOOST_TEST_REQUIRE(held.send_raw(header_only(body.size(), "Expect: 100-continue\r\n")).has_value());
  auto go_on = held.read_reply();
  BOOST_TEST_REQUIRE(go_on.has_value(), why(go_on));
  BOOST_TEST(go_on->status == 100u);

  https_client second(first_gateway(r));
  auto rep = second.post("/v1/batches", seq_batch(11, 20));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 429u);
  BOOST_TEST(rep->header("retry-after") == "1");
  // The refused body was read and discarded: the connection stays open for
  // the retry (no new TLS handshake), and the retry below uses it.
  BOOST_TEST(rep->header("connection") != "close");
  BOOST_TEST(second.connected());
  // Another gateway is not held up.
  https_client other(second_gateway(r));
  rep = other.post("/v1/batches", seq_batch(1, 5, "gw-test-0"));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u);

  BOOST_TEST_REQUIRE(held.send_raw(body).has_value());
  rep = held.read_reply();
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u);
  // Its reply written, the place is free again.
  rep = second.post("/v1/batches", seq_batch(11, 20));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u);
  BOOST_TEST(r.stored() == 20);
}

BOOST_AUTO_TEST_CASE(bodies_over_the_memory_budget_get_503_with_retry_after_from_their_header) {
  receiver_fixture r;
  add_second_gateway(r);
  r.start({"--client-ca", r.pki("ca.pem").native(), "--max-body-mib", "1"});
  // One body is always admitted, even one larger than the budget; it holds
  // its share until its request is done.
  const std::size_t large = 2'000'000;
  https_client held(first_gateway(r));
  BOOST_TEST_REQUIRE(held.send_raw(header_only(large, "Expect: 100-continue\r\n")).has_value());
  auto go_on = held.read_reply();
  BOOST_TEST_REQUIRE(go_on.has_value(), why(go_on));
  BOOST_TEST(go_on->status == 100u);

  // Another gateway's batch is refused from its header, and keeps its connection.
  https_client other(second_gateway(r));
  auto rep = other.post("/v1/batches", seq_batch(1, 5, "gw-test-0"));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 503u, rep->body);
  BOOST_TEST(rep->header("retry-after") == "2");
  BOOST_TEST(rep->header("connection") != "close");
  BOOST_TEST(other.connected());
  BOOST_TEST(r.records().empty());

  // The large body arrives (not JSON: refused as such); its share is given back.
  BOOST_TEST_REQUIRE(held.send_raw(std::string(large, 'x')).has_value());
  rep = held.read_reply();
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 400u, rep->body);
  rep = other.post("/v1/batches", seq_batch(1, 5, "gw-test-0"));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u, rep->body);
  BOOST_TEST(rep->json().at("accepted").as_int64() == 5);
  BOOST_TEST(r.records().size() == 5u);
}

// A gzip body's share of the budget becomes the size of its records once
// decoded (several times its Content-Length), until its request is done.
BOOST_AUTO_TEST_CASE(a_gzip_body_holds_the_size_of_its_decoded_records_until_its_request_is_done) {
  receiver_fixture r;
  add_second_gateway(r);
  // Every reply waits 8 s first: the stored request still holds its share then.
  r.start({"--client-ca", r.pki("ca.pem").native(), "--max-body-mib", "1", "--fault", "delay-ms:8000"});
  // 5,000 records: some 150 KB gzipped (the client gzips), over 2 MB decoded.
  const std::string body = seq_batch(1, 5000);
  auto first = std::async(std::launch::async, [&] {
    https_client c(first_gateway(r));
    return c.post("/v1/batches", body);
  });
  BOOST_TEST_REQUIRE(eventually([&] { return r.records().size() == 5000u; }));
  https_client other(second_gateway(r));
  auto rep = other.post("/v1/batches", seq_batch(1, 5, "gw-test-0"));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 503u, rep->body);
  BOOST_TEST(!rep->header("retry-after").empty());
  auto done = first.get();
  BOOST_TEST_REQUIRE(done.has_value(), why(done));
  BOOST_TEST(done->status == 200u, done->body);
  // Its share given back: the other gateway's batch is taken.
  rep = other.post("/v1/batches", seq_batch(1, 5, "gw-test-0"));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u, rep->body);
  BOOST_TEST(r.records().size() == 5005u);
}

BOOST_AUTO_TEST_CASE(per_gateway_options_are_checked) {
  receiver_fixture r;
  for (const auto& bad : std::vector<std::vector<std::string>>{{"--per-gateway-rate", "-1"},
                                                               {"--per-gateway-rate", "fast"},
                                                               {"--per-gateway-burst", "0"},
                                                               {"--per-gateway-in-flight", "x"}}) {
    std::vector<std::string> args{"serve", "--listen", "127.0.0.1:0", "--cert", r.pki("server.pem").native(),
                                  "--key", r.pki("server.key").native(), "--db", r.db_arg(), "--tokens",
                                  r.tokens_path().native()};
    args.insert(args.end(), bad.begin(), bad.end());
    const auto out = receiver(args);
    BOOST_TEST(out.code == 2, bad.at(0) << " " << bad.at(1) << ": " << out.err);
    BOOST_TEST(out.err.find(bad.at(0)) != std::string::npos, out.err);
  }
}

BOOST_AUTO_TEST_CASE(at_max_connections_a_new_connection_waits_for_one_to_end_instead_of_being_closed) {
  receiver_fixture r;
  r.start({"--max-connections", "1"});
  https_client first(r.options());
  BOOST_TEST_REQUIRE(first.connect().has_value());
  auto waiting = std::async(std::launch::async, [&] {
    auto o = r.options();
    o.timeout = 30s;
    https_client late(o);
    return late.post("/v1/batches", seq_batch(1, 5));
  });
  // The first connection is still served, then ends; the late one is taken.
  auto rep = first.post("/v1/heartbeats", heartbeat_body());
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u);
  first.close();
  rep = waiting.get();
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u);
  BOOST_TEST(r.stored() == 5);
  BOOST_TEST(r.logged("receiver.too_many_connections"), r.log());
}

BOOST_AUTO_TEST_CASE(more_clients_than_session_and_handshake_slots_wait_in_turn_and_are_all_answered) {
  receiver_fixture r;
  r.start({"--max-sessions", "2", "--max-handshakes", "1", "--per-gateway-in-flight", "0", "--per-gateway-rate", "0",
           "--max-connections-per-address", "100", "--handshake-timeout-seconds", "60",
           "--queue-timeout-seconds", "600"});
  constexpr int clients = 12;
  std::vector<std::future<ravao::result<http_reply>>> replies;
  for (int i = 0; i < clients; ++i) {
    replies.push_back(std::async(std::launch::async, [&r, i] {
      auto o = r.options();
      o.timeout = 120s;
      https_client c(o);
      return c.post("/v1/batches", seq_batch(10 * i + 1, 10 * i + 10));  // closed when `c` ends: the next may come in
    }));
  }
  for (auto& f : replies) {
    auto rep = f.get();
    BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
    BOOST_TEST(rep->status == 200u, rep->body);
  }
  BOOST_TEST(r.stored() == 10 * clients);
  BOOST_TEST(r.log().find("receiver.session_queue_timeout") == std::string::npos);
  BOOST_TEST(r.log().find("receiver.handshake_failed") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_gateway_told_to_come_back_later_gives_up_its_session_while_others_wait) {
  receiver_fixture r;
  add_second_gateway(r);
  r.start({"--client-ca", r.pki("ca.pem").native(), "--max-sessions", "1", "--per-gateway-rate", "0.001",
           "--per-gateway-burst", "1", "--queue-timeout-seconds", "600", "--timeout-seconds", "600"});
  https_client holder(first_gateway(r));
  auto rep = holder.post("/v1/batches", seq_batch(1, 5));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u);
  // No one waits: a 429 keeps the connection (the retry needs no handshake).
  rep = holder.post("/v1/batches", seq_batch(6, 10));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 429u);
  BOOST_TEST(rep->header("connection") != "close");
  BOOST_TEST(holder.connected());

  // Another gateway now waits for the one session.
  auto waiting = std::async(std::launch::async, [&] {
    auto o = second_gateway(r);
    o.timeout = 60s;
    https_client late(o);
    return late.post("/v1/batches", seq_batch(1, 5, "gw-test-0"));
  });
  // Once it waits (polled: its connection reaches the queue on its own
  // thread), the holder's next 429 comes with Connection: close.
  bool closed = false;
  for (int i = 0; i < 100 && !closed; ++i) {
    rep = holder.post("/v1/batches", seq_batch(6, 10));
    BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
    BOOST_TEST_REQUIRE(rep->status == 429u);
    BOOST_TEST(!rep->header("retry-after").empty());
    closed = rep->header("connection") == "close";
    if (!closed) std::this_thread::sleep_for(100ms);
  }
  BOOST_TEST_REQUIRE(closed, r.log());
  rep = waiting.get();  // served on the freed session
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u, rep->body);
  BOOST_TEST(r.records().size() == 10u);  // 5 of each gateway
  BOOST_TEST(!r.logged("receiver.session_closed"), r.log());
}

BOOST_AUTO_TEST_CASE(a_connection_that_waited_past_the_queue_timeout_gets_503_with_retry_after_not_a_reset) {
  receiver_fixture r;
  r.start({"--max-sessions", "1", "--queue-timeout-seconds", "1", "--handshake-timeout-seconds", "600",
           "--timeout-seconds", "600"});
  https_client holder(r.options());
  BOOST_TEST_REQUIRE(holder.connect().has_value());  // holds the one session, sends nothing
  auto o = r.options();
  o.timeout = 60s;
  https_client late(o);
  auto rep = late.post("/v1/batches", seq_batch(1, 5));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 503u, rep->body);
  BOOST_TEST(rep->header("retry-after") == "2");
  BOOST_TEST(rep->header("connection") == "close");
  BOOST_TEST(r.logged("receiver.session_queue_timeout"), r.log());
  holder.close();
  rep = late.post("/v1/batches", seq_batch(1, 5));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u, rep->body);
  BOOST_TEST(rep->json().at("accepted").as_int64() == 5);
  BOOST_TEST(r.records().size() == 5u);
}
