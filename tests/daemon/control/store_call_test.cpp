// A ravaoctl write that waits for the store, as control::store_call runs it.
// Regression: the request that timed out while the store stalled used to
// leave its work queued on the writer thread with references to the dead
// request; it later ran anyway (a use-after-free, under ASan) and issued
// the slip the client had been told had failed.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include "control/store_call.hpp"
#include "support/harness.hpp"
#include "support/writer_stall.hpp"

using namespace ravao;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

struct fixture {
  test::temp_dir dir;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(io);
  std::unique_ptr<committer> c;

  fixture() {
    auto s = store_writer::open(path());
    BOOST_TEST_REQUIRE(s.has_value());
    c = std::make_unique<committer>(std::move(*s), visits_config{}, 30, io.get_executor(),
                                    [](commit_report) {}, [](const error&, std::size_t) {});
  }
  ~fixture() {
    if (c) c->stop();
  }
  std::filesystem::path path() const { return dir.path() / "ravao.db"; }

  bool run_until(const std::function<bool()>& pred) { return test::run_until(io, pred); }

  std::vector<print_job_row> jobs() {
    auto ro = store_reader::open(path());
    BOOST_TEST_REQUIRE(ro.has_value());
    auto rows = ro->jobs(job_filter{});
    BOOST_TEST_REQUIRE(rows.has_value());
    return *rows;
  }
};

// A card job, as `ravaoctl card print` asks for one; the request lives in
// the coroutine's frame only.
asio::awaitable<void> print_card(committer& c, std::chrono::milliseconds deadline, std::string& answer) {
  const job_request req{"p1", "c1", slip::card_content{"Bưu điện", "c1", "Quầy 1"}, now()};
  try {
    auto call = control::store_call<print_job_row>(c, [req](store_writer& s) { return s.add_job(req); }, deadline);
    auto job = co_await std::move(call);
    answer = "job " + std::to_string(job.id);
  } catch (const std::exception& ex) {
    answer = ex.what();
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_write_that_timed_out_on_a_stalled_store_is_never_done_later) {
  fixture f;
  auto release = test::stall_writer(*f.c);
  std::string answer;
  asio::co_spawn(f.io, print_card(*f.c, 50ms, answer), asio::detached);
  BOOST_TEST_REQUIRE(f.run_until([&] { return !answer.empty(); }));
  BOOST_TEST(answer == control::store_timeout_message(50ms));
  BOOST_TEST(answer.find("nothing was done") != std::string::npos);

  // The store comes back; the abandoned work must not run now.
  release.set_value();
  f.c->stop();
  f.io.poll();
  BOOST_TEST(f.jobs().empty());
}

BOOST_AUTO_TEST_CASE(a_write_answers_with_what_the_store_did) {
  fixture f;
  std::string answer;
  asio::co_spawn(f.io, print_card(*f.c, control::store_deadline, answer), asio::detached);
  BOOST_TEST_REQUIRE(f.run_until([&] { return !answer.empty(); }));
  const auto rows = f.jobs();
  BOOST_TEST_REQUIRE(rows.size() == 1u);
  BOOST_TEST(answer == "job " + std::to_string(rows[0].id));
}

BOOST_AUTO_TEST_CASE(the_timeout_message_says_the_deadline) {
  BOOST_TEST(control::store_timeout_message(control::store_deadline) ==
             "the store did not answer within 10 s; nothing was done (see ravaoctl status)");
}
