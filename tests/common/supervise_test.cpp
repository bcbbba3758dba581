// The supervision rule (common/supervise.hpp): a failed task is logged and
// restarted, a spent budget escalates, exit_process calls the fatal handler,
// cancellation and stops are not failures, and nothing restarts once the
// owner or the executor stopped. Every test runs its loop with a deadline.

#include <boost/test/unit_test.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/supervise.hpp"
#include "support/log_capture.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using ravao::test::log_capture;

namespace {

constexpr auto deadline = 10s;

// A supervision that restarts at once (no backoff) and records what the
// supervisor did with the task.
struct fixture {
  asio::io_context io;
  log_capture logs;
  int starts = 0;
  std::vector<std::string> resets;
  std::vector<std::string> fatal_reasons;

  fixture() {
    ravao::set_fatal_handler([this](std::string_view why) { fatal_reasons.emplace_back(why); });
  }
  ~fixture() { ravao::set_fatal_handler({}); }

  ravao::supervision quick(std::string task) {
    ravao::supervision s;
    s.task = std::move(task);
    s.backoff = 0ms;
    s.reset = [this](std::string_view e) { resets.emplace_back(e); };
    return s;
  }
};

asio::awaitable<void> fail_with(std::string what) {
  throw std::runtime_error(what);
  co_return;
}

asio::awaitable<void> end_normally() { co_return; }

asio::awaitable<void> session_that_throws(int& starts) {
  ++starts;
  throw std::runtime_error("bad request state");
  co_return;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_failed_task_is_logged_reset_and_restarted, fixture) {
  ravao::spawn_supervised(io.get_executor(), quick("worker"), [this]() -> asio::awaitable<void> {
    if (++starts < 3) return fail_with("disk on fire " + std::to_string(starts));
    return end_normally();  // the third run
  });
  io.run_for(deadline);
  BOOST_TEST(starts == 3);
  BOOST_TEST(resets == (std::vector<std::string>{"disk on fire 1", "disk on fire 2"}));
  BOOST_TEST(fatal_reasons.empty());
  const auto text = logs.text();
  BOOST_TEST(text.find("error task.failed: a long-running task failed; restarting it task=worker "
                       "error=\"disk on fire 1\" restarts=0 action=restart") != std::string::npos, text);
  BOOST_TEST(text.find("notice task.restarted: restarted a failed task task=worker restarts=2") != std::string::npos,
             text);
}

BOOST_FIXTURE_TEST_CASE(a_spent_budget_escalates_to_the_fatal_handler, fixture) {
  auto s = quick("flaky");
  s.restart_budget = 2;
  ravao::spawn_supervised(io.get_executor(), std::move(s), [this] { ++starts; return fail_with("again"); });
  io.run_for(deadline);
  BOOST_TEST(starts == 3);  // the first run and two restarts; the third failure escalates
  BOOST_TEST(resets.size() == 2u);
  BOOST_REQUIRE(fatal_reasons.size() == 1u);
  BOOST_TEST(fatal_reasons[0].find("task flaky failed 3 times within 600 s: again") != std::string::npos);
  const auto text = logs.text();
  BOOST_TEST(text.find("task=flaky error=again restarts=2 action=exit") != std::string::npos, text);
  BOOST_TEST(text.find("critical process.exiting") != std::string::npos, text);
}

BOOST_FIXTURE_TEST_CASE(exit_process_calls_the_fatal_handler_without_a_restart, fixture) {
  auto s = quick("receiver.accept");
  s.policy = ravao::on_failure::exit_process;
  ravao::spawn_supervised(io.get_executor(), std::move(s), [this] { ++starts; return fail_with("EMFILE"); });
  io.run_for(deadline);
  BOOST_TEST(starts == 1);
  BOOST_TEST(resets.empty());
  BOOST_TEST(fatal_reasons == (std::vector<std::string>{"task receiver.accept failed: EMFILE"}));
}

BOOST_FIXTURE_TEST_CASE(cancellation_is_not_a_failure, fixture) {
  asio::steady_timer forever(io, 24h);
  ravao::spawn_supervised(io.get_executor(), quick("waiter"), [&]() -> asio::awaitable<void> {
    ++starts;
    co_await forever.async_wait(asio::use_awaitable);  // throws operation_aborted when cancelled
  });
  io.poll();
  forever.cancel();
  io.run_for(deadline);
  BOOST_TEST(starts == 1);
  BOOST_TEST(logs.text().find("task.failed") == std::string::npos, logs.text());
}

BOOST_FIXTURE_TEST_CASE(a_failure_after_the_owner_stopped_is_not_restarted, fixture) {
  bool stopped = false;
  auto s = quick("scanner s1");
  s.stopped = [&] { return stopped; };
  ravao::spawn_supervised(io.get_executor(), std::move(s), [&] {
    ++starts;
    stopped = true;  // stop() closed the device under the loop, which then threw
    return fail_with("Bad file descriptor");
  });
  io.run_for(deadline);
  BOOST_TEST(starts == 1);
  BOOST_TEST(logs.text().find("task.failed") == std::string::npos, logs.text());
}

BOOST_FIXTURE_TEST_CASE(a_stop_during_the_backoff_ends_the_supervision, fixture) {
  bool stopped = false;
  auto s = quick("printer p1");
  s.stopped = [&] { return stopped; };
  s.reset = [&](std::string_view) { stopped = true; };  // the owner stops while the supervisor waits
  ravao::spawn_supervised(io.get_executor(), std::move(s), [this] { ++starts; return fail_with("boom"); });
  io.run_for(deadline);
  BOOST_TEST(starts == 1);
  BOOST_TEST(logs.text().find("task.failed") != std::string::npos);
  BOOST_TEST(logs.text().find("task.restarted") == std::string::npos, logs.text());
}

BOOST_FIXTURE_TEST_CASE(no_restart_after_the_executor_stopped, fixture) {
  auto owner = std::make_shared<int>(7);
  std::weak_ptr<int> watch = owner;
  {
    asio::io_context loop;
    auto s = quick("uploader");
    s.backoff = 1h;  // the loop is gone long before
    ravao::spawn_supervised(loop.get_executor(), std::move(s), [this, owner] { ++starts; return fail_with("x"); });
    owner.reset();
    loop.poll();  // runs the first attempt; the supervisor then waits out its backoff
    BOOST_TEST(starts == 1);
    BOOST_TEST(!watch.expired());  // the supervisor still holds what its factory captured
  }
  // Destroying the context destroyed the waiting supervisor: no restart, and
  // what it held is released.
  BOOST_TEST(starts == 1);
  BOOST_TEST(watch.expired());
}

BOOST_FIXTURE_TEST_CASE(a_failed_session_is_logged_and_not_restarted, fixture) {
  ravao::spawn_session(io.get_executor(), "control.session", session_that_throws(starts));
  io.run_for(deadline);
  BOOST_TEST(starts == 1);
  BOOST_TEST(logs.text().find("warning session.failed: a connection's session failed; that connection is closed "
                              "task=control.session error=\"bad request state\"") != std::string::npos,
             logs.text());
}
