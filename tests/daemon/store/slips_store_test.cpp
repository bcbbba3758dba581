// Slips, print jobs and proxy declarations in the store, on real SQLite files.

#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>

#include "common/text.hpp"
#include "payload/classify.hpp"

#include "slip/slip_number.hpp"
#include "store/store.hpp"
#include "support/harness.hpp"
#include "support/store_writer_fixture.hpp"

using namespace ravao;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

struct fixture : ravao::test::store_writer_fixture {
  fixture() : store_writer_fixture(timestamp{1'763'880'000'000, now().boottime_ns, true}) {}
  scan_request cccd(std::string counter, std::string id) {
    scan_request r;
    r.counter_id = std::move(counter);
    r.mode = counter_mode::toggle;
    r.payload.kind = payload_kind::cccd;
    r.payload.who = person{};
    r.payload.who->id_number = std::move(id);
    r.payload.who->full_name = "Trần Thị Bình";
    r.at = advance_ms(1000);
    return r;
  }
  std::int64_t apply(scan_request r) {
    auto out = s->apply(std::span(&r, 1), {}, visits_config{});
    BOOST_TEST_REQUIRE(out.has_value());
    return (*out)[0].visit_id;
  }
  issued_slip issue(std::string counter, bool preprint = true) {
    slip::slip_content content;
    content.site_name = "Bưu điện";
    content.counter_name = "Quầy 1";
    slip_request r{std::move(counter), "p1", preprint, std::chrono::seconds(120), std::move(content),
                   [](std::int64_t n) { return slip::format_slip_number(n); }, advance_ms(1000), {}};
    auto out = s->issue_slip(r);
    BOOST_TEST_REQUIRE(out.has_value(), (out ? "" : out.error().message()));
    return *out;
  }
  std::vector<record_row> records() {
    record_filter f;
    f.limit = 1000;
    auto r = s->records(f);
    BOOST_TEST_REQUIRE(r.has_value());
    return *r;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(slip_after_a_scan_links_the_visit_and_preprints_the_masked_identity, fixture) {
  const auto visit = apply(cccd("c1", "001090012345"));
  const auto slip = issue("c1");
  BOOST_TEST(slip.sequence == 1);
  BOOST_TEST(slip.number == slip::format_slip_number(1));
  BOOST_TEST(slip.visit_id == visit);
  const auto content = json::parse(slip.job.content).as_object();
  BOOST_TEST(content.at("number").as_string() == slip.number);
  BOOST_TEST(content.at("person_id_masked").as_string() == "**********45");
  BOOST_TEST(content.at("person_name").as_string() == "TRẦN T. B.");  // the masked form: all the store keeps
  BOOST_TEST(content.at("site_name").as_string() == "Bưu điện");
  BOOST_TEST(to_string(slip.job.state) == "queued");
  const auto rec = records().back();
  BOOST_TEST(rec.type == "slip_issued");
  BOOST_TEST(rec.visit_id == visit);
  BOOST_TEST(rec.payload == "RAVAO:SLIP:" + slip.number);
  BOOST_TEST(rec.ref.value_or(0) == slip.sequence);
}

BOOST_FIXTURE_TEST_CASE(slip_at_another_counter_or_too_late_is_blank, fixture) {
  apply(cccd("c1", "001090012345"));
  const auto other = issue("c2");
  BOOST_TEST(other.visit_id == 0);
  BOOST_TEST(json::parse(other.job.content).as_object().if_contains("person_id_masked") == nullptr);
  advance_ms(121'000);
  const auto late = issue("c1");
  BOOST_TEST(late.visit_id == 0);
  const auto off = issue("c1", false);
  BOOST_TEST(json::parse(off.job.content).as_object().if_contains("person_name") == nullptr);
}

BOOST_FIXTURE_TEST_CASE(numbers_are_never_reused_across_reopening, fixture) {
  const auto a = issue("c1");
  const auto b = issue("c1");
  reopen();
  const auto c = issue("c1");
  BOOST_TEST(a.sequence == 1);
  BOOST_TEST(b.sequence == 2);
  BOOST_TEST(c.sequence == 3);
  auto next = s->next_slip_sequence();
  BOOST_TEST_REQUIRE(next.has_value());
  BOOST_TEST(*next == 4);
}

BOOST_FIXTURE_TEST_CASE(returned_slip_scan_links_to_its_visit_and_unknown_slips_are_flagged, fixture) {
  const auto visit = apply(cccd("c1", "001090012345"));
  const auto slip = issue("c1");
  scan_request back;
  back.counter_id = "c1";
  back.payload.kind = payload_kind::ravao_slip;
  back.payload.text = "RAVAO:SLIP:" + slip.number;
  back.payload.slip_number = slip.number;
  back.slip_sequence = slip.sequence;
  back.at = advance_ms(60'000);
  auto out = s->apply(std::span(&back, 1), {}, visits_config{});
  BOOST_TEST_REQUIRE(out.has_value());
  BOOST_TEST(to_string((*out)[0].effect) == "slip_returned");
  BOOST_TEST((*out)[0].visit_id == visit);
  auto row = s->slip(slip.sequence);
  BOOST_TEST_REQUIRE(row.has_value());
  BOOST_TEST_REQUIRE(row->has_value());
  BOOST_TEST((*row)->returned_seq.value_or(0) == (*out)[0].seq);
  BOOST_TEST(records().back().ref.value_or(0) == slip.sequence);

  scan_request unknown = back;
  unknown.slip_sequence = 999;
  unknown.payload.text = "RAVAO:SLIP:" + slip::format_slip_number(999);
  unknown.at = advance_ms(10'000);
  auto u = s->apply(std::span(&unknown, 1), {}, visits_config{});
  BOOST_TEST_REQUIRE(u.has_value());
  BOOST_TEST(to_string((*u)[0].effect) == "event_recorded");
  BOOST_TEST(records().back().flags == "unknown_slip");
}

BOOST_FIXTURE_TEST_CASE(job_states_reprint_and_requeue_after_a_crash, fixture) {
  const auto slip = issue("c1");
  BOOST_TEST(s->set_job_state(slip.job.id, job_state::printing, "", advance_ms(10)).has_value());
  // A crash here: the job is "printing" on disk. At the next start it is queued again.
  reopen();
  auto n = s->requeue_interrupted_jobs();
  BOOST_TEST_REQUIRE(n.has_value());
  BOOST_TEST(*n == 1);
  auto pending = s->jobs(job_filter{.printer_id = "p1", .pending_only = true, .limit = 10});
  BOOST_TEST_REQUIRE(pending.has_value());
  BOOST_TEST_REQUIRE(pending->size() == 1u);
  BOOST_TEST((*pending)[0].attempts == 1);
  BOOST_TEST(s->set_job_state(slip.job.id, job_state::printed, "", advance_ms(10)).has_value());
  pending = s->jobs(job_filter{.printer_id = "p1", .pending_only = true, .limit = 10});
  BOOST_TEST(pending->empty());

  auto again = s->reprint_slip(slip.sequence, "p1", advance_ms(10));
  BOOST_TEST_REQUIRE(again.has_value());
  const auto content = json::parse(again->content).as_object();
  BOOST_TEST(content.at("reprint").as_bool());
  BOOST_TEST(content.at("number").as_string() == slip.number);
  BOOST_TEST(again->slip_sequence.value_or(0) == slip.sequence);
  BOOST_TEST(!s->reprint_slip(4242, "p1", t).has_value());
  // Reprints do not use up numbers.
  BOOST_TEST(*s->next_slip_sequence() == 2);
}

BOOST_FIXTURE_TEST_CASE(a_reprint_of_damaged_stored_content_is_refused_and_names_the_field, fixture) {
  const auto slip = issue("c1");
  s.reset();
  sqlite3* db = nullptr;
  BOOST_TEST_REQUIRE(sqlite3_open((dir / "ravao.db").c_str(), &db) == SQLITE_OK);
  BOOST_TEST(sqlite3_exec(db, R"(UPDATE print_jobs SET content='{"number":171}')", nullptr, nullptr, nullptr) ==
             SQLITE_OK);
  sqlite3_close(db);
  reopen();
  auto again = s->reprint_slip(slip.sequence, "p1", advance_ms(10));
  BOOST_TEST_REQUIRE(!again.has_value());
  BOOST_TEST((again.error().code == make_error_code(errc::store_corrupt)));
  BOOST_TEST(again.error().message().find("\"number\" must be a string") != std::string::npos, again.error().message());
  auto jobs = s->jobs(job_filter{});
  BOOST_TEST_REQUIRE(jobs.has_value());
  BOOST_TEST(jobs->size() == 1u);  // nothing queued
}

BOOST_FIXTURE_TEST_CASE(declarations_link_to_the_slip_or_the_visit_just_scanned, fixture) {
  const auto visit = apply(cccd("c1", "001090012345"));
  const auto slip = issue("c1");
  declaration_request by_slip;
  by_slip.counter_id = "c1";
  by_slip.slip_sequence = slip.sequence;
  by_slip.slip_number = slip.number;
  by_slip.person_name = "Trần Thị Bình";
  by_slip.person_id = "001090012345";
  by_slip.declaration_json = R"({"phone":"0912345678"})";
  by_slip.at = advance_ms(1000);
  auto d = s->declare(by_slip);
  BOOST_TEST_REQUIRE(d.has_value(), (d ? "" : d.error().message()));
  BOOST_TEST(d->visit_id == visit);
  const auto rec = records().back();
  BOOST_TEST(rec.type == "declaration");
  // No provincial key in this fixture: the answers are not kept, only masks.
  BOOST_TEST(rec.flags == "proxy_declared,personal_data_not_kept");
  BOOST_TEST(!rec.has_sealed);
  BOOST_TEST(rec.name_masked == "TRẦN T. B.");
  BOOST_TEST(rec.id_masked == "**********45");
  BOOST_TEST(rec.payload == slip.number);
  BOOST_TEST(rec.ref.value_or(0) == slip.sequence);

  declaration_request by_counter = by_slip;
  by_counter.slip_sequence.reset();
  by_counter.slip_number.clear();
  by_counter.at = advance_ms(1000);
  auto e = s->declare(by_counter);
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->visit_id == visit);
  // Nobody scanned at c2: refused, nothing written.
  const auto before = records().size();
  by_counter.counter_id = "c2";
  BOOST_TEST(!s->declare(by_counter).has_value());
  BOOST_TEST(records().size() == before);
}

BOOST_FIXTURE_TEST_CASE(checkout_last_closes_the_latest_visit_at_the_counter, fixture) {
  const auto first = apply(cccd("c1", "001090012345"));
  const auto second = apply(cccd("c1", "079203004545"));
  auto out = s->checkout_last("c1", advance_ms(1000));
  BOOST_TEST_REQUIRE(out.has_value());
  BOOST_TEST(out->visit_id == second);
  const auto rec = records().back();
  BOOST_TEST(rec.type == "visit_closed");
  BOOST_TEST(rec.close_reason == "staff_checkout");
  BOOST_TEST(s->totals().open_visits == 1);
  auto again = s->checkout_last("c1", advance_ms(1000));
  BOOST_TEST(again->visit_id == first);
  auto none = s->checkout_last("c1", advance_ms(1000));
  BOOST_TEST(none->seq == 0);
  BOOST_TEST(none->detail == "no open visit at this counter");
}

BOOST_FIXTURE_TEST_CASE(undo_last_reverts_the_last_scan_once_and_only_recently, fixture) {
  const auto visit = apply(cccd("c1", "001090012345"));
  BOOST_TEST(s->totals().open_visits == 1);
  auto undo = s->undo_last("c1", advance_ms(1000), std::chrono::minutes(10));
  BOOST_TEST_REQUIRE(undo.has_value());
  BOOST_TEST(undo->visit_id == visit);
  BOOST_TEST(undo->undone_seq == 1);
  BOOST_TEST(records().back().type == "undo");
  BOOST_TEST(records().back().ref.value_or(0) == 1);
  BOOST_TEST(records().back().payload.empty());
  BOOST_TEST(s->totals().open_visits == 0);
  // Nothing left to undo: the opening was already undone.
  auto twice = s->undo_last("c1", advance_ms(1000), std::chrono::minutes(10));
  BOOST_TEST(twice->seq == 0);
  // A toggle close undone: the visit is open again.
  const auto v2 = apply(cccd("c1", "079203004545"));
  advance_ms(6000);                   // past the duplicate window
  apply(cccd("c1", "079203004545"));  // closes it (toggle)
  BOOST_TEST(s->totals().open_visits == 0);
  auto reopen = s->undo_last("c1", advance_ms(1000), std::chrono::minutes(10));
  BOOST_TEST_REQUIRE(reopen.has_value());
  BOOST_TEST(reopen->visit_id == v2);
  BOOST_TEST(s->totals().open_visits == 1);
  visit_filter f;
  f.open_only = true;
  auto open = s->visits(f);
  BOOST_TEST_REQUIRE(open.has_value());
  BOOST_TEST_REQUIRE(open->size() == 1u);
  BOOST_TEST((*open)[0].id == v2);
  // Too old: not undone.
  apply(cccd("c1", "001090099999"));
  auto late = s->undo_last("c1", advance_ms(11 * 60 * 1000), std::chrono::minutes(10));
  BOOST_TEST(late->seq == 0);
}

// Audit finding 11: right after visitor B's exit scan at counter C, the most
// recent open visit there is visitor A's, and a pre-printed slip carried A's
// name to B. A slip links only the visit the counter's last visitor scan
// opened or rescanned.
BOOST_FIXTURE_TEST_CASE(audit_11_slip_after_an_exit_scan_does_not_carry_the_previous_visitors_name, fixture) {
  auto a = cccd("c", "001090012345");
  a.payload.who->full_name = "Phạm Minh Châu";
  const auto visit_a = apply(a);
  auto b = cccd("c", "079203004545");
  b.payload.who->full_name = "Lê Văn Dũng";
  const auto visit_b = apply(b);
  BOOST_TEST(visit_b != visit_a);
  b.at = advance_ms(10'000);  // past the duplicate window
  BOOST_TEST(apply(b) == visit_b);  // toggle: B's second scan closes B's visit
  const auto slip = issue("c");
  BOOST_TEST(slip.visit_id == 0);
  const auto content = json::parse(slip.job.content).as_object();
  BOOST_TEST(content.if_contains("person_name") == nullptr);
  BOOST_TEST(content.if_contains("person_id_masked") == nullptr);
  BOOST_TEST(records().back().visit_id == 0);
  // A proxy declaration without --slip is refused the same way.
  declaration_request d;
  d.counter_id = "c";
  d.person_name = "Lê Văn Dũng";
  d.person_id = "079203004545";
  d.at = advance_ms(1000);
  BOOST_TEST(!s->declare(d).has_value());
  // An exit without entry, an unknown code: not A's scan either.
  a.at = advance_ms(10'000);
  apply(a);  // closes A
  a.at = advance_ms(10'000);
  const auto visit_a2 = apply(a);
  BOOST_TEST(issue("c").visit_id == visit_a2);
  auto stranger = cccd("c", "038095001122");
  stranger.mode = counter_mode::exit;
  apply(stranger);
  BOOST_TEST(issue("c").visit_id == 0);
}

BOOST_FIXTURE_TEST_CASE(audit_11_slip_still_links_after_an_entry_a_rescan_or_a_staff_card, fixture) {
  auto a = cccd("c", "001090012345");
  a.mode = counter_mode::entry;
  const auto visit_a = apply(a);
  const auto first = issue("c");
  BOOST_TEST(first.visit_id == visit_a);
  BOOST_TEST(json::parse(first.job.content).as_object().at("person_name").as_string() == "TRẦN T. B.");
  // B enters after A: B's slip; A scanned again (a rescan at an entry counter): A's.
  auto b = cccd("c", "079203004545");
  b.mode = counter_mode::entry;
  const auto visit_b = apply(b);
  BOOST_TEST(issue("c").visit_id == visit_b);
  a.at = advance_ms(10'000);
  BOOST_TEST(apply(a) == visit_a);
  BOOST_TEST(issue("c").visit_id == visit_a);
  // The staff's "print slip" card scanned after A's entry is not a visitor scan.
  scan_request card;
  card.counter_id = "c";
  card.mode = counter_mode::entry;
  card.payload.kind = payload_kind::ravao_command;
  card.payload.text = "RAVAO:CMD:SLIP";
  card.at = advance_ms(1000);
  apply(card);
  BOOST_TEST(records().back().type == "command");
  BOOST_TEST(issue("c").visit_id == visit_a);
}

namespace {

// A scan as ravaod makes it: the payload's bytes through the classifier.
scan_request scanned(fixture& f, std::string counter, std::string_view payload) {
  scan_request r;
  r.counter_id = std::move(counter);
  r.mode = counter_mode::toggle;
  r.payload = classify(payload);
  r.at = f.advance_ms(1000);
  return r;
}

// What the store's files hold, main file and WAL.
std::string store_bytes(const fs::path& db) {
  std::string out;
  for (const char* suffix : {"", "-wal"})
    if (fs::exists(db.string() + suffix)) out += ravao::test::read_file(db.string() + suffix);
  return out;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(audit_8_a_scanned_name_with_any_separator_is_stored_and_preprinted_masked, fixture) {
  // The audit: a CCCD whose name had NBSP separators was stored, shown,
  // pre-printed and uploaded as "PHẠM MINH CHÂU".
  const std::vector<std::string> separators = {"\u00A0", "\u3000", "\t", "\u2007", "\u202F", "\u200B", "\uFEFF",
                                               "\u2060", "\u3164"};
  int n = 0;
  for (const auto& sep : separators) {
    BOOST_TEST_CONTEXT("separator " << text::escape_for_log(sep)) {
      const std::string counter = "c" + std::to_string(++n);
      auto r = scanned(*this, counter,
                       test::cccd_payload(fmt::format("0011900{:05}", n), "Phạm" + sep + "Minh" + sep + "Châu"));
      BOOST_TEST_REQUIRE((r.payload.kind == payload_kind::cccd));
      const auto visit = apply(r);
      const auto slip = issue(counter);
      BOOST_TEST(slip.visit_id == visit);
      BOOST_TEST(json::parse(slip.job.content).at("person_name").as_string() == "PHẠM M. C.");
      BOOST_TEST(records().back().type == "slip_issued");
      BOOST_TEST(records()[records().size() - 2].name_masked == "PHẠM M. C.");
      visit_filter vf;
      vf.counter_id = counter;
      BOOST_TEST(s->visits(vf)->front().name_masked == "PHẠM M. C.");
    }
  }
  // Fail closed: one 40-letter word, and a name in invalid UTF-8 (classified
  // opaque: no name at all is kept in clear).
  auto glued = scanned(*this, "g1", test::cccd_payload("001190099991", std::string(40, 'Q')));
  BOOST_TEST_REQUIRE((glued.payload.kind == payload_kind::cccd));
  apply(glued);
  BOOST_TEST(json::parse(issue("g1").job.content).at("person_name").as_string() == "Q.");
  apply(scanned(*this, "g2", test::cccd_payload("001190099992", "Ph\xE1\xBA\xA1m\xA0" "Minh\xA0" "Ch\xC3\xA2u")));
  issue("g2");
  s.reset();
  const std::string bytes = store_bytes(dir / "ravao.db");
  for (const char* needle : {"MINH", "Minh", "CH\xC3\x82U", "Ch\xC3\xA2u", "QQQQ"})
    BOOST_TEST(bytes.find(needle) == std::string::npos, needle);
}

BOOST_FIXTURE_TEST_CASE(audit_7_scanned_ids_are_masked_to_their_length_everywhere_the_store_shows_them, fixture) {
  // The audit: a passport left "C123**67", a CMND "1234***89".
  struct kase {
    std::string payload, masked;
  };
  const std::vector<kase> cases = {
      {test::cccd_payload("001099012345"), "**********45"},
      {"123456789|NGUYEN VAN AN|1990-01-01|0|QID1|", "*******89"},  // personal QR, CMND number
      {"C1234567|NGUYEN VAN AN|1990-01-01|0|QID2|", "*******7"},    // personal QR, passport number
      {"AB1234|NGUYEN VAN AN|1990-01-01|0|QID3|", "******"},        // a short document number
  };
  int n = 0;
  for (const auto& k : cases) {
    BOOST_TEST_CONTEXT(k.masked) {
      const std::string counter = "c" + std::to_string(++n);
      auto r = scanned(*this, counter, k.payload);
      BOOST_TEST_REQUIRE(r.payload.who.has_value());
      apply(r);
      const auto slip = issue(counter);
      BOOST_TEST(json::parse(slip.job.content).at("person_id_masked").as_string() == k.masked);
      BOOST_TEST(records()[records().size() - 2].id_masked == k.masked);
      visit_filter vf;
      vf.counter_id = counter;
      BOOST_TEST(s->visits(vf)->front().id_masked == k.masked);
      BOOST_TEST(k.masked.size() - static_cast<std::size_t>(std::count(k.masked.begin(), k.masked.end(), '*')) ==
                 text::id_mask_shown(k.masked.size()));
    }
  }
}
