// The store under SQLite faults (tests/support/sqlite_faults.hpp): a
// realistic sequence (open, scans, a slip, print jobs, the print queue's
// read, the upload batch, the acknowledgement, a restart) is run again and
// again, the 1st, 2nd, ... nth prepare / read / write / fsync failing, until
// a run no longer reaches n. For every n:
//   - the failure comes back as a result error: no exception, no crash, no
//     sanitizer report;
//   - no transaction stays open: the same call, retried once the fault is
//     cleared, succeeds (as the committer retries a batch);
//   - nothing acknowledged is lost and nothing is stored twice: the store
//     ends exactly as a run without faults does.
// A bind that fails (SQLITE_TOOBIG under a lowered SQLITE_LIMIT_LENGTH) is
// shown apart: it is an error from run(), and the statement works again.

#include <boost/test/unit_test.hpp>

#include <fmt/format.h>

#include <optional>
#include <string>

#include "slip/slip_number.hpp"
#include "store/store.hpp"
#include "support/harness.hpp"
#include "support/scans.hpp"
#include "support/sqlite_faults.hpp"

using namespace ravao;
namespace faults = ravao::test::sqlite_faults;

namespace {

slip::slip_content slip_content() {
  slip::slip_content c;
  c.site_name = "Bưu điện";
  c.counter_name = "Quầy 1";
  return c;
}

// Calls f; an exception escaping it is a test error, turned into an error result.
template <class F>
auto attempt(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    BOOST_ERROR("an exception escaped: " << e.what());
  }
  return std::unexpected(error{make_error_code(errc::protocol), "exception"});
}

// One step of the sequence: a failure must be the injected fault, reported
// as an error; the same call once the fault is cleared must then succeed.
template <class F>
auto step(F&& f, int& failures) -> decltype(f()) {
  auto r = attempt(f);
  if (!r) {
    BOOST_TEST_REQUIRE(faults::fired(), "failed without an injected fault: " << r.error().message());
    ++failures;
    faults::disarm();
    r = attempt(f);
    BOOST_TEST_REQUIRE(r.has_value(), "failed again once the fault was cleared: " << (r ? "" : r.error().message()));
  }
  return r;
}

scan_request cccd(std::string id, const timestamp& at) {
  return ravao::test::person_scan("c1", counter_mode::toggle, std::move(id), at);
}

scan_request event(std::string text, const timestamp& at) {
  return ravao::test::text_scan("c2", payload_kind::ravao_command, std::move(text), at);
}

// What the store holds, without the per-run boot stamps.
std::string digest(const store_reader& s, const timestamp& at) {
  std::string out;
  record_filter rf;
  rf.limit = 1000;
  auto records = s.records(rf);
  BOOST_TEST_REQUIRE(records.has_value());
  for (const auto& r : *records)
    out += fmt::format("r {} {} {} {} {} {} {}\n", r.seq, r.type, r.counter_id, r.visit_id, r.ref.value_or(-1),
                       r.close_reason, r.payload);
  visit_filter vf;
  vf.limit = 1000;
  auto visits = s.visits(vf);
  BOOST_TEST_REQUIRE(visits.has_value());
  for (const auto& v : *visits)
    out += fmt::format("v {} {} {} {} {}\n", v.id, v.counter_id, v.close_reason, v.duplicates, v.rescans);
  job_filter jf;
  jf.limit = 1000;
  auto jobs = s.jobs(jf);
  BOOST_TEST_REQUIRE(jobs.has_value());
  for (const auto& j : *jobs)
    out += fmt::format("j {} {} {} {} {}\n", j.id, j.kind, to_string(j.state), j.attempts, j.content);
  auto pos = s.sync_position();
  BOOST_TEST_REQUIRE(pos.has_value());
  out += fmt::format("p {} {} {} {}\n", pos->acked_seq, pos->last_seq, pos->depth, pos->dead_letters);
  auto totals = s.read_totals(at);
  BOOST_TEST_REQUIRE(totals.has_value());
  out += fmt::format("t {} {} {} {}\n", totals->last_seq, totals->open_visits, totals->duplicates, totals->rejected);
  return out;
}

struct run_result {
  std::string digest;
  int failures = 0;
};

// The sequence, on a fresh store; `failures` counts the steps that failed.
run_result run_sequence() {
  ravao::test::temp_dir dir;
  const auto path = dir / "ravao.db";
  timestamp t{1'763'880'000'000, now().boottime_ns, true};
  const auto later = [&t] {
    t.wall_ms += 1000;
    t.boottime_ns += 1'000'000'000;
    return t;
  };
  int failures = 0;
  std::optional<store_writer> w;
  w.emplace(std::move(*step([&] { return store_writer::open(path); }, failures)));

  std::vector<scan_request> first{cccd("001090000001", later()), cccd("001090000002", later()),
                                  cccd("001090000003", later()), cccd("001090000002", later())};
  const rejection_request refused{"c1", "too_long", 900, "AAA999", later()};
  step([&] { return w->apply(first, std::span(&refused, 1), visits_config{}); }, failures);

  const slip_request slip{"c1", "p1", true, std::chrono::seconds(120), slip_content(),
                          [](std::int64_t n) { return slip::format_slip_number(n); }, later(), {}};
  step([&] { return w->issue_slip(slip); }, failures);
  const job_request card{"p1", "c1", slip::card_content{"Bưu điện", "c1", "Quầy 1"}, later()};
  step([&] { return w->add_job(card); }, failures);

  // The print queue's side: its own read-only connection.
  auto reader = step([&] { return store_reader::open(path); }, failures);
  const job_filter queue{.printer_id = "p1", .pending_only = true, .limit = 20};
  auto pending = step([&] { return reader->jobs(queue); }, failures);
  BOOST_TEST_REQUIRE(pending->size() == 2u);
  for (const auto& job : *pending) {
    step([&] { return w->set_job_state(job.id, job_state::printing, "", later()); }, failures);
    step([&] { return w->set_job_state(job.id, job_state::printed, "", later()); }, failures);
  }

  std::vector<scan_request> second{cccd("001090000001", later()), event("RAVAO:CMD:CHECKOUT_LAST", later())};
  step([&] { return w->apply(second, {}, visits_config{}); }, failures);

  // The uploader's side: a batch read, then the server's acknowledgement.
  auto batch = step([&] { return reader->read_upload_batch(0, 100, 1 << 20); }, failures);
  BOOST_TEST_REQUIRE(!batch->seqs.empty());
  step([&] { return w->acknowledge(batch->seqs.back(), {}, later()); }, failures);
  step([&] { return w->log_device_event("p1", "paper_out", later()); }, failures);

  // A restart: the open of an existing store (quick_check, migration check,
  // the write path's statements, the totals) under the same faults.
  w.reset();
  w.emplace(std::move(*step([&] { return store_writer::open(path); }, failures)));
  step([&] { return w->checkout_last("c1", later()); }, failures);
  step([&] { return w->close_expired(later(), visits_config{}); }, failures);

  faults::disarm();
  return {digest(*w, t), failures};
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_nth_failing_sqlite_call_is_an_error_and_loses_or_doubles_nothing) {
  faults::install();
  faults::disarm();
  const run_result reference = run_sequence();
  BOOST_TEST_REQUIRE(reference.failures == 0);
  for (const auto kind : {faults::op::prepare, faults::op::read, faults::op::write, faults::op::sync}) {
    std::int64_t n = 1;
    for (;; ++n) {
      faults::fail_nth(kind, n);
      const run_result r = run_sequence();
      const bool reached = faults::fired();
      BOOST_TEST_CONTEXT("fault kind " << static_cast<int>(kind) << ", n = " << n) {
        BOOST_TEST(r.digest == reference.digest);
      }
      if (!reached) break;
      BOOST_TEST_REQUIRE(n < 20'000);
    }
    BOOST_TEST_MESSAGE("fault kind " << static_cast<int>(kind) << ": " << n - 1 << " runs with a fault");
    BOOST_TEST(n > 1);
  }
}

BOOST_AUTO_TEST_CASE(a_bind_too_big_is_an_error_from_run_and_the_statement_works_again) {
  faults::install();
  faults::disarm();
  ravao::test::temp_dir dir;
  timestamp t{1'763'880'000'000, now().boottime_ns, true};
  {
    auto created = store_writer::open(dir / "ravao.db");
    BOOST_TEST_REQUIRE(created.has_value());
  }
  faults::value_limit(4096);  // connections opened from here on
  auto w = store_writer::open(dir / "ravao.db");
  faults::value_limit(0);
  BOOST_TEST_REQUIRE(w.has_value(), (w ? "" : w.error().message()));
  // A payload with no identity is kept in clear: 5,000 bytes of it do not bind.
  auto big = event(std::string(5000, 'x'), t);
  auto out = w->apply(std::span(&big, 1), {}, visits_config{});
  BOOST_TEST_REQUIRE(!out.has_value());
  BOOST_TEST(out.error().context.find("bind") != std::string::npos, out.error().context);
  // The same prepared statement, the same store: the next scan is recorded.
  t.wall_ms += 1000;
  t.boottime_ns += 1'000'000'000;
  auto small = event("RAVAO:CMD:CHECKOUT_LAST", t);
  out = w->apply(std::span(&small, 1), {}, visits_config{});
  BOOST_TEST_REQUIRE(out.has_value(), (out ? "" : out.error().message()));
  BOOST_TEST((*out)[0].seq == 1);
}
