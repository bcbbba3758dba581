// A store made before 1 KiB pages (SQLite's default 4 KiB) is rebuilt with
// them at open (store/page_size.cpp): its records, visits and sequence are
// kept; and a rebuild killed at any of its writes leaves a store the next
// open starts from, whole, and converts.

#include <boost/test/unit_test.hpp>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include <fmt/format.h>

#include "store/schema.hpp"
#include "store/store.hpp"
#include "support/harness.hpp"
#include "support/scans.hpp"
#include "support/sqlite_faults.hpp"

using namespace ravao;
using ravao::test::person_scan;
using ravao::test::settings;
namespace fs = std::filesystem;
namespace faults = ravao::test::sqlite_faults;

namespace {

store_options with_key() {
  static const seal::key_pair k = seal::generate();
  store_options o;
  o.province_key = k.pub;
  return o;
}

// What must survive a rebuild: every record in the protocol's form, and the
// open visits.
struct contents {
  std::string records_json;
  std::size_t open_visits = 0;
  bool operator==(const contents&) const = default;
};

contents contents_of(const store_reader& s) {
  auto b = s.read_upload_batch(0, 100'000, 64 << 20);
  BOOST_TEST_REQUIRE(b.has_value(), (b ? "" : b.error().message()));
  visit_filter f;
  f.open_only = true;
  auto v = s.visits(f);
  BOOST_TEST_REQUIRE(v.has_value());
  return {b->records_json, v->size()};
}

// A day's worth of a small branch: 60 visitors, half of them leaving again,
// and parcel codes, each scan its own commit.
void fill(const fs::path& path) {
  auto s = store_writer::open(path, with_key());
  BOOST_TEST_REQUIRE(s.has_value(), (s ? "" : s.error().message()));
  timestamp t{1'763'880'000'000, 1'000'000'000'000, true};
  for (int i = 0; i < 90; ++i) {
    t.wall_ms += 20'000;
    t.boottime_ns += 20'000'000'000;
    const scan_request r = i % 3 == 2 ? test::text_scan("c1", payload_kind::opaque, fmt::format("EB{:09}VN", i), t)
                                      : person_scan("c1", counter_mode::toggle, fmt::format("0010900{:05}", i / 2), t);
    auto out = s->apply(std::span(&r, 1), {}, settings());
    BOOST_TEST_REQUIRE(out.has_value(), (out ? "" : out.error().message()));
  }
}

std::string pragma(const fs::path& path, std::string_view name) {
  sqlite3* db = nullptr;
  BOOST_TEST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  BOOST_TEST_REQUIRE(sqlite3_prepare_v2(db, fmt::format("PRAGMA {}", name).c_str(), -1, &st, nullptr) == SQLITE_OK);
  std::string v = sqlite3_step(st) == SQLITE_ROW ? reinterpret_cast<const char*>(sqlite3_column_text(st, 0)) : "";
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

// Rebuilds the store file with `bytes` pages, as releases before 1 KiB
// pages made it.
void repage(const fs::path& path, int bytes) {
  sqlite3* db = nullptr;
  BOOST_TEST_REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(
      db, fmt::format("PRAGMA journal_mode=DELETE; PRAGMA page_size={}; VACUUM; PRAGMA journal_mode=WAL", bytes).c_str(),
      nullptr, nullptr, &err);
  BOOST_TEST_REQUIRE(rc == SQLITE_OK, (err ? err : ""));
  sqlite3_close(db);
  BOOST_TEST_REQUIRE(pragma(path, "page_size") == std::to_string(bytes));
}

// An old store with data, and what it holds.
contents old_store(const fs::path& path) {
  fill(path);
  contents c;
  {
    auto s = store_writer::open(path, with_key());
    BOOST_TEST_REQUIRE(s.has_value());
    c = contents_of(*s);
  }
  BOOST_TEST_REQUIRE(c.open_visits > 0u);
  repage(path, 4096);
  return c;
}

void copy_store(const fs::path& from, const fs::path& to) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    fs::remove(to.string() + suffix);
    if (fs::exists(from.string() + suffix)) fs::copy_file(from.string() + suffix, to.string() + suffix);
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_store_with_4096_byte_pages_is_rebuilt_with_1024_byte_pages_and_keeps_its_data) {
  test::temp_dir dir;
  const fs::path path = dir / "ravao.db";
  const contents before = old_store(path);
  {
    auto s = store_writer::open(path, with_key());
    BOOST_TEST_REQUIRE(s.has_value(), (s ? "" : s.error().message()));
    BOOST_TEST((contents_of(*s) == before));
    // The sequence goes on where it was.
    timestamp t{1'763'990'000'000, 2'000'000'000'000, true};
    const scan_request r = test::text_scan("c1", payload_kind::opaque, "EB999999999VN", t);
    auto out = s->apply(std::span(&r, 1), {}, settings());
    BOOST_TEST_REQUIRE(out.has_value());
    BOOST_TEST(out->front().seq == s->totals().last_seq);
  }
  BOOST_TEST(pragma(path, "page_size") == std::to_string(schema::store_page_size));
  BOOST_TEST(pragma(path, "journal_mode") == "wal");
  BOOST_TEST(pragma(path, "quick_check") == "ok");
  BOOST_TEST(!fs::exists(path.string() + "-journal"));
}

BOOST_AUTO_TEST_CASE(a_rebuild_killed_at_any_write_leaves_a_store_that_opens_whole_and_is_converted) {
  test::temp_dir dir;
  const fs::path pristine = dir / "old.db";
  const fs::path path = dir / "ravao.db";
  const contents before = old_store(pristine);
  int killed = 0;
  for (std::int64_t n = 1;; ++n) {
    BOOST_TEST_REQUIRE(n < 5000, "the rebuild never completed");
    copy_store(pristine, path);
    const pid_t child = ::fork();
    BOOST_TEST_REQUIRE(child >= 0);
    if (child == 0) {
      faults::install();
      faults::exit_at_nth(faults::op::write, n, 42);
      const bool opened = store_writer::open(path, with_key()).has_value();
      ::_exit(opened ? 0 : 1);
    }
    int status = 0;
    BOOST_TEST_REQUIRE(::waitpid(child, &status, 0) == child);
    BOOST_TEST_REQUIRE(WIFEXITED(status));
    BOOST_TEST_REQUIRE((WEXITSTATUS(status) == 42 || WEXITSTATUS(status) == 0), "write " << n << ": open failed");
    // Killed at write n, or completed: the next start opens the store with
    // everything in it, and with 1 KiB pages.
    auto s = store_writer::open(path, with_key());
    BOOST_TEST_REQUIRE(s.has_value(), "after a kill at write " << n << ": " << (s ? "" : s.error().message()));
    BOOST_TEST_REQUIRE((contents_of(*s) == before), "after a kill at write " << n);
    BOOST_TEST_REQUIRE(pragma(path, "page_size") == std::to_string(schema::store_page_size));
    if (WEXITSTATUS(status) == 0) break;
    ++killed;
  }
  BOOST_TEST_MESSAGE("the rebuild was killed at each of its " << killed << " writes");
  BOOST_TEST(killed > 10);  // the rebuild writes many times: every one was a kill point
}
