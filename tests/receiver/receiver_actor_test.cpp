// The receiver's `actor` column (schema 2, docs/receiver.md "Storage"): a
// schema-1 database is brought to it by `serve`, with the actors of the
// records a newer gateway had already sent, and refused by `records` until then.

#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include "common/sqlite.hpp"
#include "receiver/receiver_fixture.hpp"
#include "support/receiver_process.hpp"

using namespace ravao::test;

namespace {

// The records table as schema 1 made it, with one record that carried an actor.
void make_schema_1(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  BOOST_TEST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  const auto made = ravao::sql::exec(db, R"sql(
CREATE TABLE records(id INTEGER PRIMARY KEY, gateway TEXT NOT NULL, stream TEXT NOT NULL, seq INTEGER NOT NULL,
  type TEXT NOT NULL, counter TEXT NOT NULL, wall_ms INTEGER NOT NULL, boot_id TEXT NOT NULL,
  boottime_ns INTEGER NOT NULL, clock_synced INTEGER NOT NULL, derived_wall_ms INTEGER, received_ms INTEGER NOT NULL,
  json TEXT NOT NULL, UNIQUE(gateway, stream, seq));
INSERT INTO records VALUES(1, 'gw-old', '00000000000000000000000000000001', 1, 'declaration', 'quay-1', 1000, 'b', 1,
  1, 1000, 2000, '{"seq":1,"type":"declaration","counter":"quay-1","actor":"web:alice"}');
INSERT INTO records VALUES(2, 'gw-old', '00000000000000000000000000000001', 2, 'visit_opened', 'quay-1', 1001, 'b', 2,
  1, 1001, 2000, '{"seq":2,"type":"visit_opened","counter":"quay-1"}');
PRAGMA user_version = 1;
)sql");
  sqlite3_close(db);
  BOOST_TEST_REQUIRE(made.has_value());
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_schema_1_database_gains_the_actor_column_when_served_and_records_filters_by_it) {
  receiver_under_test r;
  if (!r.on_sqlite()) return;  // a SQLite file's migration
  make_schema_1(r.db());
  const auto refused = receiver({"records", "--db", r.db().native()});
  BOOST_TEST(refused.code == 1);
  BOOST_TEST(refused.err.find("schema 1") != std::string::npos, refused.err);
  r.start();
  r.stop();
  const auto alice = receiver({"records", "--db", r.db_arg(), "--actor", "web:alice"});
  BOOST_TEST_REQUIRE(alice.code == 0, alice.err);
  BOOST_TEST(alice.out.find("declaration") != std::string::npos, alice.out);
  BOOST_TEST(alice.out.find("actor=web:alice") != std::string::npos, alice.out);
  BOOST_TEST(alice.out.find("visit_opened") == std::string::npos, alice.out);
  const auto all = receiver({"records", "--db", r.db().native()});
  BOOST_TEST(all.out.find("visit_opened") != std::string::npos, all.out);
}

BOOST_AUTO_TEST_CASE(an_action_record_is_stored_with_its_actor_and_shown_by_records) {
  receiver_fixture r;
  r.start();
  https_client c(r.options());
  auto action = make_record(1, "action");
  action["action"] = "slip.reprint";
  action["printer"] = "printer-1";
  action["ref"] = 41;
  action["payload"] = "000000413";
  action["actor"] = "web:lan";
  auto rep = c.post("/v1/batches", batch_body(json::array{action}));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 200u, rep->body);
  const auto lan = receiver({"records", "--db", r.db_arg(), "--actor", "web:lan"});
  BOOST_TEST_REQUIRE(lan.code == 0, lan.err);
  BOOST_TEST(lan.out.find(" action ") != std::string::npos, lan.out);
  BOOST_TEST(lan.out.find("action=slip.reprint") != std::string::npos, lan.out);
  BOOST_TEST(lan.out.find("printer=printer-1") != std::string::npos, lan.out);
  BOOST_TEST(lan.out.find("actor=web:lan") != std::string::npos, lan.out);
}

BOOST_AUTO_TEST_CASE(an_action_record_without_its_command_or_actor_gets_422) {
  receiver_fixture r;
  r.start();
  https_client c(r.options());
  auto no_command = make_record(1, "action");
  no_command["actor"] = "web:lan";
  auto no_actor = make_record(2, "action");
  no_actor["action"] = "card.print";
  auto bad_actor = make_record(3, "action");
  bad_actor["action"] = "card.print";
  bad_actor["actor"] = "web:\x1b[2J";
  auto rep = c.post("/v1/batches", batch_body(json::array{no_command, no_actor, bad_actor}));
  BOOST_TEST_REQUIRE(rep.has_value(), why(rep));
  BOOST_TEST(rep->status == 422u, rep->body);
  const json::value answer = rep->json();  // rejected refers into it
  const auto& rejected = answer.at("rejected").as_array();
  BOOST_TEST_REQUIRE(rejected.size() == 3u);
  BOOST_TEST(rejected[0].at("reason").as_string() == "action without action");
  BOOST_TEST(rejected[1].at("reason").as_string() == "action without actor");
  BOOST_TEST(r.stored() == 0);
}
