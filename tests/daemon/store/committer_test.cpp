// The committer on a real SQLite file: group commit, the order of store work
// after scans, async_run's cancellation (before and after the writer started
// the work), draining at stop, the bounded queue, and retrying a commit
// that failed because another connection held the write lock.

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <atomic>
#include <future>

#include "store/committer.hpp"
#include "support/harness.hpp"
#include "support/writer_stall.hpp"

using namespace ravao;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

scan_request opaque_scan(std::string text) {
  scan_request r;
  r.counter_id = "c1";
  r.payload.kind = payload_kind::opaque;
  r.payload.text = std::move(text);
  r.at = now();
  return r;
}

// A committer on a fresh store in a temp folder, reporting to `io`.
struct fixture {
  test::temp_dir dir;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(io);
  std::vector<commit_report> reports;
  std::vector<error> failures;
  std::unique_ptr<committer> c;

  explicit fixture(std::size_t max_pending = 10'000, std::chrono::milliseconds retry = 10ms) {
    auto s = store_writer::open(path());
    BOOST_TEST_REQUIRE(s.has_value());
    c = std::make_unique<committer>(
        std::move(*s), visits_config{}, 30, io.get_executor(), [this](commit_report r) { reports.push_back(std::move(r)); },
        [this](const error& e, std::size_t) { failures.push_back(e); }, max_pending, retry);
  }
  ~fixture() {
    if (c) c->stop();
  }
  std::filesystem::path path() const { return dir.path() / "ravao.db"; }

  bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds deadline = 20s) {
    return test::run_until(io, pred, deadline);
  }
  std::size_t scans_reported() const {
    std::size_t n = 0;
    for (const auto& r : reports) n += r.scans.size();
    return n;
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(scans_submitted_while_the_writer_is_busy_go_into_one_batch) {
  fixture f;
  auto release = test::stall_writer(*f.c);
  for (int i = 0; i < 5; ++i) BOOST_TEST(f.c->submit(opaque_scan("x" + std::to_string(i)), std::chrono::steady_clock::now()));
  release.set_value();
  BOOST_TEST_REQUIRE(f.run_until([&] { return f.scans_reported() == 5; }));
  const auto batch = std::find_if(f.reports.begin(), f.reports.end(), [](const auto& r) { return !r.scans.empty(); });
  BOOST_TEST(batch->scans.size() == 5u);
}

BOOST_AUTO_TEST_CASE(async_run_sees_every_scan_submitted_before_it) {
  fixture f;
  auto release = test::stall_writer(*f.c);
  for (int i = 0; i < 3; ++i) f.c->submit(opaque_scan("s" + std::to_string(i)), std::chrono::steady_clock::now());
  std::optional<std::int64_t> last_seq;
  f.c->async_run<std::int64_t>([](store_writer& s) { return s.totals().last_seq; },
                               [&](boost::system::error_code ec, std::int64_t seq) {
                                 BOOST_TEST(!ec);
                                 last_seq = seq;
                               });
  release.set_value();
  BOOST_TEST_REQUIRE(f.run_until([&] { return last_seq.has_value() && f.scans_reported() == 3; }));
  BOOST_TEST(*last_seq >= 3);
}

BOOST_AUTO_TEST_CASE(cancelled_before_the_writer_started_it_the_work_never_runs) {
  fixture f;
  auto release = test::stall_writer(*f.c);
  auto ran = std::make_shared<std::atomic<bool>>(false);
  asio::cancellation_signal cancel;
  std::optional<boost::system::error_code> done;
  f.c->async_run<int>([ran](store_writer&) { *ran = true; return 1; },
                      asio::bind_cancellation_slot(cancel.slot(), [&](boost::system::error_code ec, int) { done = ec; }));
  cancel.emit(asio::cancellation_type::terminal);
  BOOST_TEST_REQUIRE(f.run_until([&] { return done.has_value(); }));
  BOOST_TEST((*done == asio::error::operation_aborted));
  release.set_value();
  f.c->stop();  // whatever was queued has been run or dropped by now
  BOOST_TEST(!*ran);
}

BOOST_AUTO_TEST_CASE(cancelled_after_the_writer_started_it_the_real_result_is_delivered) {
  fixture f;
  std::promise<void> started, release;
  auto started_f = started.get_future();
  asio::cancellation_signal cancel;
  std::optional<std::pair<boost::system::error_code, int>> done;
  f.c->async_run<int>(
      [&started, r = release.get_future().share()](store_writer&) {
        started.set_value();
        r.wait();
        return 42;
      },
      asio::bind_cancellation_slot(cancel.slot(),
                                   [&](boost::system::error_code ec, int v) { done.emplace(ec, v); }));
  started_f.wait();
  cancel.emit(asio::cancellation_type::terminal);
  release.set_value();
  BOOST_TEST_REQUIRE(f.run_until([&] { return done.has_value(); }));
  BOOST_TEST(!done->first);
  BOOST_TEST(done->second == 42);
}

BOOST_AUTO_TEST_CASE(stop_commits_everything_submitted) {
  fixture f;
  for (int i = 0; i < 50; ++i) f.c->submit(opaque_scan("d" + std::to_string(i)), std::chrono::steady_clock::now());
  f.c->stop();
  BOOST_TEST(f.c->totals().last_seq >= 50);
  BOOST_TEST_REQUIRE(f.run_until([&] { return f.scans_reported() == 50; }));
  // After stop, work is refused: never run, completed as aborted.
  std::optional<boost::system::error_code> done;
  f.c->async_run<int>([](store_writer&) { return 1; }, [&](boost::system::error_code ec, int) { done = ec; });
  BOOST_TEST_REQUIRE(f.run_until([&] { return done.has_value(); }));
  BOOST_TEST((*done == asio::error::operation_aborted));
  BOOST_TEST(!f.c->submit(opaque_scan("late"), std::chrono::steady_clock::now()));
}

BOOST_AUTO_TEST_CASE(past_max_pending_new_scans_are_refused) {
  fixture f(/*max_pending=*/3);
  auto release = test::stall_writer(*f.c);
  for (int i = 0; i < 3; ++i) BOOST_TEST(f.c->submit(opaque_scan("q" + std::to_string(i)), std::chrono::steady_clock::now()));
  BOOST_TEST(f.c->pending() == 3u);
  BOOST_TEST(!f.c->submit(opaque_scan("q3"), std::chrono::steady_clock::now()));
  release.set_value();
  BOOST_TEST_REQUIRE(f.run_until([&] { return f.scans_reported() == 3; }));
}

BOOST_AUTO_TEST_CASE(a_commit_that_failed_on_a_locked_store_is_retried_and_lands) {
  fixture f;
  // A second connection holding the write lock: the committer's transaction
  // fails with "database is locked" (after the store's busy timeout).
  sqlite3* other = nullptr;
  BOOST_TEST_REQUIRE(sqlite3_open(f.path().c_str(), &other) == SQLITE_OK);
  BOOST_TEST_REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  f.c->submit(opaque_scan("held"), std::chrono::steady_clock::now());
  BOOST_TEST_REQUIRE(f.run_until([&] { return !f.failures.empty(); }, 60s));
  BOOST_TEST(!f.c->state().available);
  BOOST_TEST(f.scans_reported() == 0u);  // nothing acknowledged while failing
  BOOST_TEST_REQUIRE(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(other);
  BOOST_TEST_REQUIRE(f.run_until([&] { return f.scans_reported() == 1; }, 60s));
  BOOST_TEST(f.c->state().available);
}

BOOST_AUTO_TEST_CASE(the_watcher_is_told_of_each_commit_that_wrote_records_and_of_nothing_else) {
  fixture f;
  std::vector<std::int64_t> told;
  f.c->watch_records(f.io.get_executor(), [&](std::int64_t seq) { told.push_back(seq); });
  f.c->submit(opaque_scan("w1"), std::chrono::steady_clock::now());
  BOOST_TEST_REQUIRE(f.run_until([&] { return told.size() == 1; }));
  BOOST_TEST(told[0] == f.c->totals().last_seq);
  // Store work that writes a record (a device event) is told too.
  f.c->run_on_store([](store_writer& s) { BOOST_TEST(s.log_device_event("s1", "offline", now()).has_value()); });
  BOOST_TEST_REQUIRE(f.run_until([&] { return told.size() == 2; }));
  BOOST_TEST(told[1] == told[0] + 1);
  // Work that writes no record (an acknowledgement) is not: the next notice
  // is the next scan's (notices arrive in order).
  std::optional<boost::system::error_code> done;
  f.c->async_run<int>([](store_writer& s) { return s.acknowledge(1, {}, now()).has_value() ? 1 : 0; },
                      [&](boost::system::error_code ec, int) { done = ec; });
  BOOST_TEST_REQUIRE(f.run_until([&] { return done.has_value(); }));
  f.c->submit(opaque_scan("w2"), std::chrono::steady_clock::now());
  BOOST_TEST_REQUIRE(f.run_until([&] { return told.size() == 3; }));
  BOOST_TEST(told[2] == told[1] + 1);
  // Once the watch has ended nothing more is told.
  f.c->watch_records({}, {});
  f.c->submit(opaque_scan("w3"), std::chrono::steady_clock::now());
  f.c->stop();
  BOOST_TEST_REQUIRE(f.run_until([&] { return f.scans_reported() == 3; }));
  BOOST_TEST(told.size() == 3u);
}
