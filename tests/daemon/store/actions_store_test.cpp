// What the counter console's actions write in the store (issue 14): the
// actor on the records a person's request writes (schema 7), closing one
// visit by id, and the supervisor's summary.

#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <algorithm>

#include "common/sqlite.hpp"
#include "slip/slip_number.hpp"
#include "store/store.hpp"
#include "support/harness.hpp"
#include "support/store_writer_fixture.hpp"
#include "support/scans.hpp"

using namespace ravao;

namespace {

// 2025-11-23 00:00 +07:00 plus nine hours: 09:00 at the site.
constexpr std::int64_t day_start_ms = 1'763'830'800'000;

struct fixture : ravao::test::store_writer_fixture {
  fixture() : store_writer_fixture(timestamp{day_start_ms + 9 * 3'600'000, now().boottime_ns, true}) {}
  std::int64_t scan(const std::string& counter, const std::string& id) {
    auto r = test::person_scan(counter, counter_mode::toggle, id, advance_ms(10'000));
    auto out = s->apply(std::span(&r, 1), {}, test::settings());
    BOOST_TEST_REQUIRE(out.has_value());
    return (*out)[0].visit_id;
  }
  issued_slip issue(const std::string& counter, std::string actor) {
    slip_request r{counter, "p1", false, std::chrono::seconds(120), slip::slip_content{},
                   [](std::int64_t n) { return slip::format_slip_number(n); }, advance_ms(1000), std::move(actor)};
    auto out = s->issue_slip(r);
    BOOST_TEST_REQUIRE(out.has_value(), (out ? "" : out.error().message()));
    return *out;
  }
  declared declare(const std::string& counter, std::string actor) {
    declaration_request r;
    r.counter_id = counter;
    r.person_name = "Trần Thị Bình";
    r.person_id = "001090012345";
    r.declaration_json = R"({"name":"Trần Thị Bình"})";
    r.at = advance_ms(1000);
    r.actor = std::move(actor);
    auto d = s->declare(r);
    BOOST_TEST_REQUIRE(d.has_value(), (d ? "" : d.error().message()));
    return *d;
  }
  record_row record(std::int64_t seq) {
    record_filter f;
    f.after_seq = seq - 1;
    f.limit = 1;
    auto r = s->records(f);
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST_REQUIRE(r->size() == 1u);
    return r->front();
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(records_written_for_a_person_carry_the_actor_and_scans_none, fixture) {
  const auto visit = scan("c1", "001090012345");
  BOOST_TEST(record(1).actor == "");
  const auto slip = issue("c1", "web:alice");
  BOOST_TEST(record(slip.seq).actor == "web:alice");
  const auto d = declare("c1", "web:alice");
  BOOST_TEST(record(d.seq).actor == "web:alice");
  BOOST_TEST(d.visit_id == visit);
  auto out = s->checkout_visit("c1", visit, advance_ms(1000), "unix:admin");
  BOOST_TEST_REQUIRE(out.has_value());
  BOOST_TEST(record(out->seq).actor == "unix:admin");
  BOOST_TEST(record(out->seq).close_reason == "staff_checkout");
  scan("c1", "001090099999");
  auto undo = s->undo_last("c1", advance_ms(1000), undo_window, "web:bob");
  BOOST_TEST_REQUIRE(undo.has_value());
  BOOST_TEST(record(undo->seq).type == "undo");
  BOOST_TEST(record(undo->seq).actor == "web:bob");
  // A command card scanned at the counter: no actor.
  scan("c1", "001090077777");
  auto card = s->checkout_last("c1", advance_ms(1000));
  BOOST_TEST_REQUIRE(card.has_value());
  BOOST_TEST(record(card->seq).actor == "");
}

BOOST_FIXTURE_TEST_CASE(the_actor_travels_in_the_sync_record_only_when_there_is_one, fixture) {
  scan("c1", "001090012345");
  issue("c1", "web:alice");
  auto batch = s->read_upload_batch(0, 10, 1 << 20);
  BOOST_TEST_REQUIRE(batch.has_value());
  BOOST_TEST_REQUIRE(batch->seqs.size() == 2u);
  BOOST_TEST(batch->records_json.find("\"actor\":\"web:alice\"") != std::string::npos);
  // The scan's record has no actor key at all (a record sent before schema 7 is the same JSON).
  BOOST_TEST(batch->records_json.find("\"actor\"") == batch->records_json.rfind("\"actor\""));
}

BOOST_FIXTURE_TEST_CASE(checkout_of_a_given_visit_closes_that_one_only_at_its_counter, fixture) {
  const auto first = scan("c1", "001090012345");
  const auto second = scan("c1", "001090099999");
  auto elsewhere = s->checkout_visit("c2", first, advance_ms(1000), "web:alice");
  BOOST_TEST(!elsewhere.has_value());
  auto out = s->checkout_visit("c1", first, advance_ms(1000), "web:alice");
  BOOST_TEST_REQUIRE(out.has_value());
  BOOST_TEST(out->visit_id == first);  // not the most recent one
  BOOST_TEST(s->totals().open_visits == 1);
  auto again = s->checkout_visit("c1", first, advance_ms(1000), "web:alice");
  BOOST_TEST(!again.has_value());  // closed already: said, not silently nothing
  BOOST_TEST(again.error().code == make_error_code(errc::not_found));
  auto last = s->checkout_visit("c1", std::nullopt, advance_ms(1000), "web:alice");
  BOOST_TEST_REQUIRE(last.has_value());
  BOOST_TEST(last->visit_id == second);
  auto none = s->checkout_visit("c1", std::nullopt, advance_ms(1000), "web:alice");
  BOOST_TEST_REQUIRE(none.has_value());
  BOOST_TEST(none->seq == 0);
}

BOOST_FIXTURE_TEST_CASE(summary_counts_by_day_counter_and_hour_in_site_time, fixture) {
  // Yesterday at c1: one visit, one slip.
  t.wall_ms -= 86'400'000;
  scan("c1", "001090011111");
  issue("c1", "web:alice");
  t.wall_ms += 86'400'000;
  // Today, 09:00..: c1 two visits (one scanned twice within the window), a
  // staff checkout, a declaration; c2 one visit at 11:00.
  const auto a = scan("c1", "001090012345");
  auto dup = test::person_scan("c1", counter_mode::toggle, "001090012345", advance_ms(1000));
  BOOST_TEST_REQUIRE(s->apply(std::span(&dup, 1), {}, test::settings()).has_value());
  scan("c1", "001090099999");
  declare("c1", "web:alice");
  BOOST_TEST_REQUIRE(s->checkout_visit("c1", a, advance_ms(1000), "web:alice").has_value());
  t.wall_ms = day_start_ms + 11 * 3'600'000 + 5;
  scan("c2", "001090077777");

  auto sum = s->summary(t, 7);
  BOOST_TEST_REQUIRE(sum.has_value(), (sum ? "" : sum.error().message()));
  BOOST_TEST_REQUIRE(sum->dates.size() == 7u);
  BOOST_TEST(sum->dates.back() == "2025-11-23");
  BOOST_TEST(sum->dates.front() == "2025-11-17");
  const auto day = [&](std::string date, std::string counter) {
    const auto it = std::ranges::find_if(sum->days, [&](const day_summary& d) {
      return d.date == date && d.counter_id == counter;
    });
    BOOST_TEST_REQUIRE((it != sum->days.end()), date + " " + counter);
    return *it;
  };
  BOOST_TEST(sum->days.size() == 3u);
  const auto y = day("2025-11-22", "c1");
  BOOST_TEST(y.visits == 1);
  BOOST_TEST(y.slips_issued == 1);
  const auto c1 = day("2025-11-23", "c1");
  BOOST_TEST(c1.visits == 2);
  BOOST_TEST(c1.duplicates == 1);
  BOOST_TEST(c1.declarations == 1);
  BOOST_TEST(c1.staff_checkouts == 1);
  BOOST_TEST(c1.slips_issued == 0);
  BOOST_TEST(day("2025-11-23", "c2").visits == 1);
  BOOST_TEST_REQUIRE(sum->today_hours.size() == 2u);
  BOOST_TEST(sum->today_hours[0].counter_id == "c1");
  BOOST_TEST(sum->today_hours[0].hour == 9);
  BOOST_TEST(sum->today_hours[0].visits == 2);
  BOOST_TEST(sum->today_hours[1].counter_id == "c2");
  BOOST_TEST(sum->today_hours[1].hour == 11);

  // One day: yesterday's records are not read at all.
  auto today = s->summary(t, 1);
  BOOST_TEST_REQUIRE(today.has_value());
  BOOST_TEST(today->days.size() == 2u);
  BOOST_TEST(today->records_read < sum->records_read);
}

BOOST_AUTO_TEST_CASE(a_schema_6_store_gains_the_actor_column_and_keeps_its_records) {
  ravao::test::temp_dir dir;
  const auto path = dir / "ravao.db";
  timestamp at{day_start_ms, now().boottime_ns, true};
  {
    auto s = store_writer::open(path);
    BOOST_TEST_REQUIRE(s.has_value());
    auto r = test::person_scan("c1", counter_mode::toggle, "001090012345", at);
    BOOST_TEST_REQUIRE(s->apply(std::span(&r, 1), {}, test::settings()).has_value());
  }
  {  // Back to what schema 6 had: no actor column.
    sqlite3* db = nullptr;
    BOOST_TEST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    BOOST_TEST(sql::exec(db, "ALTER TABLE records DROP COLUMN actor; ALTER TABLE records DROP COLUMN action; "
                             "ALTER TABLE records DROP COLUMN printer_id; "
                             "ALTER TABLE dead_letters DROP COLUMN unknown_type; PRAGMA user_version = 6;")
                   .has_value());
    sqlite3_close(db);
  }
  auto s = store_writer::open(path);
  BOOST_TEST_REQUIRE(s.has_value(), (s ? "" : s.error().message()));
  BOOST_TEST(s->health().schema_version == store_writer::schema_version);
  auto out = s->checkout_last("c1", at, "web:alice");
  BOOST_TEST_REQUIRE(out.has_value());
  record_filter f;
  auto rows = s->records(f);
  BOOST_TEST_REQUIRE(rows.has_value());
  BOOST_TEST_REQUIRE(rows->size() == 2u);
  BOOST_TEST((*rows)[0].type == "visit_opened");
  BOOST_TEST((*rows)[0].actor == "");
  BOOST_TEST((*rows)[1].actor == "web:alice");
}
