// ravao-receiver serve: every request bound to its sender's gateway, records
// that conflict with stored ones refused, revocation without a restart
// (issue 18, finding 1; docs/receiver.md "Identity and revocation").

#include <boost/test/unit_test.hpp>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>

#include "receiver/receiver_fixture.hpp"

using namespace ravao::test;

namespace {

unsigned status_of(https_client& c, std::string_view path, const std::string& body) {
  auto rep = c.post(path, body);
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  return rep->status;
}

// "sha256:<hex>" and "serial:<hex>" lines for the deny list, read from a PEM certificate.
std::pair<std::string, std::string> deny_lines(const std::filesystem::path& pem) {
  FILE* f = std::fopen(pem.c_str(), "r");
  BOOST_TEST_REQUIRE(f != nullptr);
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  BOOST_TEST_REQUIRE(cert != nullptr);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(cert, EVP_sha256(), md, &n);
  std::string fingerprint = "sha256:";
  for (unsigned i = 0; i < n; ++i) fingerprint += fmt::format("{}{:02X}", i ? ":" : "", md[i]);  // openssl's form
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  char* hex = BN_bn2hex(bn);
  std::string serial = std::string("serial:") + hex;
  OPENSSL_free(hex);
  BN_free(bn);
  X509_free(cert);
  return {fingerprint, serial};
}

// Sends SIGHUP and waits for the `reloads`-th reload line (done or failed).
void reload(receiver_fixture& r, std::size_t reloads) {
  r.reload();
  const auto count = [&] {
    const auto log = r.log();
    std::size_t n = 0;
    for (auto at = log.find("receiver.reload"); at != std::string::npos; at = log.find("receiver.reload", at + 1)) ++n;
    return n;
  };
  BOOST_TEST_REQUIRE(eventually([&] { return count() >= reloads; }, 20s), r.log());
}

// The same seqs as seq_batch, other content: what a forger would send first.
std::string forged_batch(std::int64_t first, std::int64_t last) {
  json::array rs;
  for (std::int64_t s = first; s <= last; ++s) {
    auto rec = make_record(s, "visit_opened");
    rec["name_masked"] = "KẺ GIẢ MẠO";
    rec["counter"] = "quay-gia";  // the masks alone do not count (a re-masked resend)
    rs.push_back(std::move(rec));
  }
  return batch_body(std::move(rs));
}

}  // namespace

BOOST_AUTO_TEST_CASE(audit_1_a_certificate_for_one_gateway_cannot_send_as_another) {
  receiver_fixture r;
  r.start({"--client-ca", r.pki("ca.pem").native()});
  https_client gw_test(r.mtls_options());
  BOOST_TEST(status_of(gw_test, "/v1/batches", seq_batch(1, 3, "gw-other")) == 403u);
  BOOST_TEST(status_of(gw_test, "/v1/heartbeats", heartbeat_body("gw-other")) == 403u);
  BOOST_TEST(status_of(gw_test, "/v1/batches", seq_batch(1, 3)) == 200u);
  BOOST_TEST(status_of(gw_test, "/v1/heartbeats", heartbeat_body()) == 200u);
  BOOST_TEST(r.stored() == 3);
  const auto stats = r.stats();
  BOOST_TEST(stats.at("streams").as_array().size() == 1u);
  for (const auto& g : stats.at("gateways").as_array()) {
    if (g.at("gateway").as_string() != "gw-other") continue;
    BOOST_TEST(g.at("requests").at("forbidden").as_int64() == 2);
    BOOST_TEST(g.at("last_heartbeat_ms").is_null());
  }
}

BOOST_AUTO_TEST_CASE(audit_1_a_token_for_one_gateway_cannot_send_as_another) {
  receiver_fixture r;
  write_file(r.dir() / "tokens", "gw-test tok-test-1234\ngw-other tok-other-5678\n");
  r.start({"--tokens", (r.dir() / "tokens").native()});
  auto o = r.options();
  o.token = "tok-test-1234";
  https_client gw_test(o);
  BOOST_TEST(status_of(gw_test, "/v1/batches", seq_batch(1, 2, "gw-other")) == 403u);
  BOOST_TEST(status_of(gw_test, "/v1/heartbeats", heartbeat_body("gw-other")) == 403u);
  o.token = "tok-other-5678";
  https_client gw_other(o);
  BOOST_TEST(status_of(gw_other, "/v1/batches", seq_batch(1, 2, "gw-other")) == 200u);
  BOOST_TEST(status_of(gw_other, "/v1/batches", seq_batch(1, 2)) == 403u);
  BOOST_TEST(r.stored() == 0);  // gw-test's stream: nothing
}

BOOST_AUTO_TEST_CASE(audit_1_with_both_credentials_they_must_name_the_same_gateway) {
  receiver_fixture r;
  write_file(r.dir() / "tokens", "gw-test tok-test-1234\ngw-other tok-other-5678\n");
  r.start({"--client-ca", r.pki("ca.pem").native(), "--tokens", (r.dir() / "tokens").native()});
  auto o = r.mtls_options();  // the certificate is gw-test's
  o.token = "tok-other-5678";
  https_client mixed(o);
  BOOST_TEST(status_of(mixed, "/v1/batches", seq_batch(1, 2, "gw-other")) == 403u);
  BOOST_TEST(status_of(mixed, "/v1/batches", seq_batch(1, 2)) == 403u);
  o.token = "";
  https_client no_token(o);
  BOOST_TEST(status_of(no_token, "/v1/batches", seq_batch(1, 2)) == 401u);
  o.token = "tok-test-1234";
  https_client both(o);
  BOOST_TEST(status_of(both, "/v1/batches", seq_batch(1, 2)) == 200u);
}

BOOST_AUTO_TEST_CASE(audit_1_serve_refuses_anonymous_senders_and_tokens_for_any_gateway) {
  receiver_fixture r;
  const std::vector<std::string> base{"serve", "--listen", "127.0.0.1:0", "--cert", r.pki("server.pem").native(),
                                      "--key", r.pki("server.key").native(), "--db", r.db_arg()};
  auto res = receiver(base);
  BOOST_TEST(res.code == 2, res.err);
  BOOST_TEST(res.err.find("--client-ca and/or --tokens") != std::string::npos, res.err);

  // "TOKEN" alone used to mean "any gateway": its holder could send as every gateway.
  write_file(r.dir() / "tokens", "gw-test tok-test-1234\nopen-sesame\n");
  auto with_tokens = base;
  with_tokens.insert(with_tokens.end(), {"--tokens", (r.dir() / "tokens").native()});
  res = receiver(with_tokens);
  BOOST_TEST(res.code == 1, res.err);
  BOOST_TEST(res.err.find("tokens:2: a token must name its gateway") != std::string::npos, res.err);

  // The option that made binding optional is gone.
  auto bind = base;
  bind.insert(bind.end(), {"--client-ca", r.pki("ca.pem").native(), "--bind-client-cn"});
  res = receiver(bind);
  BOOST_TEST(res.code == 2, res.err);
  BOOST_TEST(!std::filesystem::exists(r.db()));
}

BOOST_AUTO_TEST_CASE(audit_1_a_forged_record_makes_the_genuine_one_a_conflict_not_a_duplicate) {
  receiver_fixture r;
  r.start();
  https_client c(r.options());
  // The forger gets there first with the gateway's stream and next seqs.
  BOOST_TEST(status_of(c, "/v1/batches", forged_batch(2, 3)) == 200u);
  auto rep = c.post("/v1/batches", seq_batch(1, 4));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 409u, rep->body);
  const auto reply = rep->json();
  const auto& conflicts = reply.at("conflicts").as_array();
  BOOST_TEST_REQUIRE(conflicts.size() == 2u, rep->body);
  BOOST_TEST(conflicts[0].at("seq").as_int64() == 2);
  BOOST_TEST(conflicts[1].at("seq").as_int64() == 3);
  // Nothing of the genuine batch was stored, not even its new records.
  BOOST_TEST(r.stored() == 2);
  BOOST_TEST(r.log().find("receiver.record_conflict") != std::string::npos);
  const auto stats = r.stats();
  for (const auto& g : stats.at("gateways").as_array()) {
    if (g.at("gateway").as_string() == test_gateway) BOOST_TEST(g.at("conflicts").as_int64() == 1);
  }
  const auto text = must_run({"stats", "--db", r.db_arg()}).out;
  BOOST_TEST(text.find("ALARM: 1 batches refused (409)") != std::string::npos, text);
  // Sent again, it is refused again: never acknowledged as a duplicate.
  BOOST_TEST(status_of(c, "/v1/batches", seq_batch(1, 4)) == 409u);

  // The same record sent again is a duplicate (200), also with its members in another order.
  rep = c.post("/v1/batches", forged_batch(2, 3));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u, rep->body);
  BOOST_TEST(rep->json().at("duplicates").as_int64() == 2);
  auto reordered = json::parse(forged_batch(3, 3)).as_object();
  auto& rec = reordered["records"].as_array()[0].as_object();
  json::object backwards;
  for (auto it = rec.end(); it != rec.begin();) {
    --it;
    backwards[it->key()] = it->value();
  }
  rec = std::move(backwards);
  rep = c.post("/v1/batches", json::serialize(reordered));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u, rep->body);
  BOOST_TEST(rep->json().at("duplicates").as_int64() == 1);
}

// A gateway upgraded to re-masked records (schema 4) may resend a record
// whose acknowledgement was lost, now with other masks: a duplicate, not a
// conflict, and the copy stored first stays.
BOOST_AUTO_TEST_CASE(audit_1_a_record_resent_with_only_other_masks_is_a_duplicate) {
  receiver_fixture r;
  r.start();
  https_client c(r.options());
  auto first = json::parse(seq_batch(1, 1)).as_object();
  auto& rec = first["records"].as_array()[0].as_object();
  rec["name_masked"] = "NGUYỄN V. A.";
  rec["id_masked"] = "0010******45";
  BOOST_TEST(status_of(c, "/v1/batches", json::serialize(first)) == 200u);
  rec["name_masked"] = "NGUYỄN V. A.";
  rec["id_masked"] = "**********45";
  auto rep = c.post("/v1/batches", json::serialize(first));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u, rep->body);
  BOOST_TEST(rep->json().at("duplicates").as_int64() == 1);
  // Anything else that differs is still a conflict.
  rec["counter"] = "quay-9";
  BOOST_TEST(status_of(c, "/v1/batches", json::serialize(first)) == 409u);
}

BOOST_AUTO_TEST_CASE(audit_1_a_revoked_certificate_is_refused_without_a_restart) {
  receiver_fixture r;
  const auto deny = r.dir() / "deny";
  write_file(deny, "# nothing denied yet\n");
  r.start({"--client-ca", r.pki("ca.pem").native(), "--deny", deny.native()});
  https_client gw(r.mtls_options());
  BOOST_TEST(status_of(gw, "/v1/batches", seq_batch(1, 2)) == 200u);

  const auto [fingerprint, serial] = deny_lines(r.pki("client.pem"));
  std::size_t reloads = 0;
  for (const auto& line : {fingerprint, serial, std::string("gateway:gw-test")}) {
    write_file(deny, line + "\n");
    reload(r, ++reloads);
    // The kept-alive connection too: every request is checked against the lists in force.
    BOOST_TEST(status_of(gw, "/v1/batches", seq_batch(3, 4)) == 403u, line);
    BOOST_TEST(status_of(gw, "/v1/heartbeats", heartbeat_body()) == 403u, line);
  }
  // A list that no longer reads keeps the one in force.
  write_file(deny, "gateway:gw-test\nnot a deny line\n");
  reload(r, ++reloads);
  BOOST_TEST(r.logged("receiver.reload_failed"), r.log());
  BOOST_TEST(status_of(gw, "/v1/batches", seq_batch(3, 4)) == 403u);
  // Lifted: accepted again.
  write_file(deny, "");
  reload(r, ++reloads);
  BOOST_TEST(status_of(gw, "/v1/batches", seq_batch(3, 4)) == 200u);
  BOOST_TEST(r.stored() == 4);
  const auto stats = r.stats();
  for (const auto& g : stats.at("gateways").as_array()) {
    if (g.at("gateway").as_string() == test_gateway) BOOST_TEST(g.at("requests").at("revoked").as_int64() == 7);
  }
}

BOOST_AUTO_TEST_CASE(audit_1_a_token_removed_from_the_file_is_refused_after_a_reload) {
  receiver_fixture r;
  r.start();
  https_client old_token(r.options());
  BOOST_TEST(status_of(old_token, "/v1/batches", seq_batch(1, 2)) == 200u);
  write_file(r.tokens_path(), "gw-test tok-rotated-9876\n");
  reload(r, 1);
  BOOST_TEST(status_of(old_token, "/v1/batches", seq_batch(3, 4)) == 401u);
  auto o = r.options();
  o.token = "tok-rotated-9876";
  https_client new_token(o);
  BOOST_TEST(status_of(new_token, "/v1/batches", seq_batch(3, 4)) == 200u);
  // A tokens file that no longer reads keeps the tokens in force.
  write_file(r.tokens_path(), "tok-for-anyone\n");
  reload(r, 2);
  BOOST_TEST(r.logged("receiver.reload_failed"), r.log());
  BOOST_TEST(status_of(new_token, "/v1/heartbeats", heartbeat_body()) == 200u);
  BOOST_TEST(r.log().find("tok-") == std::string::npos);  // no token in the log
}
