// ravao-receiver serve --fault: each injected failure does what
// docs/receiver.md says, and what the gateway's retry rules rely on.

#include <boost/test/unit_test.hpp>

#include "receiver/receiver_fixture.hpp"

using namespace ravao::test;

BOOST_AUTO_TEST_CASE(lost_ack_commits_then_closes_without_a_reply) {
  receiver_fixture r;
  r.start({"--fault", "lost-ack:2"});
  https_client c(r.options());
  for (int i = 0; i < 2; ++i) {
    auto rep = c.post("/v1/batches", seq_batch(1, 20));
    BOOST_TEST(!rep.has_value(), "a reply arrived: " << (rep ? rep->body : ""));
    BOOST_TEST(!c.connected());
  }
  BOOST_TEST(r.stored() == 20);  // stored by the first attempt
  // The third send gets its ack: everything was a duplicate.
  auto rep = c.post("/v1/batches", seq_batch(1, 20));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u);
  BOOST_TEST(rep->json().at("duplicates").as_int64() == 20);
  BOOST_TEST(r.stored() == 20);
  BOOST_TEST(r.stream_row().at("duplicates").as_int64() == 40);
  BOOST_TEST(r.stats().at("gateways").at(0).at("requests").at("lost_ack").as_int64() == 2);
}

BOOST_AUTO_TEST_CASE(error_rate_fails_a_fraction_deterministically_without_storing) {
  const auto outcome_sequence = [](receiver_fixture& r) {
    https_client c(r.options());
    std::vector<unsigned> statuses;
    for (int i = 0; i < 30; ++i) {
      auto rep = c.post("/v1/batches", seq_batch(i + 1, i + 1));
      BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
      statuses.push_back(rep->status);
      if (rep->status == 503) BOOST_TEST(rep->header("retry-after") == "1");
    }
    return statuses;
  };
  receiver_fixture a;
  a.start({"--fault", "error-rate:0.5:42"});
  const auto first = outcome_sequence(a);
  const auto failures = std::ranges::count_if(first, [](unsigned s) { return s >= 500; });
  BOOST_TEST(failures > 5);
  BOOST_TEST(failures < 25);
  for (unsigned s : {500u, 502u, 503u}) BOOST_TEST(std::ranges::count(first, s) > 0, "status " << s);
  BOOST_TEST(a.stored() == 30 - failures);

  receiver_fixture b;
  b.start({"--fault", "error-rate:0.5:42"});
  BOOST_TEST(outcome_sequence(b) == first, "the same seed gives the same sequence");
}

BOOST_AUTO_TEST_CASE(unauthorized_once_then_ok) {
  receiver_fixture r;
  r.start({"--fault", "unauthorized-once"});
  https_client c(r.options());
  auto rep = c.post("/v1/batches", seq_batch(1, 5));
  BOOST_TEST_REQUIRE(rep.has_value());
  BOOST_TEST(rep->status == 401u);
  BOOST_TEST(r.stored() == 0);
  https_client again(r.options());  // the gateway reconnects after a 401
  rep = again.post("/v1/batches", seq_batch(1, 5));
  BOOST_TEST_REQUIRE(rep.has_value());
  BOOST_TEST(rep->status == 200u);
  BOOST_TEST(r.stored() == 5);
}

BOOST_AUTO_TEST_CASE(throttle_replies_429_with_retry_after) {
  receiver_fixture r;
  r.start({"--fault", "throttle:2:7"});
  https_client c(r.options());
  for (int i = 0; i < 2; ++i) {
    auto rep = c.post("/v1/batches", seq_batch(1, 5));
    BOOST_TEST_REQUIRE(rep.has_value());
    BOOST_TEST(rep->status == 429u);
    BOOST_TEST(rep->header("retry-after") == "7");
  }
  BOOST_TEST(r.stored() == 0);
  // Heartbeats are not throttled.
  auto rep = c.post("/v1/heartbeats", heartbeat_body());
  BOOST_TEST_REQUIRE(rep.has_value());
  BOOST_TEST(rep->status == 200u);
  rep = c.post("/v1/batches", seq_batch(1, 5));
  BOOST_TEST_REQUIRE(rep.has_value());
  BOOST_TEST(rep->status == 200u);
}

BOOST_AUTO_TEST_CASE(reset_mid_body_stores_nothing) {
  receiver_fixture r;
  r.start({"--fault", "reset-mid-body:1"});
  const std::string body = seq_batch(1, 2000);  // ~400 KB: many TLS records
  https_client c(r.options());
  auto rep = c.post("/v1/batches", body, {.gzip = false, .headers = {}});
  BOOST_TEST(!rep.has_value(), "a reply arrived: " << (rep ? rep->body : ""));
  BOOST_TEST(r.stored() == 0);
  rep = c.post("/v1/batches", body, {.gzip = false, .headers = {}});
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u);
  BOOST_TEST(r.stored() == 2000);
}

BOOST_AUTO_TEST_CASE(a_client_that_resets_mid_body_stores_nothing) {
  receiver_fixture r;
  r.start();
  const std::string body = seq_batch(1, 100);
  https_client c(r.options());
  BOOST_TEST_REQUIRE(c.post_partial_and_reset("/v1/batches", body, body.size() / 2).has_value());
  https_client d(r.options());
  auto rep = d.post("/v1/batches", seq_batch(101, 101));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u);
  BOOST_TEST(r.stored() == 1);
}

BOOST_AUTO_TEST_CASE(faults_compose_and_delay_still_replies) {
  receiver_fixture r;
  r.start({"--fault", "unauthorized-once", "--fault", "throttle:1:1", "--fault", "lost-ack:1", "--fault",
           "delay-ms:20"});
  https_client c(r.options());
  auto rep = c.post("/v1/batches", seq_batch(1, 3));
  BOOST_TEST_REQUIRE(rep.has_value());
  BOOST_TEST(rep->status == 401u);
  rep = c.post("/v1/batches", seq_batch(1, 3));
  BOOST_TEST_REQUIRE(rep.has_value());
  BOOST_TEST(rep->status == 429u);
  rep = c.post("/v1/batches", seq_batch(1, 3));
  BOOST_TEST(!rep.has_value());  // lost ack
  rep = c.post("/v1/batches", seq_batch(1, 3));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u);
  BOOST_TEST(rep->json().at("duplicates").as_int64() == 3);
}

BOOST_AUTO_TEST_CASE(bad_fault_specs_are_usage_errors) {
  for (const auto* spec : {"lost-ack", "lost-ack:0", "error-rate:1.5", "throttle:1", "delay-ms:x", "explode:1",
                           "unauthorized-once:3", "unknown-type", "unknown-type:", "unknown-type:a:b"}) {
    const auto res = receiver({"serve", "--listen", "127.0.0.1:0", "--cert", "c", "--key", "k", "--db", "d",
                               "--fault", spec});
    BOOST_TEST(res.code == 2, spec << ": " << res.err);
    BOOST_TEST(res.err.find("--fault") != std::string::npos, res.err);
  }
}
