// A person's print-only actions as `action` records (issue 14, store schema
// 8; docs/sync-protocol.md "Action records"), and records held because the
// server did not know their type (docs/sync.md, "Held records").

#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include <sqlite3.h>

#include "common/sqlite.hpp"
#include "slip/slip_number.hpp"
#include "store/store.hpp"
#include "support/harness.hpp"
#include "support/store_writer_fixture.hpp"
#include "support/scans.hpp"

using namespace ravao;

namespace {

struct fixture : ravao::test::store_writer_fixture {
  job_request test_page() {
    return {"p1", "c1", slip::test_page_content{"Bưu điện Ba Đình", "p1", "generic", {}}, advance_ms(1000)};
  }
  issued_slip issue() {
    slip_request r{"c1", "p1", false, std::chrono::seconds(120), slip::slip_content{},
                   [](std::int64_t n) { return slip::format_slip_number(n); }, advance_ms(1000), "web:alice"};
    auto out = s->issue_slip(r);
    BOOST_TEST_REQUIRE(out.has_value(), (out ? "" : out.error().message()));
    return *out;
  }
  std::vector<record_row> records() {
    auto r = s->records(record_filter{});
    BOOST_TEST_REQUIRE(r.has_value());
    return *r;
  }
  std::int64_t scan(const std::string& id) {
    auto r = test::person_scan("c1", counter_mode::toggle, id, advance_ms(10'000));
    BOOST_TEST_REQUIRE(s->apply(std::span(&r, 1), {}, test::settings()).has_value());
    return s->totals().last_seq;
  }
  ravao::sync_position position() {
    auto p = s->sync_position();
    BOOST_TEST_REQUIRE(p.has_value());
    return *p;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_test_page_a_person_asked_for_writes_an_action_record_with_the_job, fixture) {
  auto job = s->add_job(test_page(), {"printer.test", "web:lan"});
  BOOST_TEST_REQUIRE(job.has_value(), (job ? "" : job.error().message()));
  const auto rows = records();
  BOOST_TEST_REQUIRE(rows.size() == 1u);
  BOOST_TEST(rows[0].type == "action");
  BOOST_TEST(rows[0].action == "printer.test");
  BOOST_TEST(rows[0].printer_id == "p1");
  BOOST_TEST(rows[0].counter_id == "c1");
  BOOST_TEST(rows[0].actor == "web:lan");
  BOOST_TEST(!rows[0].has_sealed);
  BOOST_TEST(s->totals().last_seq == 1);
  // A job nobody asked for through the socket (a card scanned, a
  // declaration's copy): no record.
  BOOST_TEST_REQUIRE(s->add_job(test_page()).has_value());
  BOOST_TEST(records().size() == 1u);
  auto jobs = s->jobs(job_filter{});
  BOOST_TEST_REQUIRE(jobs.has_value());
  BOOST_TEST(jobs->size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(a_reprint_names_the_slip_and_travels_to_the_province_with_its_actor, fixture) {
  const auto slip = issue();
  auto again = s->reprint_slip(slip.sequence, "p1", advance_ms(1000), "unix:admin",
                               slip::format_slip_number(slip.sequence));
  BOOST_TEST_REQUIRE(again.has_value(), (again ? "" : again.error().message()));
  const auto rows = records();
  BOOST_TEST_REQUIRE(rows.size() == 2u);  // slip_issued, action
  BOOST_TEST(rows[1].type == "action");
  BOOST_TEST(rows[1].action == "slip.reprint");
  BOOST_TEST(rows[1].ref.value_or(0) == slip.sequence);
  BOOST_TEST(rows[1].payload == slip::format_slip_number(slip.sequence));
  BOOST_TEST(rows[1].actor == "unix:admin");
  auto batch = s->read_upload_batch(0, 10, 1 << 20);
  BOOST_TEST_REQUIRE(batch.has_value());
  BOOST_TEST_REQUIRE(batch->seqs.size() == 2u);
  const auto sent = boost::json::parse(batch->records_json).as_array().at(1).as_object();
  BOOST_TEST(sent.at("type").as_string() == "action");
  BOOST_TEST(sent.at("action").as_string() == "slip.reprint");
  BOOST_TEST(sent.at("printer").as_string() == "p1");
  BOOST_TEST(sent.at("actor").as_string() == "unix:admin");
  BOOST_TEST(sent.at("ref").as_int64() == slip.sequence);
  // Other records carry neither key.
  BOOST_TEST(!boost::json::parse(batch->records_json).as_array().at(0).as_object().contains("action"));
  // Without an actor (nobody asked through the socket): the job alone.
  BOOST_TEST_REQUIRE(s->reprint_slip(slip.sequence, "p1", advance_ms(1000)).has_value());
  BOOST_TEST(records().size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(a_record_of_a_type_the_server_does_not_know_is_held_and_sent_again_until_stored, fixture) {
  const auto visit_seq = scan("001090012345");
  BOOST_TEST_REQUIRE(s->add_job(test_page(), {"printer.test", "web:lan"}).has_value());
  const std::int64_t action_seq = s->totals().last_seq;
  const auto other_seq = scan("001090099999");
  // The server refused the action as unknown, and another record for another reason.
  const std::vector<dead_letter> dead{{action_seq, "HTTP 422: unknown record type"},
                                      {other_seq, "HTTP 422: sealed is not valid base64"}};
  BOOST_TEST_REQUIRE(s->acknowledge(visit_seq, dead, advance_ms(1)).has_value());
  auto p = position();
  BOOST_TEST(p.dead_letters == 2);
  BOOST_TEST(p.held == 1);
  BOOST_TEST(p.held_types == std::vector<std::string>{"action"});
  BOOST_TEST(p.depth == 0);
  // Not in the stream's batches; the held batch has it alone.
  auto next = s->read_upload_batch(visit_seq, 10, 1 << 20);
  BOOST_TEST_REQUIRE(next.has_value());
  BOOST_TEST(next->seqs.empty());
  auto held = s->read_held_batch(10, 1 << 20);
  BOOST_TEST_REQUIRE(held.has_value());
  BOOST_TEST(held->seqs == std::vector<std::int64_t>{action_seq});
  BOOST_TEST(held->records_json.find("\"action\":\"printer.test\"") != std::string::npos);
  // Stored at last: no longer a dead letter; the other one stays.
  BOOST_TEST_REQUIRE(s->release_held(held->seqs).has_value());
  p = position();
  BOOST_TEST(p.dead_letters == 1);
  BOOST_TEST(p.held == 0);
  BOOST_TEST(p.held_types.empty());
  auto none = s->read_held_batch(10, 1 << 20);
  BOOST_TEST_REQUIRE(none.has_value());
  BOOST_TEST(none->seqs.empty());
  // release_held never touches an ordinary dead letter.
  BOOST_TEST_REQUIRE(s->release_held(std::vector<std::int64_t>{other_seq}).has_value());
  BOOST_TEST(position().dead_letters == 1);
}

BOOST_AUTO_TEST_CASE(a_schema_7_store_gains_action_records_and_holds_what_an_older_server_refused_as_unknown) {
  ravao::test::temp_dir dir;
  const auto path = dir / "ravao.db";
  timestamp at = now();
  {
    auto s = store_writer::open(path);
    BOOST_TEST_REQUIRE(s.has_value());
    auto r = test::person_scan("c1", counter_mode::toggle, "001090012345", at);
    BOOST_TEST_REQUIRE(s->apply(std::span(&r, 1), {}, test::settings()).has_value());
    at.wall_ms += 1000;
    auto r2 = test::person_scan("c2", counter_mode::toggle, "001090099999", at);
    BOOST_TEST_REQUIRE(s->apply(std::span(&r2, 1), {}, test::settings()).has_value());
  }
  {  // Back to what schema 7 had, with two dead letters schema 7 wrote.
    sqlite3* db = nullptr;
    BOOST_TEST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    BOOST_TEST(sql::exec(db, "ALTER TABLE records DROP COLUMN action; ALTER TABLE records DROP COLUMN printer_id; "
                             "ALTER TABLE dead_letters DROP COLUMN unknown_type; "
                             "INSERT INTO dead_letters(seq, reason, wall_ms) VALUES "
                             "(1, 'HTTP 422: unknown record type', 5), (2, 'HTTP 413: record too large', 5); "
                             "PRAGMA user_version = 7;")
                   .has_value());
    sqlite3_close(db);
  }
  auto s = store_writer::open(path);
  BOOST_TEST_REQUIRE(s.has_value(), (s ? "" : s.error().message()));
  BOOST_TEST(s->health().schema_version == 8);
  BOOST_TEST(store_writer::schema_version == 8);
  auto p = s->sync_position();
  BOOST_TEST_REQUIRE(p.has_value());
  BOOST_TEST(p->dead_letters == 2);
  BOOST_TEST(p->held == 1);  // the one refused as unknown, named by its type
  BOOST_TEST(p->held_types == std::vector<std::string>{"visit_opened"});
  // The old records read as before; new ones can be actions.
  job_request job{"p1", "c1", slip::test_page_content{"Bưu điện", "p1", "generic", {}}, at};
  BOOST_TEST_REQUIRE(s->add_job(job, {"card.print", "web:a"}).has_value());
  auto rows = s->records(record_filter{});
  BOOST_TEST_REQUIRE(rows.has_value());
  BOOST_TEST_REQUIRE(rows->size() == 3u);
  BOOST_TEST((*rows)[0].action == "");
  BOOST_TEST((*rows)[2].action == "card.print");
}
