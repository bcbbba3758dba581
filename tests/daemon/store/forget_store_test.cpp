// Forget by design (docs/privacy.md, "Keys" and "Threat model"): a copy of
// the store gives up no visitor's ID number or name, except those of the
// visits open at that moment, while matching, duplicates and restarts keep
// working. The thief test writes a day of scans, copies the files as a
// thief would (the store still open: a card pulled from a running router),
// and attacks the copy with SQLite and BLAKE2b only.

#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include <fmt/format.h>

#include "store/store.hpp"
#include "support/harness.hpp"
#include "support/scans.hpp"

using namespace ravao;
using ravao::test::settings;
namespace fs = std::filesystem;

namespace {

using key_bytes = std::array<unsigned char, seal::key_bytes>;

const seal::key_pair& province() {
  static const seal::key_pair k = seal::generate();
  return k;
}

// 2025-11-23 08:00 at UTC+7, clock synchronised; wall and boot time advance together.
struct fake_clock {
  timestamp t{1'763'859'600'000, 1'000'000'000'000, true};
  const timestamp& at_minutes(std::int64_t minutes_since_8am) {
    const std::int64_t target = 1'763'859'600'000 + minutes_since_8am * 60'000;
    t.boottime_ns += (target - t.wall_ms) * 1'000'000;
    t.wall_ms = target;
    return t;
  }
  const timestamp& plus_ms(std::int64_t ms) {
    t.wall_ms += ms;
    t.boottime_ns += ms * 1'000'000;
    return t;
  }
};

// Visitor k: a 12-digit CCCD (the first 6 digits shared, as for people of
// one province, sex and birth year) and a name found nowhere else.
std::string id_of(int k) { return fmt::format("001090{:04}{:02}", 1000 + 37 * k, (7 * k + 3) % 100); }
std::string name_of(int k) {
  static const char* given[] = {"Hồng Nhung", "Minh Khôi", "Thu Trang", "Quốc Bảo", "Ngọc Ánh", "Đức Thắng"};
  return fmt::format("Phạm {} Thứ{}", given[k % 6], k);
}

scan_request visitor(std::string counter, counter_mode mode, int k, const timestamp& at) {
  scan_request r;
  r.counter_id = std::move(counter);
  r.mode = mode;
  r.payload.kind = payload_kind::cccd;
  r.payload.who = person{};
  r.payload.who->id_number = id_of(k);
  r.payload.who->full_name = name_of(k);
  r.payload.text = id_of(k) + "||" + name_of(k) + "|01011990|Nam|Hà Nội|01012021";
  r.at = at;
  return r;
}

store_writer open_store(const fs::path& p) {
  store_options o;
  o.province_key = province().pub;
  auto s = store_writer::open(p, o);
  BOOST_TEST_REQUIRE(s.has_value(), (s ? "" : s.error().message()));
  return std::move(*s);
}

scan_effect scan(store_writer& s, const scan_request& r) {
  auto out = s.apply(std::span(&r, 1), {}, settings());
  BOOST_TEST_REQUIRE(out.has_value(), (out ? "" : out.error().message()));
  return out->front().effect;
}

void forget(store_writer& s, const timestamp& at) {
  auto f = s.forget(at, settings());
  BOOST_TEST_REQUIRE(f.has_value(), (f ? "" : f.error().message()));
}

// Every hash key in the file, read with SQLite as anyone could.
std::vector<key_bytes> keys_in(const fs::path& db_path) {
  std::vector<key_bytes> keys;
  sqlite3* db = nullptr;
  BOOST_TEST_REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  BOOST_TEST_REQUIRE(sqlite3_prepare_v2(db, "SELECT key FROM hash_keys", -1, &st, nullptr) == SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    key_bytes k{};
    if (sqlite3_column_bytes(st, 0) == static_cast<int>(k.size()))
      std::memcpy(k.data(), sqlite3_column_blob(st, 0), k.size());
    keys.push_back(k);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return keys;
}

std::int64_t count(const fs::path& db_path, const char* query) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  BOOST_TEST_REQUIRE(sqlite3_prepare_v2(db, query, -1, &st, nullptr) == SQLITE_OK);
  const std::int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

std::string bytes_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every value of every table of the copy, as text and raw bytes.
std::string every_value(const fs::path& db_path) {
  std::string out;
  sqlite3* db = nullptr;
  BOOST_TEST_REQUIRE(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  std::vector<std::string> tables;
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type='table'", -1, &st, nullptr);
  while (sqlite3_step(st) == SQLITE_ROW) tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  BOOST_TEST_REQUIRE(tables.size() >= 9u);
  for (const auto& t : tables) {
    BOOST_TEST_REQUIRE(sqlite3_prepare_v2(db, fmt::format("SELECT * FROM \"{}\"", t).c_str(), -1, &st, nullptr) ==
                       SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        const auto* b = static_cast<const char*>(sqlite3_column_blob(st, c));
        out.append(b ? b : "", static_cast<std::size_t>(sqlite3_column_bytes(st, c)));
        out += '\x1f';
      }
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

std::string hex(const key_bytes& k) {
  std::string out;
  for (const unsigned char b : k) out += fmt::format("{:02x}", b);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(thief_recovers_no_id_number_or_name_but_those_of_open_visits) {
  test::temp_dir d;
  const fs::path path = d / "ravao.db";
  fake_clock c;
  std::set<std::string> every_key_hex;  // every key the store ever had, seen from outside
  std::vector<key_bytes> every_key;
  const auto note_keys = [&] {
    for (const auto& k : keys_in(path))
      if (every_key_hex.insert(hex(k)).second) every_key.push_back(k);
  };
  std::set<int> open_at_end;
  {
    auto s = open_store(path);
    // Morning: ten visitors in at the entry, the first five scanned twice
    // (duplicates), out at the exit half an hour later.
    for (int k = 0; k < 10; ++k) {
      BOOST_TEST((scan(s, visitor("vao", counter_mode::entry, k, c.at_minutes(k))) == scan_effect::visit_opened));
      if (k < 5) BOOST_TEST((scan(s, visitor("vao", counter_mode::entry, k, c.plus_ms(1500))) == scan_effect::duplicate));
    }
    for (int k = 0; k < 5; ++k)
      BOOST_TEST((scan(s, visitor("ra", counter_mode::exit, k, c.at_minutes(30 + k))) == scan_effect::visit_closed));
    // A visitor at a toggle counter; one who leaves without having come in.
    BOOST_TEST((scan(s, visitor("quay", counter_mode::toggle, 10, c.at_minutes(40))) == scan_effect::visit_opened));
    BOOST_TEST((scan(s, visitor("quay", counter_mode::toggle, 10, c.at_minutes(50))) == scan_effect::visit_closed));
    BOOST_TEST((scan(s, visitor("ra", counter_mode::exit, 11, c.at_minutes(55))) == scan_effect::exit_without_entry));
    forget(s, c.at_minutes(58));
    BOOST_TEST((scan(s, visitor("vao", counter_mode::entry, 12, c.at_minutes(59))) == scan_effect::visit_opened));
    note_keys();
  }
  {
    // Restart mid-day: the open visits still match their exits, and a
    // repeat of the scan just before the restart is still a duplicate.
    auto s = open_store(path);
    BOOST_TEST((scan(s, visitor("vao", counter_mode::entry, 12, c.plus_ms(2000))) == scan_effect::duplicate));
    for (int k = 5; k < 10; ++k)
      BOOST_TEST((scan(s, visitor("ra", counter_mode::exit, k, c.at_minutes(90 + k))) == scan_effect::visit_closed));
    forget(s, c.at_minutes(120));
    // Evening, then midnight: in before, out after (the key of the new day
    // is made at the first scan after midnight; yesterday's still matches).
    BOOST_TEST((scan(s, visitor("vao", counter_mode::entry, 13, c.at_minutes(15 * 60 + 50))) == scan_effect::visit_opened));
    note_keys();
    BOOST_TEST((scan(s, visitor("ra", counter_mode::exit, 13, c.at_minutes(16 * 60 + 10))) == scan_effect::visit_closed));
    note_keys();
    BOOST_TEST(count(path, "SELECT COUNT(*) FROM hash_keys") == 2);
    // Visitor 12 never left: max_duration closes the visit.
    auto expired = s.close_expired(c.at_minutes(16 * 60 + 20), settings());
    BOOST_TEST_REQUIRE(expired.has_value());
    BOOST_TEST(*expired == 1);
    // Two visitors come in after midnight and are still inside at the end.
    BOOST_TEST((scan(s, visitor("vao", counter_mode::entry, 14, c.at_minutes(16 * 60 + 25))) == scan_effect::visit_opened));
    open_at_end.insert(14);
    // The province acknowledged everything so far.
    auto acked = s.acknowledge(s.totals().last_seq, {}, c.t);
    BOOST_TEST_REQUIRE(acked.has_value());
    // The expiry task runs past the undo window: yesterday's key goes.
    forget(s, c.at_minutes(16 * 60 + 45));
    BOOST_TEST(count(path, "SELECT COUNT(*) FROM hash_keys") == 1);
    BOOST_TEST(count(path, "SELECT COUNT(*) FROM visits WHERE person_key IS NOT NULL") == 1);
    BOOST_TEST(count(path, "SELECT COUNT(*) FROM records WHERE person_key IS NOT NULL") == 0);
    BOOST_TEST(count(path, "SELECT COUNT(*) FROM visits WHERE name_masked IS NOT NULL AND closed_seq IS NOT NULL") == 1,
               "only the visit closed today keeps its masks");
    BOOST_TEST((scan(s, visitor("vao", counter_mode::entry, 15, c.at_minutes(16 * 60 + 46))) == scan_effect::visit_opened));
    open_at_end.insert(15);
    note_keys();

    // The thief copies the files while the daemon runs.
    fs::create_directories(d / "loot");
    for (const char* suffix : {"", "-wal"})
      if (fs::exists(path.string() + suffix)) fs::copy_file(path.string() + suffix, (d / "loot" / "ravao.db").string() + suffix);
  }
  BOOST_TEST(every_key.size() == 2u);
  const fs::path loot = d / "loot" / "ravao.db";
  // Raw bytes first (free pages and stale WAL frames included), then every table.
  std::string haystack = bytes_of(loot) + bytes_of(loot.string() + "-wal");
  haystack += every_value(loot);
  const std::vector<key_bytes> found_keys = keys_in(loot);
  BOOST_TEST(found_keys.size() == 1u);

  // 1. No ID number and no name in clear, anywhere.
  for (int k = 0; k <= 15; ++k) {
    BOOST_TEST(haystack.find(id_of(k)) == std::string::npos, "ID of visitor " << k << " in clear");
    BOOST_TEST(haystack.find(name_of(k)) == std::string::npos, "name of visitor " << k << " in clear");
  }
  // 2. The destroyed key left no copy, raw or hex.
  for (const auto& k : every_key) {
    if (std::find(found_keys.begin(), found_keys.end(), k) != found_keys.end()) continue;
    const std::string_view raw(reinterpret_cast<const char*>(k.data()), k.size());
    BOOST_TEST(haystack.find(raw) == std::string::npos, "a destroyed key survives");
    BOOST_TEST(haystack.find(hex(k)) == std::string::npos, "a destroyed key survives as hex");
  }
  // 3. Knowing every key the store ever had (more than a thief), no hash of a
  //    closed visit's ID number is left.
  for (int k = 0; k <= 13; ++k)
    for (const auto& key : every_key)
      BOOST_TEST(haystack.find(seal::keyed_hash(key, id_of(k))) == std::string::npos,
                 "a hash of visitor " << k << " survives");
  // 4. The brute force: with every key in the file, over the numbers a mask
  //    and a known province, sex and birth year leave (10^4 each), against
  //    every 64-hex-digit string in the copy. It finds the open visits only.
  std::set<std::string> hashes;
  for (std::size_t i = 0; i + 64 <= haystack.size(); ++i) {
    std::size_t n = 0;
    while (n < 64 && std::isxdigit(static_cast<unsigned char>(haystack[i + n])) &&
           !std::isupper(static_cast<unsigned char>(haystack[i + n])))
      ++n;
    if (n == 64) hashes.insert(haystack.substr(i, 64));
    i += n;
  }
  std::set<int> recovered;
  for (int k = 0; k <= 15; ++k) {
    const std::string last_two = id_of(k).substr(10);
    for (const auto& key : found_keys)
      for (int guess = 0; guess < 10'000; ++guess)
        if (hashes.contains(seal::keyed_hash(key, fmt::format("001090{:04}{}", guess, last_two)))) recovered.insert(k);
  }
  BOOST_TEST((recovered == open_at_end));
}

BOOST_AUTO_TEST_CASE(restart_mid_day_still_matches_an_exit_to_its_entry) {
  test::temp_dir d;
  fake_clock c;
  {
    auto s = open_store(d / "s.db");
    BOOST_TEST((scan(s, visitor("vao", counter_mode::entry, 1, c.at_minutes(0))) == scan_effect::visit_opened));
    BOOST_TEST((scan(s, visitor("quay", counter_mode::toggle, 2, c.at_minutes(1))) == scan_effect::visit_opened));
    // The expiry task ran meanwhile: open visits keep their hashes.
    forget(s, c.at_minutes(30));
  }
  auto s = open_store(d / "s.db");
  BOOST_TEST((scan(s, visitor("ra", counter_mode::exit, 1, c.at_minutes(60))) == scan_effect::visit_closed));
  BOOST_TEST((scan(s, visitor("quay", counter_mode::toggle, 2, c.at_minutes(61))) == scan_effect::visit_closed));
  BOOST_TEST(s.totals().open_visits == 0);
}

BOOST_AUTO_TEST_CASE(entry_before_midnight_matches_exit_after_and_the_old_key_then_goes) {
  test::temp_dir d;
  const fs::path path = d / "s.db";
  fake_clock c;
  auto s = open_store(path);
  BOOST_TEST((scan(s, visitor("vao", counter_mode::entry, 1, c.at_minutes(15 * 60 + 59))) == scan_effect::visit_opened));
  BOOST_TEST((scan(s, visitor("vao", counter_mode::entry, 2, c.at_minutes(15 * 60 + 59) )) == scan_effect::visit_opened));
  // 00:00:01: the first scan of the new day rotates the key.
  c.at_minutes(16 * 60);
  BOOST_TEST((scan(s, visitor("ra", counter_mode::exit, 1, c.plus_ms(1000))) == scan_effect::visit_closed));
  BOOST_TEST((scan(s, visitor("ra", counter_mode::exit, 1, c.plus_ms(1000))) == scan_effect::duplicate));
  BOOST_TEST(count(path, "SELECT COUNT(*) FROM hash_keys") == 2);
  // Visitor 2 is still inside: yesterday's key must live on.
  forget(s, c.at_minutes(16 * 60 + 30));
  BOOST_TEST(count(path, "SELECT COUNT(*) FROM hash_keys") == 2);
  BOOST_TEST((scan(s, visitor("ra", counter_mode::exit, 2, c.at_minutes(16 * 60 + 31))) == scan_effect::visit_closed));
  forget(s, c.at_minutes(16 * 60 + 35));
  BOOST_TEST(count(path, "SELECT COUNT(*) FROM hash_keys") == 2, "the undo window has not passed");
  forget(s, c.at_minutes(16 * 60 + 45));
  BOOST_TEST(count(path, "SELECT COUNT(*) FROM hash_keys") == 1);
  BOOST_TEST(count(path, "SELECT COUNT(*) FROM visits WHERE person_key IS NOT NULL") == 0);
}

BOOST_AUTO_TEST_CASE(without_a_synchronised_clock_the_key_changes_every_24_hours_of_uptime) {
  test::temp_dir d;
  const fs::path path = d / "s.db";
  fake_clock c;
  c.t.synced = false;
  auto s = open_store(path);
  BOOST_TEST((scan(s, visitor("vao", counter_mode::entry, 1, c.at_minutes(0))) == scan_effect::visit_opened));
  BOOST_TEST((scan(s, visitor("vao", counter_mode::entry, 2, c.at_minutes(60))) == scan_effect::visit_opened));
  BOOST_TEST(count(path, "SELECT COUNT(*) FROM hash_keys") == 1);
  BOOST_TEST((scan(s, visitor("ra", counter_mode::exit, 1, c.at_minutes(25 * 60))) == scan_effect::visit_closed));
  BOOST_TEST(count(path, "SELECT COUNT(*) FROM hash_keys") == 2);
}

BOOST_AUTO_TEST_CASE(a_schema_4_store_keeps_matching_its_open_visit_then_destroys_its_one_key) {
  test::temp_dir d;
  const fs::path path = d / "s.db";
  fake_clock c;
  {
    auto s = open_store(path);
    BOOST_TEST((scan(s, visitor("vao", counter_mode::entry, 1, c.at_minutes(0))) == scan_effect::visit_opened));
    BOOST_TEST((scan(s, visitor("vao", counter_mode::entry, 2, c.at_minutes(1))) == scan_effect::visit_opened));
    BOOST_TEST((scan(s, visitor("ra", counter_mode::exit, 2, c.at_minutes(2))) == scan_effect::visit_closed));
  }
  {
    // Back to schema 4's shape: one key for ever in meta, every hash kept.
    sqlite3* db = nullptr;
    BOOST_TEST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    BOOST_TEST_REQUIRE(sqlite3_exec(db,
        "INSERT OR REPLACE INTO meta(key, value) SELECT 'person_hash_key', lower(hex(key)) FROM hash_keys LIMIT 1;"
        "UPDATE visits SET person_key=(SELECT person_key FROM records r WHERE r.seq=visits.opened_seq) "
        "WHERE person_key IS NULL AND opened_seq IS NOT NULL;"
        "DROP TABLE hash_keys; ALTER TABLE visits DROP COLUMN key_id;"
        "ALTER TABLE records DROP COLUMN actor;"  // schema 7's
        "ALTER TABLE records DROP COLUMN action; ALTER TABLE records DROP COLUMN printer_id;"  // schema 8's
        "ALTER TABLE dead_letters DROP COLUMN unknown_type;"
        "DELETE FROM meta WHERE key='hashes_forgotten_through'; PRAGMA user_version = 4;",
        nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    BOOST_TEST_REQUIRE(count(path, "SELECT COUNT(*) FROM meta WHERE key='person_hash_key'") == 1);
  }
  auto s = open_store(path);
  BOOST_TEST(s.health().schema_version == store_writer::schema_version);
  BOOST_TEST(count(path, "SELECT COUNT(*) FROM meta WHERE key='person_hash_key'") == 0);
  BOOST_TEST(count(path, "SELECT COUNT(*) FROM visits WHERE person_key IS NOT NULL") == 1, "the open visit only");
  BOOST_TEST(count(path, "SELECT COUNT(*) FROM records WHERE person_key IS NOT NULL") == 0);
  BOOST_TEST(count(path, "SELECT COUNT(*) FROM hash_keys WHERE retired_boot_id IS NOT NULL") == 1);
  // The visit opened under the old key closes at the exit.
  BOOST_TEST((scan(s, visitor("ra", counter_mode::exit, 1, c.at_minutes(60))) == scan_effect::visit_closed));
  BOOST_TEST(count(path, "SELECT COUNT(*) FROM hash_keys") == 2);
  // The migration retired the old key now (by this process's clock); the
  // test's clock is not that one, so a later boot time is what destroys it.
  forget(s, c.at_minutes(60 * 24 * 400));
  BOOST_TEST(count(path, "SELECT COUNT(*) FROM hash_keys") == 1);
}
