// The store's write path and recovery, on real SQLite files.

#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <ctime>
#include <set>

#include <fmt/format.h>

#include "store/store.hpp"
#include "support/harness.hpp"
#include "support/scans.hpp"

using namespace ravao;
using ravao::test::person_scan;
using ravao::test::settings;
namespace fs = std::filesystem;

namespace {

// A clock we drive: wall and boot time advance together.
struct fake_clock {
  timestamp t{1'763'880'000'000, 1'000'000'000'000, true};  // 2025-11-23, synced
  timestamp advance_ms(std::int64_t ms) {
    t.wall_ms += ms;
    t.boottime_ns += ms * 1'000'000;
    return t;
  }
};

scan_request opaque_scan(std::string counter, std::string text, const timestamp& at) {
  scan_request r;
  r.counter_id = std::move(counter);
  r.payload.kind = payload_kind::opaque;
  r.payload.text = std::move(text);
  r.at = at;
  return r;
}

store_writer open_store(const fs::path& p) {
  auto s = store_writer::open(p);
  BOOST_TEST_REQUIRE(s.has_value(), (s ? "" : s.error().message()));
  return std::move(*s);
}

scan_outcome apply_one(store_writer& s, const scan_request& r, const visits_config& v = settings()) {
  auto out = s.apply(std::span(&r, 1), {}, v);
  BOOST_TEST_REQUIRE(out.has_value(), (out ? "" : out.error().message()));
  BOOST_TEST_REQUIRE(out->size() == 1u);
  return out->front();
}

}  // namespace

BOOST_AUTO_TEST_CASE(toggle_opens_then_closes_and_sequence_is_gap_free) {
  test::temp_dir d;
  auto s = open_store(d / "s.db");
  fake_clock c;
  auto o1 = apply_one(s, person_scan("c1", counter_mode::toggle, "001090012345", c.t));
  BOOST_TEST((o1.effect == scan_effect::visit_opened));
  BOOST_TEST(o1.seq == 1);
  auto o2 = apply_one(s, person_scan("c1", counter_mode::toggle, "001090012345", c.advance_ms(60'000)));
  BOOST_TEST((o2.effect == scan_effect::visit_closed));
  BOOST_TEST(o2.seq == 2);
  BOOST_TEST(o2.visit_id == o1.visit_id);
  auto o3 = apply_one(s, opaque_scan("c1", "HELLO", c.advance_ms(1)));
  BOOST_TEST((o3.effect == scan_effect::event_recorded));
  BOOST_TEST(o3.seq == 3);
  BOOST_TEST(s.totals().open_visits == 0);
  auto rows = s.records({});
  BOOST_TEST_REQUIRE(rows.has_value());
  BOOST_TEST_REQUIRE(rows->size() == 3u);
  for (std::size_t i = 0; i < rows->size(); ++i) BOOST_TEST((*rows)[i].seq == static_cast<std::int64_t>(i + 1));
  BOOST_TEST((*rows)[0].type == "visit_opened");
  BOOST_TEST((*rows)[1].type == "visit_closed");
  BOOST_TEST((*rows)[1].close_reason == "scan");
  // Opaque text may be personal: sealed when there is a key, else not kept.
  BOOST_TEST((*rows)[2].payload.empty());
  BOOST_TEST((*rows)[2].flags == "personal_data_not_kept");
  BOOST_TEST((*rows)[0].name_masked == "TRẦN T. B.");
  BOOST_TEST((*rows)[0].id_masked == "**********45");
  BOOST_TEST((*rows)[0].boot_id == boot_id());
  BOOST_TEST((*rows)[0].clock_synced);
}

BOOST_AUTO_TEST_CASE(repeat_within_window_is_a_counted_duplicate) {
  test::temp_dir d;
  auto s = open_store(d / "s.db");
  fake_clock c;
  apply_one(s, person_scan("c1", counter_mode::toggle, "001090012345", c.t));
  auto dup = apply_one(s, person_scan("c1", counter_mode::toggle, "001090012345", c.advance_ms(4000)));
  BOOST_TEST((dup.effect == scan_effect::duplicate));
  BOOST_TEST(dup.seq == 0);
  // The same person at another counter is not a duplicate.
  auto other = apply_one(s, person_scan("c2", counter_mode::toggle, "001090012345", c.advance_ms(10)));
  BOOST_TEST((other.effect == scan_effect::visit_opened));
  // Past the window (measured from the last effective scan) the toggle closes.
  auto close = apply_one(s, person_scan("c1", counter_mode::toggle, "001090012345", c.advance_ms(1500)));
  BOOST_TEST((close.effect == scan_effect::visit_closed));
  BOOST_TEST(s.totals().duplicates == 1);
  auto visits = s.visits({});
  BOOST_TEST_REQUIRE(visits.has_value());
  std::int64_t dups = 0;
  for (const auto& v : *visits) dups += v.duplicates;
  BOOST_TEST(dups == 1);
  // Opaque payloads: the same text at the same counter is a duplicate too.
  apply_one(s, opaque_scan("c1", "X", c.advance_ms(1)));
  BOOST_TEST((apply_one(s, opaque_scan("c1", "X", c.advance_ms(1))).effect == scan_effect::duplicate));
}

BOOST_AUTO_TEST_CASE(entry_rescan_extends_and_exit_closes_every_open_visit) {
  test::temp_dir d;
  auto s = open_store(d / "s.db");
  fake_clock c;
  const std::string id = "079190000001";
  BOOST_TEST((apply_one(s, person_scan("in1", counter_mode::entry, id, c.t)).effect == scan_effect::visit_opened));
  BOOST_TEST((apply_one(s, person_scan("in1", counter_mode::entry, id, c.advance_ms(60'000))).effect ==
              scan_effect::rescan));
  BOOST_TEST((apply_one(s, person_scan("in2", counter_mode::entry, id, c.advance_ms(60'000))).effect ==
              scan_effect::visit_opened));
  BOOST_TEST(s.totals().open_visits == 2);
  auto out = apply_one(s, person_scan("door", counter_mode::exit, id, c.advance_ms(60'000)));
  BOOST_TEST((out.effect == scan_effect::visit_closed));
  BOOST_TEST(out.records == 2);
  BOOST_TEST(s.totals().open_visits == 0);
  // Exit with nothing open: a closed visit without an opening.
  auto orphan = apply_one(s, person_scan("door", counter_mode::exit, "079190000002", c.advance_ms(60'000)));
  BOOST_TEST((orphan.effect == scan_effect::exit_without_entry));
  BOOST_TEST(s.totals().visits_today == 3);  // two entries and the exit without entry
  auto counters = s.counters(c.t);
  BOOST_TEST_REQUIRE(counters.has_value());
  for (const auto& row : *counters) {
    if (row.counter_id == "door") BOOST_TEST(row.visits_today == 3);  // 2 closed there + 1 orphan
  }
  auto v = s.visits({});
  BOOST_TEST_REQUIRE(v.has_value());
  BOOST_TEST(v->front().close_reason == "exit_without_entry");
  BOOST_TEST(!v->front().opened_wall_ms.has_value());
}

BOOST_AUTO_TEST_CASE(expired_visits_close_automatically_with_their_reason) {
  test::temp_dir d;
  auto s = open_store(d / "s.db");
  fake_clock c;
  auto v = settings();
  v.max_duration = std::chrono::seconds(3600);
  apply_one(s, person_scan("c1", counter_mode::entry, "001090012345", c.t), v);
  auto none = s.close_expired(c.advance_ms(3'599'000), v);
  BOOST_TEST_REQUIRE(none.has_value());
  BOOST_TEST(*none == 0);
  auto one = s.close_expired(c.advance_ms(2000), v);
  BOOST_TEST_REQUIRE(one.has_value());
  BOOST_TEST(*one == 1);
  auto rows = s.records({});
  BOOST_TEST(rows->back().type == "visit_closed");
  BOOST_TEST(rows->back().close_reason == "max_duration");
  BOOST_TEST(s.totals().open_visits == 0);

  // End of day: a visit from before today's 17:00 (site time) is closed once
  // 17:00 has passed, even though max_duration has not.
  v.max_duration = std::chrono::seconds(7 * 24 * 3600);
  v.end_of_day = std::chrono::minutes(17 * 60);
  fake_clock e;
  // 2025-11-23 16:00 at UTC+7 = 09:00 UTC.
  e.t.wall_ms = 1'763'888'400'000;
  apply_one(s, person_scan("c1", counter_mode::entry, "001090099999", e.t), v);
  BOOST_TEST(*s.close_expired(e.advance_ms(30 * 60'000), v) == 0);
  BOOST_TEST(*s.close_expired(e.advance_ms(31 * 60'000), v) == 1);
  BOOST_TEST(s.records({})->back().close_reason == "end_of_day");
}

BOOST_AUTO_TEST_CASE(state_survives_reopen) {
  test::temp_dir d;
  fake_clock c;
  {
    auto s = open_store(d / "s.db");
    apply_one(s, person_scan("c1", counter_mode::toggle, "001090012345", c.t));
    apply_one(s, opaque_scan("c1", "A", c.advance_ms(10)));
  }
  auto s = open_store(d / "s.db");
  BOOST_TEST(s.totals().last_seq == 2);
  BOOST_TEST(s.totals().open_visits == 1);
  auto o = apply_one(s, person_scan("c1", counter_mode::toggle, "001090012345", c.advance_ms(60'000)));
  BOOST_TEST((o.effect == scan_effect::visit_closed));
  BOOST_TEST(o.seq == 3);
  BOOST_TEST(s.health().schema_version == store_writer::schema_version);
}

BOOST_AUTO_TEST_CASE(a_failed_batch_changes_nothing_and_can_be_retried) {
  test::temp_dir d;
  auto s = open_store(d / "s.db");
  fake_clock c;
  apply_one(s, opaque_scan("c1", "A", c.t));
  // Another connection holds the write lock past the busy timeout: the
  // batch fails as a whole, then succeeds once the lock is gone.
  sqlite3* other = nullptr;
  BOOST_TEST_REQUIRE(sqlite3_open((d / "s.db").c_str(), &other) == SQLITE_OK);
  BOOST_TEST_REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  std::vector<scan_request> batch{opaque_scan("c1", "B", c.advance_ms(10)), opaque_scan("c2", "C", c.advance_ms(10))};
  // (busy_timeout is 5 s; the lock is never released during the call)
  auto failed = s.apply(batch, {}, settings());
  BOOST_TEST(!failed.has_value());
  BOOST_TEST(s.totals().last_seq == 1);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  auto ok = s.apply(batch, {}, settings());
  BOOST_TEST_REQUIRE(ok.has_value());
  BOOST_TEST((*ok)[0].seq == 2);
  BOOST_TEST((*ok)[1].seq == 3);
}

BOOST_AUTO_TEST_CASE(corrupt_store_is_moved_aside_and_a_fresh_one_started) {
  test::temp_dir d;
  const auto path = d / "s.db";
  fake_clock c;
  {
    auto s = open_store(path);
    for (int i = 0; i < 200; ++i) apply_one(s, opaque_scan("c1", "payload " + std::to_string(i), c.advance_ms(10)));
  }
  // Damage pages in the middle of the file (after the header page).
  {
    std::string bytes = test::read_file(path);
    BOOST_TEST_REQUIRE(bytes.size() > 8192u);
    for (std::size_t i = 4096; i < bytes.size(); i += 7) bytes[i] = static_cast<char>(0xA5);
    test::write_file(path, bytes);
  }
  auto s = store_writer::open(path);
  BOOST_TEST_REQUIRE(s.has_value(), (s ? "" : s.error().message()));
  const auto h = s->health();
  BOOST_TEST(!h.recovered_from.empty());
  BOOST_TEST(fs::exists(h.recovered_from));  // kept, never deleted
  BOOST_TEST(s->totals().last_seq == 0);
  BOOST_TEST(apply_one(*s, opaque_scan("c1", "after", c.advance_ms(10))).seq == 1);

  // Not a database at all: same treatment.
  test::write_file(d / "junk.db", std::string(10000, 'x'));
  auto j = store_writer::open(d / "junk.db");
  BOOST_TEST_REQUIRE(j.has_value());
  BOOST_TEST(!j->health().recovered_from.empty());
}

// Audit finding 12: copies of a corrupt store (the hash key of ID numbers
// and every record included) were kept forever. They now go with retention,
// by when they were moved aside (the stamp in the name; else the file's
// modification time); another store's copies and other files stay.
BOOST_AUTO_TEST_CASE(audit_12_corrupt_copies_older_than_retention_are_deleted_at_the_prune) {
  test::temp_dir d;
  const auto path = d / "s.db";
  test::write_file(path, std::string(10000, 'x'));  // not a database: moved aside at open
  auto s = open_store(path);
  const fs::path moved = s.health().recovered_from;
  BOOST_TEST_REQUIRE(fs::exists(moved));
  BOOST_TEST(moved.filename().string().starts_with("s.db.corrupt-"));
  // An older copy, with its WAL, and one renamed by hand (no stamp) last written long ago.
  const auto real_now_ms = static_cast<std::int64_t>(std::time(nullptr)) * 1000;
  const fs::path old_copy = d / "s.db.corrupt-20200101T000000Z";
  for (const char* suffix : {"", "-wal"}) test::write_file(old_copy.string() + suffix, "old visits and hash key");
  const fs::path unstamped = d / "s.db.corrupt-by-hand";
  test::write_file(unstamped, "old");
  fs::last_write_time(unstamped, fs::file_time_type::clock::now() - std::chrono::days(400));
  const fs::path foreign = d / "other.db.corrupt-20200101T000000Z";
  test::write_file(foreign, "another store's copy");

  fake_clock c;
  c.t.wall_ms = real_now_ms;
  BOOST_TEST_REQUIRE(s.prune(c.t, 30).has_value());
  BOOST_TEST(!fs::exists(old_copy));
  BOOST_TEST(!fs::exists(old_copy.string() + "-wal"));
  BOOST_TEST(!fs::exists(unstamped));
  BOOST_TEST(fs::exists(moved));  // moved aside just now: within retention
  BOOST_TEST(fs::exists(foreign));
  BOOST_TEST(fs::exists(path));

  // 31 days later the copy made at open goes too; the store itself stays.
  BOOST_TEST_REQUIRE(s.prune(c.advance_ms(31LL * 86'400'000), 30).has_value());
  BOOST_TEST(!fs::exists(moved));
  BOOST_TEST(fs::exists(path));
  BOOST_TEST(fs::exists(foreign));
}

// Audit finding 12: after a prune the deleted rows' old pages stayed in the
// -wal file until SQLite happened to checkpoint. The prune empties it.
BOOST_AUTO_TEST_CASE(audit_12_a_prune_that_deleted_rows_truncates_the_wal) {
  test::temp_dir d;
  const auto path = d / "s.db";
  auto s = open_store(path);
  fake_clock c;
  for (int i = 0; i < 300; ++i) {
    const std::string id = fmt::format("0010900{:05}", i);
    apply_one(s, person_scan("c1", counter_mode::toggle, id, c.advance_ms(10)));
    apply_one(s, person_scan("c1", counter_mode::toggle, id, c.advance_ms(6000)));
  }
  BOOST_TEST_REQUIRE(s.acknowledge(s.totals().last_seq, {}, c.t).has_value());
  const fs::path wal = path.string() + "-wal";
  BOOST_TEST_REQUIRE(fs::exists(wal));
  BOOST_TEST_REQUIRE(fs::file_size(wal) > 0u);
  auto pruned = s.prune(c.advance_ms(40LL * 86'400'000), 30);
  BOOST_TEST_REQUIRE(pruned.has_value());
  BOOST_TEST(*pruned == 600 - 1 + 300 - 1);  // all but the newest record and visit
  BOOST_TEST(fs::file_size(wal) == 0u);
}

BOOST_AUTO_TEST_CASE(a_store_from_a_newer_ravaod_is_refused_untouched) {
  test::temp_dir d;
  { auto s = open_store(d / "s.db"); }
  sqlite3* db = nullptr;
  sqlite3_open((d / "s.db").c_str(), &db);
  sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  auto s = store_writer::open(d / "s.db");
  BOOST_TEST_REQUIRE(!s.has_value());
  BOOST_TEST(s.error().message().find("newer") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejections_are_sampled_and_counted) {
  test::temp_dir d;
  auto s = open_store(d / "s.db");
  fake_clock c;
  std::vector<rejection_request> rej{{"c1", "nul_byte", 12, "\\x00AAA", c.t}};
  auto out = s.apply({}, rej, settings());
  BOOST_TEST_REQUIRE(out.has_value());
  BOOST_TEST(s.totals().rejected == 1);
  auto counters = s.counters(c.t);
  BOOST_TEST_REQUIRE(counters.has_value());
  BOOST_TEST_REQUIRE(counters->size() == 1u);
  BOOST_TEST(counters->front().rejected == 1);
  // Samples older than retention are pruned.
  auto pruned = s.prune(c.advance_ms(31LL * 86'400'000), 30);
  BOOST_TEST_REQUIRE(pruned.has_value());
  BOOST_TEST(*pruned == 1);
}
