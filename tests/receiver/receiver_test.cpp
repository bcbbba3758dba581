// ravao-receiver serve: the protocol's replies, deduplication, validation,
// size limits, heartbeats and derived times, through a real HTTPS client.

#include <boost/test/unit_test.hpp>

#include "receiver/receiver_fixture.hpp"
#include "common/gzip.hpp"

using namespace ravao::test;

namespace {

std::int64_t num(const json::value& v, std::string_view key) { return v.at(key).as_int64(); }

}  // namespace

BOOST_AUTO_TEST_CASE(a_batch_is_stored_once_and_a_resend_counts_duplicates) {
  receiver_fixture r;
  r.start();
  https_client c(r.options());
  auto rep = c.post("/v1/batches", seq_batch(1, 50));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u, rep->body);
  auto j = rep->json();
  BOOST_TEST(num(j, "protocol") == 1);
  BOOST_TEST(num(j, "stored_through") == 50);
  BOOST_TEST(num(j, "accepted") == 50);
  BOOST_TEST(num(j, "duplicates") == 0);

  // The same connection (keep-alive): an overlapping batch, then the first again.
  rep = c.post("/v1/batches", seq_batch(41, 60));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  j = rep->json();
  BOOST_TEST(num(j, "accepted") == 10);
  BOOST_TEST(num(j, "duplicates") == 10);
  BOOST_TEST(num(j, "stored_through") == 60);
  rep = c.post("/v1/batches", seq_batch(1, 50), {.gzip = false, .headers = {}});  // identity body
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(num(rep->json(), "duplicates") == 50);

  const auto row = r.stream_row();
  BOOST_TEST(num(row, "records") == 60);
  BOOST_TEST(num(row, "duplicates") == 60);
  BOOST_TEST(num(row, "highest_seq") == 60);
  BOOST_TEST(num(row, "gaps") == 0);
  BOOST_TEST(r.records().size() == 60u);
  BOOST_TEST(r.log().find("receiver.duplicates_discarded") != std::string::npos);
  const auto st = r.stop();
  BOOST_TEST_REQUIRE(st.has_value());
  BOOST_TEST((st->exited && st->code == 0), r.log());
}

// ravaod makes a full handshake per connection and keeps it alive: the
// receiver hands out no session ticket (CPU and bytes wasted in a storm of
// handshakes; docs/receiver.md "Memory").
BOOST_AUTO_TEST_CASE(the_receiver_hands_out_no_session_to_resume) {
  receiver_fixture r;
  r.start();
  https_client c(r.mtls_options());
  auto rep = c.post("/v1/batches", seq_batch(1, 5));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u, rep->body);
  BOOST_TEST(!c.resumable());
}

BOOST_AUTO_TEST_CASE(a_record_is_stored_as_received_with_unknown_fields_kept) {
  receiver_fixture r;
  r.start();
  https_client c(r.options());
  auto rec = make_record(7, "scan");
  rec["kind"] = "ravao_cmd";
  rec["payload"] = "RAVAO:CMD:OPEN";
  rec["flags"] = json::array{"id_wedge_mangled"};
  rec["from_the_future"] = json::object{{"x", 1}};
  auto rep = c.post("/v1/batches", batch_body(json::array{rec}));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u, rep->body);
  const auto stored = r.records();
  BOOST_TEST_REQUIRE(stored.size() == 1u);
  BOOST_TEST(stored[0].at("payload").as_string() == "RAVAO:CMD:OPEN");
  BOOST_TEST(stored[0].at("from_the_future").at("x").as_int64() == 1);
  BOOST_TEST(stored[0].at("gateway").as_string() == test_gateway);
  // Gaps: seqs 1..6 never arrived.
  BOOST_TEST(num(r.stream_row(), "gaps") == 6);
}

BOOST_AUTO_TEST_CASE(invalid_records_get_422_with_their_seqs_and_nothing_is_stored) {
  receiver_fixture r;
  r.start();
  https_client c(r.options());
  json::array rs;
  for (int s = 1; s <= 10; ++s) rs.push_back(make_record(s));
  rs[2].as_object()["type"] = "teleport";                // unknown type
  rs[4].as_object()["sealed"] = "not base64 !!";         // broken sealed text
  rs[6].as_object().erase("counter");                    // missing field
  rs[8].as_object()["boottime_ns"] = "soon";             // wrong type
  auto rep = c.post("/v1/batches", batch_body(rs));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 422u, rep->body);
  const auto j = rep->json();
  const auto& rejected = j.at("rejected").as_array();
  BOOST_TEST_REQUIRE(rejected.size() == 4u);
  BOOST_TEST(num(rejected[0], "seq") == 3);
  BOOST_TEST(rejected[0].at("reason").as_string() == "unknown record type");
  BOOST_TEST(num(rejected[1], "seq") == 5);
  BOOST_TEST(num(rejected[2], "seq") == 7);
  BOOST_TEST(num(rejected[3], "seq") == 9);
  BOOST_TEST(r.stored() == 0);

  // Seqs out of order are named too.
  json::array back{make_record(5), make_record(4)};
  rep = c.post("/v1/batches", batch_body(back));
  BOOST_TEST_REQUIRE(rep.has_value());
  BOOST_TEST(rep->status == 422u);
  BOOST_TEST(num(rep->json().at("rejected").at(0), "seq") == 4);
  BOOST_TEST(r.stored() == 0);
  BOOST_TEST(num(r.stats().at("gateways").at(0).at("requests"), "rejected") == 2);
}

BOOST_AUTO_TEST_CASE(malformed_bodies_get_400) {
  receiver_fixture r;
  r.start();
  https_client c(r.options());
  const std::vector<std::string> bodies{
      "{not json",
      "[1,2,3]",
      R"({"protocol":2,"gateway":"gw-test","stream":"6f1c0d9a4b2e4f37a1d5c3b2e1f09a87"})",
      batch_body(json::array{}),                                        // no records
      batch_body(json::array{make_record(1)}, make_sent(), "bad gateway id"),
      batch_body(json::array{make_record(1)}, make_sent(), test_gateway, "short"),
      batch_body(json::array{make_record(1)}, json::object{{"wall_ms", 1}}),  // sent incomplete
      batch_body(json::array{json::object{{"type", "scan"}}}),          // a record without seq
      batch_body(json::array{1, 2}),
  };
  for (const auto& b : bodies) {
    auto rep = c.post("/v1/batches", b);
    BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
    BOOST_TEST(rep->status == 400u, b << " -> " << rep->body);
    BOOST_TEST(rep->json().at("error").is_string());
  }
  // A corrupt gzip stream, and an encoding the receiver does not speak.
  auto rep = c.post("/v1/batches", "\x1f\x8b garbage", {.gzip = false, .headers = {{"Content-Encoding", "gzip"}}});
  BOOST_TEST_REQUIRE(rep.has_value());
  BOOST_TEST(rep->status == 400u);
  rep = c.post("/v1/batches", seq_batch(1, 1), {.gzip = false, .headers = {{"Content-Encoding", "br"}}});
  BOOST_TEST_REQUIRE(rep.has_value());
  BOOST_TEST(rep->status == 415u);
  BOOST_TEST(r.stored() == 0);
  // Unknown path and method.
  rep = c.post("/v2/batches", seq_batch(1, 1));
  BOOST_TEST_REQUIRE(rep.has_value());
  BOOST_TEST(rep->status == 404u);
}

BOOST_AUTO_TEST_CASE(a_gzip_bomb_and_oversized_batches_get_413_without_the_memory) {
  receiver_fixture r;
  r.start();
  https_client c(r.options());
  // 128 MiB of blanks in a gzip body of about 128 KiB: refused at 8 MiB inflated.
  const std::string bomb = ravao::gzip::compress(std::string(128 * 1024 * 1024, ' '), 9);
  BOOST_TEST(bomb.size() < 1024u * 1024u);
  auto rep = c.post("/v1/batches", bomb, {.gzip = false, .headers = {{"Content-Encoding", "gzip"}}});
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 413u, rep->body);

  // More than 10,000 records.
  rep = c.post("/v1/batches", seq_batch(1, 10'001));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 413u, rep->body);

  // A body over 8 MiB as sent: refused while reading it, connection closed.
  std::string big = R"({"protocol":1,"pad":")" + std::string(9 * 1024 * 1024, 'x') + "\"}";
  https_client c2(r.options());
  rep = c2.post("/v1/batches", big, {.gzip = false, .headers = {}});
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 413u, rep->body);
  BOOST_TEST(r.stored() == 0);

  // The receiver is still serving.
  rep = c.post("/v1/batches", seq_batch(1, 3));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u);
}

// Found by receiver_batch_fuzz: a number beyond a double (1e999) in a field
// the receiver keeps without reading was stored as "1e99999", which no JSON
// parser reads, and `ravao-receiver records` then failed for every record.
BOOST_AUTO_TEST_CASE(regression_a_number_beyond_a_double_is_refused_not_stored_unreadable) {
  receiver_fixture r;
  r.start();
  https_client c(r.options());
  std::string batch = batch_body(json::array{make_record(1)});
  BOOST_TEST_REQUIRE(batch.find(R"("seq":1,)") != std::string::npos);
  batch.replace(batch.find(R"("seq":1,)"), 8, R"("seq":1,"later_field":[1e999],)");
  auto rep = c.post("/v1/batches", batch);
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 400u, rep->body);
  std::string hb = heartbeat_body();
  hb.insert(hb.rfind('}'), R"(,"load":-2e400)");
  rep = c.post("/v1/heartbeats", hb);
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 400u, rep->body);
  BOOST_TEST(r.stored() == 0);
  rep = c.post("/v1/batches", seq_batch(1, 2));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u, rep->body);
  BOOST_TEST(r.records().size() == 2u);
}

BOOST_AUTO_TEST_CASE(heartbeats_are_stored_and_shown_in_stats) {
  receiver_fixture r;
  r.start({"--base-path", "/ravao"});
  https_client c(r.options());
  auto rep = c.post("/ravao/v1/heartbeats", heartbeat_body());
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u, rep->body);
  rep = c.post("/v1/heartbeats", heartbeat_body());  // not under the base path
  BOOST_TEST_REQUIRE(rep.has_value());
  BOOST_TEST(rep->status == 404u);
  const auto gateways = r.stats().at("gateways").as_array();
  BOOST_TEST_REQUIRE(gateways.size() == 1u);
  BOOST_TEST(gateways[0].at("last_heartbeat_ms").is_int64());
  BOOST_TEST(num(gateways[0].at("requests"), "heartbeat") == 1);
}

BOOST_AUTO_TEST_CASE(derived_wall_ms_comes_from_a_synchronised_stamp_of_the_same_boot) {
  receiver_fixture r;
  r.start();
  https_client c(r.options());
  // Batch 1 is sent before the clock is synchronised: boot-b's records have no true time yet.
  json::array first{make_record(1, "scan", false, "boot-b", 10'000'000'000),
                    make_record(2, "scan", false, "boot-b", 20'000'000'000)};
  auto rep = c.post("/v1/batches", batch_body(first, make_sent(false, "boot-b")));
  BOOST_TEST_REQUIRE(rep.has_value());
  BOOST_TEST(rep->status == 200u, rep->body);
  auto stored = r.records();
  BOOST_TEST(stored[0].at("derived_wall_ms").is_null());
  BOOST_TEST(num(r.stream_row(), "time_unknown") == 2);

  // Batch 2 carries a synchronised stamp of boot-b: both earlier records get their time,
  // and so does this batch's unsynced record; a synced record keeps its own wall_ms.
  json::array second{make_record(3, "scan", false, "boot-b", 30'000'000'000), make_record(4, "scan", true, "boot-b")};
  rep = c.post("/v1/batches", batch_body(second, make_sent(true, "boot-b")));
  BOOST_TEST_REQUIRE(rep.has_value());
  BOOST_TEST(rep->status == 200u, rep->body);
  stored = r.records();
  BOOST_TEST_REQUIRE(stored.size() == 4u);
  BOOST_TEST(num(stored[0], "derived_wall_ms") == sent_wall_ms - (sent_boottime_ns - 10'000'000'000) / 1'000'000);
  BOOST_TEST(num(stored[1], "derived_wall_ms") == sent_wall_ms - (sent_boottime_ns - 20'000'000'000) / 1'000'000);
  BOOST_TEST(num(stored[2], "derived_wall_ms") == sent_wall_ms - (sent_boottime_ns - 30'000'000'000) / 1'000'000);
  BOOST_TEST(num(stored[3], "derived_wall_ms") == num(stored[3], "wall_ms"));
  BOOST_TEST(num(r.stream_row(), "time_unknown") == 0);

  // A record of another boot that never reached a synchronised request stays unknown.
  rep = c.post("/v1/batches", batch_body(json::array{make_record(5, "scan", false, "boot-c", 5)}, make_sent(true, "boot-b")));
  BOOST_TEST_REQUIRE(rep.has_value());
  BOOST_TEST(r.records().at(4).at("derived_wall_ms").is_null());
  BOOST_TEST(num(r.stream_row(), "time_unknown") == 1);
}

BOOST_AUTO_TEST_CASE(several_connections_at_once) {
  receiver_fixture r;
  r.start();
  std::vector<std::unique_ptr<https_client>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(std::make_unique<https_client>(r.options()));
    BOOST_TEST_REQUIRE(clients.back()->connect().has_value());
  }
  // All five are connected before any sends: each is served in turn.
  for (int i = 0; i < 5; ++i) {
    auto rep = clients[static_cast<std::size_t>(i)]->post("/v1/batches", seq_batch(i * 10 + 1, i * 10 + 10));
    BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
    BOOST_TEST(rep->status == 200u);
  }
  BOOST_TEST(r.stored() == 50);
}
