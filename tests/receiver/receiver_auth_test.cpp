// ravao-receiver serve: mutual TLS, bearer tokens, and what a client that
// does not trust the server sees.

#include <boost/test/unit_test.hpp>

#include "receiver/receiver_fixture.hpp"

using namespace ravao::test;

BOOST_AUTO_TEST_CASE(mtls_requires_a_client_certificate_from_the_ca) {
  receiver_fixture r;
  r.start({"--client-ca", r.pki("ca.pem").native()});
  https_client anonymous(r.options());
  auto rep = anonymous.post("/v1/batches", seq_batch(1, 3));
  BOOST_TEST(!rep.has_value(), "served without a client certificate");
  BOOST_TEST(r.stored() == 0);

  https_client gateway(r.mtls_options());
  rep = gateway.post("/v1/batches", seq_batch(1, 3));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u, rep->body);
  // The certificate's CN is gw-test: it may not send for another gateway.
  rep = gateway.post("/v1/batches", seq_batch(1, 3, "gw-other"));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 403u, rep->body);
  BOOST_TEST(r.stored() == 3);
  BOOST_TEST(r.logged("receiver.handshake_failed"), r.log());
}

BOOST_AUTO_TEST_CASE(a_client_trusting_another_ca_or_name_refuses_the_server) {
  receiver_fixture r;
  r.start();
  auto wrong_ca = r.options();
  wrong_ca.ca_file = r.pki("other-ca.pem");
  https_client a(wrong_ca);
  auto connected = a.connect();
  BOOST_TEST(!connected.has_value());
  auto wrong_name = r.options();
  wrong_name.host = "elsewhere.example";
  https_client b(wrong_name);
  BOOST_TEST(!b.connect().has_value());
  // By IP address: the pki's server certificate carries IP:127.0.0.1.
  auto by_ip = r.options();
  by_ip.host = "127.0.0.1";
  https_client c(by_ip);
  BOOST_TEST(c.connect().has_value());
}

BOOST_AUTO_TEST_CASE(bearer_tokens_each_bound_to_its_gateway) {
  receiver_fixture r;
  write_file(r.dir() / "tokens", "# tokens for the test\n\ngw-other open-sesame\ngw-test   s3cret-gw\n");
  r.start({"--tokens", (r.dir() / "tokens").native()});
  const auto with = [&](std::string token) {
    auto o = r.options();
    o.token = std::move(token);
    return o;
  };
  https_client none(with(""));
  auto rep = none.post("/v1/batches", seq_batch(1, 2));
  BOOST_TEST_REQUIRE(rep.has_value());
  BOOST_TEST(rep->status == 401u);
  https_client wrong(with("s3cret-gX"));
  rep = wrong.post("/v1/batches", seq_batch(1, 2));
  BOOST_TEST_REQUIRE(rep.has_value());
  BOOST_TEST(rep->status == 401u);
  rep = wrong.post("/v1/heartbeats", heartbeat_body());
  BOOST_TEST_REQUIRE(rep.has_value());
  BOOST_TEST(rep->status == 401u);

  https_client bound(with("s3cret-gw"));
  rep = bound.post("/v1/batches", seq_batch(1, 2));
  BOOST_TEST_REQUIRE(rep.has_value());
  BOOST_TEST(rep->status == 200u);
  rep = bound.post("/v1/batches", seq_batch(1, 2, "gw-other"));
  BOOST_TEST_REQUIRE(rep.has_value());
  BOOST_TEST(rep->status == 403u);

  https_client other(with("open-sesame"));
  rep = other.post("/v1/batches", seq_batch(1, 2, "gw-other"));
  BOOST_TEST_REQUIRE(rep.has_value());
  BOOST_TEST(rep->status == 200u);
  rep = other.post("/v1/batches", seq_batch(3, 4));
  BOOST_TEST_REQUIRE(rep.has_value());
  BOOST_TEST(rep->status == 403u);
  BOOST_TEST(r.stored() == 2);
  // No token in the log.
  BOOST_TEST(r.log().find("s3cret") == std::string::npos);
  BOOST_TEST(r.log().find("open-sesame") == std::string::npos);
}
