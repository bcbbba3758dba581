// Contact tracing (docs/tracing.md) on generated records with known
// overlaps: the case's visits, who overlapped them, and the edge cases
// (open at the end of the period, exit without entry, midnight, clocks not
// synchronised), tracing by slip, and what is opened. On either engine:
// trace_test_pg reads the store from PostgreSQL.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <set>

#include "receiver/trace_index.hpp"
#include "receiver/trace_output.hpp"
#include "receiver/trace_query.hpp"
#include "support/harness.hpp"
#include "support/postgres_server.hpp"
#include "support/trace_records.hpp"

using namespace ravao;
using namespace ravao::receiver;
using ravao::test::trace_records;

namespace {

constexpr int vn = 7 * 60;  // UTC+07:00
constexpr std::int64_t minute = 60'000;

std::int64_t at(std::string_view local) { return parse_local_time(local, vn, false).value(); }

const trace_records::person the_case{"001090012345", "Nguyễn Văn An", "0901000001"};
trace_records::person visitor(int n) {
  return {fmt::format("0790900000{:02}", n), fmt::format("Người Thứ {}", n), fmt::format("09020000{:02}", n)};
}

// A receiver store with the scenario below, a key pair, and a trace file.
struct scenario {
  test::temp_dir dir;
  seal::key_pair keys = seal::generate();
  std::string where = test::receiver_store_location(dir / "receiver.db");
  std::unique_ptr<store> db = open_store(where, store_mode::serve).value();

  // gw-a, day 1 (local): the case at quay-1 08:00-08:30.
  //   v1 quay-1 08:10-08:20 (inside), v2 quay-2 08:25-09:00 (other counter),
  //   v3 quay-1 09:00-09:10 (after the margin of 15 min), v5 an exit without
  //   entry at 08:40 (inside the margin), v6 08:05-08:15 on a clock not
  //   synchronised (derived from its anchor), v7 on a boot never anchored.
  // gw-b: v4 08:00-08:30 (another site); the case 23:50-00:20 across
  //   midnight, v8 00:05-00:10 the next day.
  // gw-a, day 3: the case opens at 17:00 and never closes; v9 18:00-18:30.
  // gw-a, 2026-11-20: the case, outside the period.
  // Slip 171 at gw-a for the case's first visit.
  scenario() {
    trace_records g(*db, keys.pub);
    g.opened("gw-a", "quay-1", 1, the_case, at("2026-12-01T08:00"));
    g.slip_issued("gw-a", "quay-1", 1, 171, at("2026-12-01T08:01"));
    g.opened("gw-a", "quay-1", 2, visitor(1), at("2026-12-01T08:10"));
    g.closed("gw-a", "quay-1", 2, at("2026-12-01T08:20"));
    g.opened("gw-a", "quay-2", 3, visitor(2), at("2026-12-01T08:25"));
    g.closed("gw-a", "quay-1", 1, at("2026-12-01T08:30"));
    g.closed("gw-a", "quay-1", 5, at("2026-12-01T08:40"), "exit_without_entry", &v5_);
    g.opened("gw-a", "quay-1", 4, visitor(3), at("2026-12-01T09:00"));
    g.closed("gw-a", "quay-2", 3, at("2026-12-01T09:00"));
    g.closed("gw-a", "quay-1", 4, at("2026-12-01T09:10"));
    g.opened("gw-b", "quay-1", 1, visitor(4), at("2026-12-01T08:00"));
    g.closed("gw-b", "quay-1", 1, at("2026-12-01T08:30"));
    g.opened("gw-b", "quay-1", 2, the_case, at("2026-12-01T23:50"));
    g.opened("gw-b", "quay-1", 3, visitor(8), at("2026-12-02T00:05"));
    g.closed("gw-b", "quay-1", 3, at("2026-12-02T00:10"));
    g.closed("gw-b", "quay-1", 2, at("2026-12-02T00:20"));
    g.opened("gw-a", "quay-1", 10, the_case, at("2026-11-20T10:00"));
    g.closed("gw-a", "quay-1", 10, at("2026-11-20T10:30"));
    g.opened("gw-a", "quay-1", 11, the_case, at("2026-12-03T17:00"));
    g.opened("gw-a", "quay-1", 12, visitor(9), at("2026-12-03T18:00"));
    g.closed("gw-a", "quay-1", 12, at("2026-12-03T18:30"));
    BOOST_TEST_REQUIRE(g.flush(at("2026-12-03T19:00")).has_value());
    // v6: a clock not synchronised, anchored by its batch's synchronised stamp.
    const trace_records::clock drifting{false, "boot-drift"};
    g.opened("gw-a", "quay-3", 6, visitor(6), at("2026-12-01T08:05"), drifting);
    g.closed("gw-a", "quay-3", 6, at("2026-12-01T08:15"), "scan", nullptr, drifting);
    BOOST_TEST_REQUIRE(g.flush(at("2026-12-03T19:01")).has_value());
    // v7: a boot that has no synchronised stamp (yet).
    g.opened("gw-a", "quay-3", 7, visitor(7), at("2026-12-01T08:12"), lost_);
    g.closed("gw-a", "quay-3", 7, at("2026-12-01T08:14"), "scan", nullptr, lost_);
    BOOST_TEST_REQUIRE(g.flush(at("2026-12-03T19:02"), false).has_value());
  }

  trace_request request(std::string_view from = "2026-12-01", std::string_view to = "2026-12-03") const {
    trace_request rq;
    rq.id_number = the_case.id_number;
    rq.from_ms = parse_local_time(from, vn, false).value();
    rq.to_ms = parse_local_time(to, vn, true).value();
    rq.margin_ms = 15 * minute;
    return rq;
  }

  std::unique_ptr<trace_index> index() const {
    return trace_index::open(dir / "trace.db", trace_keys::derive(keys)).value();
  }

  trace_answer trace(const trace_request& rq) {
    auto source = open_trace_source(where).value();
    auto idx = index();
    BOOST_TEST_REQUIRE(idx->index(*source, keys).has_value());
    auto a = run_trace(*idx, *source, keys, rq);
    BOOST_TEST_REQUIRE(a.has_value(), (a ? "" : a.error().message()));
    return *a;
  }

  trace_records::person v5_ = visitor(5);
  trace_records::clock lost_{false, "boot-lost"};
};

std::set<std::string> names(const trace_answer& a, std::size_t case_visit) {
  std::set<std::string> out;
  for (const auto& c : a.contacts)
    if (c.case_visit == case_visit) out.insert(c.visit.name);
  return out;
}

bool flagged(const traced_visit& t, std::string_view flag) {
  return std::find(t.flags.begin(), t.flags.end(), flag) != t.flags.end();
}

// The contacts whose time is known: one of unknown time (v7, until its
// boot is anchored) may have been at the site at any time before it was
// received, so it is listed with every case visit there.
std::set<std::string> known_names(const trace_answer& a, std::size_t case_visit) {
  std::set<std::string> out;
  for (const auto& c : a.contacts)
    if (c.case_visit == case_visit && !flagged(c.visit, "time_unknown")) out.insert(c.visit.name);
  return out;
}

const traced_contact& contact(const trace_answer& a, std::string_view name) {
  for (const auto& c : a.contacts)
    if (c.visit.name == name) return c;
  throw std::runtime_error(fmt::format("no contact named {}", name));
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_trace_lists_the_case_visits_in_the_period_and_who_overlapped_them) {
  scenario s;
  const auto a = s.trace(s.request());
  BOOST_TEST_REQUIRE(a.case_visits.size() == 3u);  // not the one of 2026-11-20
  BOOST_TEST(a.case_visits[0].v.gateway == "gw-a");
  BOOST_TEST(a.case_visits[0].name == the_case.name);
  BOOST_TEST(a.case_visits[0].id_number == the_case.id_number);
  BOOST_TEST(a.case_visits[1].v.gateway == "gw-b");
  BOOST_TEST(a.case_visits[2].v.visit == 11);
  // The first visit: v1 and v2 overlap, v5's exit is within the margin, v6
  // by its derived time, v7 of unknown time; not v3 (after the margin) nor
  // v4 (another site).
  const std::set<std::string> expected{visitor(1).name, visitor(2).name, visitor(5).name, visitor(6).name,
                                       visitor(7).name};
  BOOST_TEST((names(a, 0) == expected));
  BOOST_TEST(contact(a, visitor(1).name).visit.phone == visitor(1).phone);
  BOOST_TEST(*contact(a, visitor(1).name).overlap_from == at("2026-12-01T08:10"));
  BOOST_TEST(*contact(a, visitor(1).name).overlap_to == at("2026-12-01T08:20"));
  BOOST_TEST(*contact(a, visitor(2).name).overlap_to == at("2026-12-01T08:30"));
}

BOOST_AUTO_TEST_CASE(the_margin_and_counter_only_widen_and_narrow_the_contacts) {
  scenario s;
  auto rq = s.request();
  rq.margin_ms = 40 * minute;
  BOOST_TEST(names(s.trace(rq), 0).contains(visitor(3).name));
  rq.margin_ms = 0;
  BOOST_TEST(!names(s.trace(rq), 0).contains(visitor(5).name));  // the exit at 08:40
  rq.margin_ms = 15 * minute;
  rq.counter_only = true;
  const auto only = names(s.trace(rq), 0);
  BOOST_TEST(only.contains(visitor(1).name));
  BOOST_TEST(!only.contains(visitor(2).name));  // quay-2
  BOOST_TEST(!only.contains(visitor(6).name));  // quay-3
}

BOOST_AUTO_TEST_CASE(an_exit_without_entry_is_placed_at_its_exit_and_flagged) {
  scenario s;
  const auto a = s.trace(s.request());
  const auto& c = contact(a, visitor(5).name);
  BOOST_TEST(flagged(c.visit, "no_entry"));
  BOOST_TEST(c.visit.id_number == visitor(5).id_number);  // opened from the exit record
  BOOST_TEST(*c.visit.start == at("2026-12-01T08:40"));
}

BOOST_AUTO_TEST_CASE(a_visit_across_midnight_finds_contacts_of_the_next_day) {
  scenario s;
  const auto a = s.trace(s.request());
  BOOST_TEST(flagged(a.case_visits[1], "crosses_midnight"));
  BOOST_TEST((names(a, 1) == std::set<std::string>{visitor(8).name}));
  // A period ending at that midnight still lists the visit.
  const auto b = s.trace(s.request("2026-12-01", "2026-12-01"));
  BOOST_TEST(b.case_visits.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_visit_open_at_the_end_of_the_period_lasts_until_it) {
  scenario s;
  const auto a = s.trace(s.request());
  const auto& open = a.case_visits[2];
  BOOST_TEST(flagged(open, "open"));
  BOOST_TEST(*open.end == s.request().to_ms);
  BOOST_TEST((known_names(a, 2) == std::set<std::string>{visitor(9).name}));
  BOOST_TEST(names(a, 2).contains(visitor(7).name));
  // The period ends at 17:30: the visit is cut there, v9 (18:00) is out of it.
  auto rq = s.request();
  rq.to_ms = at("2026-12-03T17:30");
  const auto b = s.trace(rq);
  BOOST_TEST(*b.case_visits[2].end == rq.to_ms);
  BOOST_TEST(known_names(b, 2).empty());
}

BOOST_AUTO_TEST_CASE(unsynchronised_clocks_are_flagged_and_retimed_when_their_anchor_arrives) {
  scenario s;
  auto a = s.trace(s.request());
  BOOST_TEST(flagged(contact(a, visitor(6).name).visit, "time_derived"));
  BOOST_TEST(*contact(a, visitor(6).name).visit.start == at("2026-12-01T08:05"));
  const auto& lost = contact(a, visitor(7).name);
  BOOST_TEST(flagged(lost.visit, "time_unknown"));
  BOOST_TEST(!lost.overlap_from.has_value());
  // The lost boot's gateway synchronises: a heartbeat anchors it, the
  // receiver derives its records' times, the next index pass takes them.
  const auto now = at("2026-12-03T20:00");
  heartbeat h{"gw-a", "s", {now, "boot-lost", now * 1'000'000, true}, "{}"};
  BOOST_TEST_REQUIRE(s.db->store_heartbeat(h, now).has_value());
  a = s.trace(s.request());
  const auto& found = contact(a, visitor(7).name);
  BOOST_TEST(!flagged(found.visit, "time_unknown"));
  BOOST_TEST(flagged(found.visit, "time_derived"));
  BOOST_TEST(*found.overlap_from == at("2026-12-01T08:12"));
}

BOOST_AUTO_TEST_CASE(a_slip_number_traces_the_visit_it_was_issued_for_and_its_person) {
  scenario s;
  auto rq = s.request();
  rq.id_number.clear();
  rq.slip = 171;
  const auto a = s.trace(rq);
  BOOST_TEST(a.case_visits.size() == 3u);
  BOOST_TEST(names(a, 0).contains(visitor(1).name));
  rq.slip = 999;
  BOOST_TEST(s.trace(rq).case_visits.empty());
}

BOOST_AUTO_TEST_CASE(only_the_records_of_the_answer_are_opened) {
  scenario s;
  auto source = open_trace_source(s.where).value();
  auto idx = s.index();
  const auto first = idx->index(*source, s.keys).value();
  // Openings and exits without entry: one each, closings not.
  BOOST_TEST(first.opened == 13);
  BOOST_TEST(idx->index(*source, s.keys).value().opened == 0);  // nothing new
  const auto a = run_trace(*idx, *source, s.keys, s.request()).value();
  BOOST_TEST(a.opened.size() == a.case_visits.size() + 7);  // 7 distinct contacts, v7 listed twice
}

BOOST_AUTO_TEST_CASE(a_record_removed_from_the_store_after_indexing_is_listed_with_why_it_was_not_opened) {
  scenario s;
  const auto before = s.trace(s.request());
  const auto gone = contact(before, visitor(1).name).visit.v.in_record;
  BOOST_TEST_REQUIRE(gone.has_value());
  // The province removes it by hand (a forged record, docs/receiver.md).
  test::execute_store_sql(s.where, fmt::format("DELETE FROM records WHERE id = {}", *gone));
  const auto after = s.trace(s.request());
  // Still a contact (the index keeps the visit), not opened, and why.
  std::size_t unnamed = 0;
  for (const auto& c : after.contacts) {
    if (c.visit.v.in_record != gone) continue;
    ++unnamed;
    BOOST_TEST(c.visit.name.empty());
    BOOST_TEST(c.visit.open_error == "the record is no longer in the store");
  }
  BOOST_TEST(unnamed == 1u);
  BOOST_TEST(after.contacts.size() == before.contacts.size());
  BOOST_TEST(after.opened.size() == before.opened.size() - 1);
  // Every other visitor is opened as before.
  BOOST_TEST(contact(after, visitor(2).name).visit.phone == visitor(2).phone);
  BOOST_TEST(after.case_visits[0].name == the_case.name);
}

BOOST_AUTO_TEST_CASE(the_id_number_is_matched_whatever_its_spacing_and_case) {
  BOOST_TEST(normalise_id_number(" 001 090-012.345 ") == "001090012345");
  BOOST_TEST(normalise_id_number("c1234567") == "C1234567");
  scenario s;
  auto rq = s.request();
  rq.id_number = "001 090 012 345";
  BOOST_TEST(s.trace(rq).case_visits.size() == 3u);
}

BOOST_AUTO_TEST_CASE(csv_output_neutralises_formulas_and_json_is_one_object) {
  scenario s;
  auto a = s.trace(s.request());
  a.contacts[0].visit.name = "=HYPERLINK(\"http://x\")";
  a.contacts[0].visit.phone = "+84901";
  const auto csv = trace_csv(a, s.request());
  BOOST_TEST(csv.find(",\"'=HYPERLINK(\"\"http://x\"\")\",") != std::string::npos, csv);
  BOOST_TEST(csv.find(",'+84901,") != std::string::npos);
  BOOST_TEST(csv.starts_with("role,case_visit,site,counter,in,out,overlap_minutes,"));
  const auto j = boost::json::parse(trace_json(a, s.request()));
  BOOST_TEST(j.at("case_visits").as_array().size() == 3u);
  BOOST_TEST(j.at("contacts").as_array().size() == a.contacts.size());
  BOOST_TEST(trace_table(a, s.request()).find("2026-12-01 08:00:00") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(local_times_parse_and_print_at_the_offset) {
  BOOST_TEST(local_time(at("2026-12-01T23:50"), vn) == "2026-12-01 23:50:00");
  BOOST_TEST(parse_local_time("2026-12-01", vn, true).value() - parse_local_time("2026-12-01", vn, false).value() ==
             24 * 60 * minute);
  BOOST_TEST(local_time(parse_local_time("2026-12-01", vn, false).value(), 0) == "2026-11-30 17:00:00");
  BOOST_TEST(!parse_local_time("2026-13-01", vn, false).has_value());
  BOOST_TEST(!parse_local_time("yesterday", vn, false).has_value());
  BOOST_TEST(parse_utc_offset("-05:30").value() == -330);
  BOOST_TEST(!parse_utc_offset("7").has_value());
}

BOOST_AUTO_TEST_CASE(a_trace_file_made_with_another_key_is_refused) {
  scenario s;
  s.index();
  const auto other = trace_index::open(s.dir / "trace.db", trace_keys::derive(seal::generate()));
  BOOST_TEST_REQUIRE(!other.has_value());
  BOOST_TEST(other.error().message().find("another provincial key") != std::string::npos);
}
