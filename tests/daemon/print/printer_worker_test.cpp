// One printer's print queue (daemon/print/printer_worker.*; docs/slips.md
// "Print queue") against real transports: a file printer in a temp folder
// (no status: driven blind) and a TCP printer on loopback talking to the
// fake ESC/POS printer (status answered). The worker's hooks are fed from a
// real SQLite store, as ravaod feeds them (jobs read, states written).
// Every wait has a deadline; nothing asserts on time.

#include <boost/test/unit_test.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <sqlite3.h>

#include "drivers/escpos/encoder.hpp"
#include "drivers/file_printer.hpp"
#include "drivers/tcp_printer.hpp"
#include "print/printer_worker.hpp"
#include "slip/render_job.hpp"
#include "store/store.hpp"
#include "support/escpos_decoder.hpp"
#include "support/fake_printer.hpp"
#include "support/harness.hpp"
#include "support/io_loop.hpp"

namespace asio = boost::asio;
namespace escpos = ravao::escpos;
namespace test = ravao::test;
using namespace ravao;
using namespace std::chrono_literals;

namespace {

slip::job_content test_page_job() {
  return slip::test_page_content{.site_name = "Bưu điện Ba Đình", .printer_id = "p1", .profile_name = "generic",
                                 .printed_at = {}};
}

// A transport that forwards to a real one and fails its n-th write (1-based)
// with broken_pipe, as a printer unplugged in the middle of a job does: the
// fail-count idea of Beast's test stream.
class failing_transport final : public printer_transport {
 public:
  failing_transport(std::shared_ptr<printer_transport> real, int fail_write)
      : real_(std::move(real)), fail_write_(fail_write) {}
  void start() override { real_->start(); }
  void stop() override { real_->stop(); }
  bool can_read() const override { return real_->can_read(); }
  asio::awaitable<result<std::size_t>> write(std::span<const std::uint8_t> data) override {
    if (++writes_ == fail_write_)
      co_return fail(std::make_error_code(std::errc::broken_pipe), "injected: the printer hung up");
    co_return co_await real_->write(data);
  }
  asio::awaitable<result<std::size_t>> read(std::span<std::uint8_t> into, std::chrono::milliseconds timeout) override {
    return real_->read(into, timeout);
  }
  result<void> begin_job(std::string_view name, const raster& preview) override {
    return real_->begin_job(name, preview);
  }
  result<void> end_job(bool complete) override { return real_->end_job(complete); }
  int writes() const { return writes_; }

 private:
  std::shared_ptr<printer_transport> real_;
  int fail_write_;
  int writes_ = 0;
};

struct job_event {
  std::int64_t id = 0;
  std::string outcome;
  std::string detail;
};

struct fixture {
  test::temp_dir dir;
  asio::io_context io;
  std::optional<store_writer> db;
  std::shared_ptr<slip::fonts> fonts;
  printer_config cfg;
  std::shared_ptr<printer_transport> transport;
  std::shared_ptr<print::printer_worker> worker;
  std::vector<job_event> events;
  std::vector<escpos::printer_status> statuses;

  fixture() {
    auto s = store_writer::open(dir / "ravao.db");
    BOOST_TEST_REQUIRE(s.has_value(), (s ? "" : s.error().message()));
    db.emplace(std::move(*s));
    auto f = slip::fonts::open_default();
    BOOST_TEST_REQUIRE(f.has_value(), (f ? "" : f.error().message()));
    fonts = std::make_shared<slip::fonts>(std::move(*f));
    cfg.id = "p1";
    cfg.paper_width_mm = 80;
  }
  ~fixture() {
    if (worker) worker->stop();
    if (transport) transport->stop();
    io.restart();
    io.run_for(10s);  // the worker's and the transport's coroutines end
  }

  // The transport's state goes to the worker, as in ravaod (daemon/print_service.cpp).
  printer_sink sink() {
    return printer_sink{[this](device_state s, std::string_view) {
      if (worker) worker->transport_state(s);
    }};
  }
  void use_file_printer() {
    cfg.kind = printer_kind::file;
    cfg.path = dir / "out";
    transport = std::make_shared<file_printer>(cfg, io.get_executor(), sink(), file_printer_options{100ms});
  }
  void use_tcp_printer(const test::fake_tcp_printer& fake) {
    cfg.kind = printer_kind::tcp;
    cfg.address = fake.address();
    transport = std::make_shared<tcp_printer>(cfg, io.get_executor(), sink());
  }
  void start() {
    print::worker_hooks hooks;
    hooks.pending = [this]() -> result<std::vector<print_job_row>> {
      job_filter f;
      f.printer_id = "p1";
      f.pending_only = true;
      f.limit = 20;
      return db->jobs(f);
    };
    hooks.set_state = [this](std::int64_t id, job_state to, std::string error) {
      auto r = db->set_job_state(id, to, error, now());
      BOOST_TEST(r.has_value(), (r ? "" : r.error().message()));
    };
    hooks.on_status = [this](escpos::printer_status, escpos::printer_status to, std::string_view) {
      statuses.push_back(to);
    };
    hooks.on_job = [this](const print_job_row& j, std::string_view outcome, std::string_view detail) {
      events.push_back({j.id, std::string(outcome), std::string(detail)});
    };
    worker = std::make_shared<print::printer_worker>(io.get_executor(), cfg, transport, fonts, std::move(hooks));
    worker->start();
    transport->start();
  }

  std::int64_t add_job() {
    auto j = db->add_job(job_request{"p1", "c1", test_page_job(), now()});
    BOOST_TEST_REQUIRE(j.has_value(), (j ? "" : j.error().message()));
    if (worker) worker->wake();  // as ravaod does after adding a job
    return j->id;
  }
  // A job row whose stored kind or content the daemon would never write (a
  // damaged file, a job from a newer version): put there with SQL on a
  // second connection, as only such damage could.
  std::int64_t add_damaged_job(std::string_view kind, std::string_view content) {
    sqlite3* raw = nullptr;
    BOOST_TEST_REQUIRE(sqlite3_open((dir / "ravao.db").c_str(), &raw) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    BOOST_TEST_REQUIRE(sqlite3_prepare_v2(raw,
                                          "INSERT INTO print_jobs(printer_id, counter_id, kind, content, state, "
                                          "created_wall_ms) VALUES ('p1', 'c1', ?1, ?2, 'queued', 1)",
                                          -1, &st, nullptr) == SQLITE_OK);
    sqlite3_bind_text(st, 1, kind.data(), static_cast<int>(kind.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, content.data(), static_cast<int>(content.size()), SQLITE_TRANSIENT);
    BOOST_TEST_REQUIRE(sqlite3_step(st) == SQLITE_DONE, sqlite3_errmsg(raw));
    sqlite3_finalize(st);
    const std::int64_t id = sqlite3_last_insert_rowid(raw);
    sqlite3_close(raw);
    if (worker) worker->wake();
    return id;
  }
  print_job_row job(std::int64_t id) {
    job_filter f;
    f.printer_id = "p1";
    f.limit = 100;
    auto all = db->jobs(f);
    BOOST_TEST_REQUIRE(all.has_value());
    const auto it = std::ranges::find_if(*all, [&](const print_job_row& j) { return j.id == id; });
    BOOST_TEST_REQUIRE((it != all->end()));
    return *it;
  }
  bool has_event(std::int64_t id, std::string_view outcome) const {
    return std::ranges::any_of(events, [&](const job_event& e) { return e.id == id && e.outcome == outcome; });
  }
  std::size_t count_events(std::string_view outcome) const {
    return static_cast<std::size_t>(
        std::ranges::count_if(events, [&](const job_event& e) { return e.outcome == outcome; }));
  }

  // Runs the loop until pred() holds; false at the deadline (a hang guard).
  bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds limit = 30s) {
    return ravao::test::run_until(io, pred, limit);
  }
  bool until_state(std::int64_t id, job_state s) {
    return run_until([&] { return job(id).state == s; });
  }

  // What the printer must print for the test page: drawn, encoded and decoded
  // here, independently of the worker.
  raster expected_page() {
    auto image = slip::render_job(*fonts, test_page_job(), worker->profile().dots_per_line);
    BOOST_TEST_REQUIRE(image.has_value());
    auto encoded = escpos::encode_raster_job(*image, worker->profile());
    BOOST_TEST_REQUIRE(encoded.has_value());
    auto decoded = test::decode_escpos(encoded->bytes);
    BOOST_TEST_REQUIRE(decoded.has_value());
    return decoded->pages.at(0);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_job_on_a_file_printer_is_printed_and_marked_done, fixture) {
  use_file_printer();
  start();
  const auto id = add_job();
  BOOST_TEST_REQUIRE(until_state(id, job_state::printed));
  const auto j = job(id);
  BOOST_TEST(j.attempts == 1);
  BOOST_TEST(j.done_wall_ms.has_value());
  BOOST_TEST(has_event(id, "printed"));
  BOOST_TEST(worker->jobs_printed() == 1u);
  BOOST_TEST(!worker->status().has_value());  // a file reports no status: driven blind
  const auto name = "test-job" + std::to_string(id);
  BOOST_TEST(std::filesystem::exists(dir / "out" / (name + ".png")));
  const auto bin = test::read_file(dir / "out" / (name + ".bin"));
  const auto decoded = test::decode_escpos(std::span(reinterpret_cast<const std::uint8_t*>(bin.data()), bin.size()));
  BOOST_TEST_REQUIRE(decoded.has_value());
  BOOST_TEST((decoded->pages.at(0) == expected_page()));
}

BOOST_FIXTURE_TEST_CASE(wake_while_idle_prints_a_new_job, fixture) {
  // A file printer cannot be asked for status: idle, the worker sleeps for an
  // hour, so only wake() gets a new job printed.
  use_file_printer();
  start();
  BOOST_TEST_REQUIRE(run_until([&] { return std::filesystem::exists(dir / "out"); }));  // online
  io.restart();
  io.poll();  // the worker has gone idle: nothing is ready to run
  const auto first = add_job();
  BOOST_TEST_REQUIRE(until_state(first, job_state::printed));
  io.poll();
  const auto second = add_job();
  BOOST_TEST_REQUIRE(until_state(second, job_state::printed));
  BOOST_TEST(worker->jobs_printed() == 2u);
}

BOOST_FIXTURE_TEST_CASE(a_job_that_cannot_be_drawn_fails_without_retry, fixture) {
  use_file_printer();
  start();
  const auto bad = add_damaged_job("test", "this is not JSON");
  const auto unknown = add_damaged_job("poster", "{}");
  const auto good = add_job();
  BOOST_TEST_REQUIRE(until_state(good, job_state::printed));
  for (auto id : {bad, unknown}) {
    const auto j = job(id);
    BOOST_TEST((j.state == job_state::failed));
    BOOST_TEST(j.attempts == 0);  // never sent
    BOOST_TEST(!j.last_error.empty());
    BOOST_TEST(has_event(id, "failed"));
    BOOST_TEST(!has_event(id, "requeued"));
  }
  BOOST_TEST(count_events("failed") == 2u);
  BOOST_TEST(worker->jobs_printed() == 1u);
  std::size_t bins = 0;  // only the good job left files
  for (const auto& e : std::filesystem::directory_iterator(dir / "out")) bins += e.path().extension() == ".bin";
  BOOST_TEST(bins == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_job_on_a_tcp_printer_is_printed_once_the_printer_reports_ready, fixture) {
  test::fake_tcp_printer fake;
  use_tcp_printer(fake);
  start();
  const auto id = add_job();
  BOOST_TEST_REQUIRE(until_state(id, job_state::printed));
  BOOST_TEST_REQUIRE(fake.wait_for_jobs(1));
  const auto jobs = fake.jobs();
  BOOST_TEST(jobs.size() == 1u);
  BOOST_TEST((jobs.at(0).image == expected_page()));
  BOOST_TEST(jobs.at(0).cut);
  BOOST_TEST(fake.violations().empty(), (fake.violations().empty() ? "" : fake.violations().front()));
  BOOST_TEST(fake.status_requests() > 0u);
  BOOST_TEST((worker->status() == escpos::printer_status::online));
}

BOOST_FIXTURE_TEST_CASE(paper_out_holds_the_queue_and_it_resumes_when_ready, fixture) {
  test::fake_tcp_printer fake;
  fake.set_condition({.paper_out = true});
  use_tcp_printer(fake);
  start();
  const auto id = add_job();
  BOOST_TEST_REQUIRE(run_until([&] { return has_event(id, "held"); }));
  BOOST_TEST(worker->holding());
  BOOST_TEST((worker->status() == escpos::printer_status::paper_out));
  BOOST_TEST((job(id).state == job_state::queued));
  // Held: the printer is asked again and again, and no byte of the job goes.
  const auto asked = fake.status_requests();
  BOOST_TEST_REQUIRE(run_until([&] { return fake.status_requests() > asked + 3; }));
  BOOST_TEST(fake.jobs().empty());
  BOOST_TEST(fake.bytes_while_not_ready() == 0u);
  BOOST_TEST(count_events("held") == 1u);  // reported once, not at each poll

  fake.set_condition({});
  BOOST_TEST_REQUIRE(until_state(id, job_state::printed));
  BOOST_TEST(!worker->holding());
  BOOST_TEST(fake.bytes_while_not_ready() == 0u);
  BOOST_TEST_REQUIRE(fake.wait_for_jobs(1));
  BOOST_TEST((fake.jobs().back().image == expected_page()));
  BOOST_TEST(job(id).attempts == 1);
}

// Fails the n-th write on the connection (1: the status request before the
// job; 2: the first band; 4: the second band, after a status request): the
// job waits or goes back to the queue, and is then printed again in full.
BOOST_AUTO_TEST_CASE(a_failed_write_requeues_the_job_and_it_is_printed_again_in_full) {
  for (int n : {1, 2, 4}) {
    BOOST_TEST_CONTEXT("write " << n << " fails") {
      fixture f;
      test::fake_tcp_printer fake;
      f.use_tcp_printer(fake);
      auto failing = std::make_shared<failing_transport>(f.transport, n);
      f.transport = failing;
      f.start();
      const auto id = f.add_job();
      BOOST_TEST_REQUIRE(f.until_state(id, job_state::printed));
      BOOST_TEST(failing->writes() > n);
      if (n > 1) {
        BOOST_TEST(f.has_event(id, "requeued"));
        BOOST_TEST(f.job(id).attempts == 2);
        const auto e = std::ranges::find_if(f.events, [](const job_event& x) { return x.outcome == "requeued"; });
        BOOST_TEST(e->detail.find("injected: the printer hung up") != std::string::npos, e->detail);
      }
      BOOST_TEST_REQUIRE(fake.wait_for_jobs(1));
      BOOST_TEST((fake.jobs().back().image == f.expected_page()));
      BOOST_TEST(f.worker->jobs_printed() == 1u);
    }
  }
}
