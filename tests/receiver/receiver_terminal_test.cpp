// What reaches the province operator's terminal (issue 18, finding 5): the
// receiver refuses control characters in the text fields it checks, and
// `records` and `stats` escape whatever they print, sealed contents
// included (anyone can seal bytes to the public key).

#include <boost/test/unit_test.hpp>
#include <fmt/ranges.h>

#include "common/seal.hpp"
#include "common/text.hpp"
#include "receiver/receiver_fixture.hpp"

using namespace ravao::test;

namespace {

// ESC [2J (clear screen), an OSC window title ended by BEL, C1 CSI (U+009B)
// as UTF-8, a right-to-left override, DEL: what the audit sealed.
const std::string hostile = "\x1B[2J\x1B]0;owned\x07\xC2\x9B" "31m\u202E\x7F";

// "" when `out` holds nothing a terminal acts on but newlines; else where.
std::string raw_control(std::string_view out) {
  const auto at = ravao::text::first_control(out, "\n");
  if (!at) return {};
  return fmt::format("raw control at byte {}: ...{}", *at, ravao::text::escape_for_log(out.substr(*at), 16));
}

}  // namespace

BOOST_AUTO_TEST_CASE(audit_5_records_escape_sealed_and_stored_fields_on_the_terminal) {
  receiver_fixture r;
  const auto key = r.dir() / "province.key";
  auto res = receiver({"keygen", "--out", key.native()});
  BOOST_TEST_REQUIRE(res.code == 0, res.err);
  const auto pub = ravao::seal::parse_public_key(res.out);
  BOOST_TEST_REQUIRE(pub.has_value());

  // Sealed JSON whose strings hold the hostile bytes (a JSON writer leaves
  // C1, DEL and U+202E raw), sealed bytes that are not JSON at all, and an
  // unknown field the receiver keeps as received.
  const std::string sealed_json =
      json::serialize(json::object{{"id_number", "001090012345"}, {"name", "Trần" + hostile + "Bích"}});
  auto as_json = make_record(1);
  as_json["sealed"] = ravao::seal::base64(ravao::seal::seal(*pub, sealed_json));
  as_json["note"] = hostile;
  auto as_bytes = make_record(2);
  as_bytes["sealed"] = ravao::seal::base64(ravao::seal::seal(*pub, hostile + "\xFF not json"));
  r.start();
  https_client c(r.options());
  auto rep = c.post("/v1/batches", batch_body(json::array{as_json, as_bytes}));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST_REQUIRE(rep->status == 200u, rep->body);

  const std::string db = r.db_arg();
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"records", "--db", db, "--key", key.native()},
           {"records", "--db", db, "--key", key.native(), "--json"},
           {"records", "--db", db, "--json"},
           {"stats", "--db", db},
           {"stats", "--db", db, "--json"}}) {
    res = receiver(args);
    BOOST_TEST_REQUIRE(res.code == 0, res.err);
    BOOST_TEST(raw_control(res.out).empty(), fmt::format("{}: {}", fmt::join(args, " "), raw_control(res.out)));
  }

  // Escaped, not dropped: the operator sees that something was there.
  res = receiver({"records", "--db", db, "--key", key.native()});
  BOOST_TEST(res.out.find("Trần\\u001b[2J") != std::string::npos, res.out);
  BOOST_TEST(res.out.find("\\u009b31m\\u202e\\u007fBích") != std::string::npos, res.out);
  BOOST_TEST(res.out.find("opened: \\x1b[2J\\x1b]0;owned\\x07\\xc2\\x9b31m\\xe2\\x80\\xae\\x7f\\xff not json") !=
                 std::string::npos,
             res.out);
  // --json stays JSON, with the same meaning.
  const auto all = json::parse(must_run({"records", "--db", db, "--key", key.native(), "--json"}).out).as_array();
  BOOST_TEST_REQUIRE(all.size() == 2u);
  BOOST_TEST(all[0].at("opened").at("name").as_string() == "Trần" + hostile + "Bích");
  BOOST_TEST(all[0].at("note").as_string() == hostile);
}

BOOST_AUTO_TEST_CASE(audit_5_control_characters_in_checked_text_fields_are_refused) {
  receiver_fixture r;
  r.start();
  https_client c(r.options());

  // Record fields: 422 naming the record, nothing of the batch stored.
  auto counter = make_record(1);
  counter["counter"] = "quay-1\x1B[2J";
  auto name = make_record(2);
  name["name_masked"] = "NGUYỄN V. \u202EA.";
  auto id = make_record(3);
  id["id_masked"] = "0010\xC2\x9B" "31m45";
  auto payload = make_record(4, "command");
  payload["payload"] = "RAVAO:CMD:PRINT_SLIP\x1B]0;x\x07";
  auto flag = make_record(5, "scan");
  flag["flags"] = json::array{"unrecognised", "a\x7F"};
  auto boot = make_record(6, "scan", true, "boot\x1B" "c");
  auto rep = c.post("/v1/batches", batch_body(json::array{counter, name, id, payload, flag, boot, make_record(7)}));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST_REQUIRE(rep->status == 422u, rep->body);
  const auto rejected = rep->json().at("rejected").as_array();
  BOOST_TEST_REQUIRE(rejected.size() == 6u, rep->body);
  const char* fields[] = {"counter", "name_masked", "id_masked", "payload", "flags", "boot_id"};
  for (std::size_t i = 0; i < rejected.size(); ++i) {
    BOOST_TEST(rejected[i].at("seq").as_int64() == static_cast<std::int64_t>(i + 1));
    const std::string reason(rejected[i].at("reason").as_string());
    BOOST_TEST(reason.starts_with(fields[i]), reason);
    BOOST_TEST(reason.find("control character") != std::string::npos, reason);
  }
  BOOST_TEST(r.stored() == 0);

  // The envelope's own stamp: 400.
  rep = c.post("/v1/batches", batch_body(json::array{make_record(1)}, make_sent(true, "boot\u202E")));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 400u, rep->body);
  BOOST_TEST(rep->body.find("boot_id holds a control character") != std::string::npos, rep->body);

  // A TAB in a scanned payload is data and is stored; the log holds none of
  // the refused bytes.
  auto tab = make_record(1, "command");
  tab["payload"] = "RAVAO:CMD:PRINT_SLIP\tx";
  rep = c.post("/v1/batches", batch_body(json::array{tab}));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u, rep->body);
  BOOST_TEST(r.stored() == 1);
  BOOST_TEST(raw_control(r.log()).empty(), raw_control(r.log()));
}
