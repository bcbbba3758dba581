#include "common/supervise.hpp"

#include <cstdlib>
#include <deque>
#include <exception>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <fmt/format.h>

#include "common/log.hpp"

namespace ravao {
namespace asio = boost::asio;

namespace {

struct fatal_state {
  std::mutex mutex;
  fatal_handler handler;
};
fatal_state& fatal_slot() {
  static fatal_state s;
  return s;
}

bool is_cancellation(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const boost::system::system_error& se) {
    return se.code() == asio::error::operation_aborted;
  } catch (...) {
    return false;
  }
}

std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

bool owner_stopped(const supervision& s) { return s.stopped && s.stopped(); }

asio::awaitable<void> supervise(supervision s, task_factory make_task) {
  using clock = std::chrono::steady_clock;
  std::deque<clock::time_point> restarts;  // within the window
  asio::steady_timer backoff(co_await asio::this_coro::executor);
  for (;;) {
    std::exception_ptr failure;
    try {
      co_await make_task();
    } catch (...) {
      failure = std::current_exception();
    }
    if (!failure || is_cancellation(failure) || owner_stopped(s)) co_return;

    const std::string error = describe(failure);
    const auto now = clock::now();
    while (!restarts.empty() && now - restarts.front() > s.window) restarts.pop_front();
    const bool spent = restarts.size() >= static_cast<std::size_t>(s.restart_budget);
    const bool exit = s.policy == on_failure::exit_process || spent;
    log::error("task.failed", exit ? "a long-running task failed; the process must restart"
                                   : "a long-running task failed; restarting it",
               {{"task", s.task}, {"error", error}, {"restarts", std::to_string(restarts.size())},
                {"action", exit ? "exit" : "restart"}});
    if (exit) {
      fatal(spent ? fmt::format("task {} failed {} times within {} s: {}", s.task, restarts.size() + 1,
                                s.window.count(), error)
                  : fmt::format("task {} failed: {}", s.task, error));
      co_return;
    }
    if (s.reset) s.reset(error);
    backoff.expires_after(s.backoff);
    boost::system::error_code ec;
    co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec || owner_stopped(s)) co_return;
    restarts.push_back(clock::now());
    log::notice("task.restarted", "restarted a failed task",
                {{"task", s.task}, {"restarts", std::to_string(restarts.size())}});
  }
}

}  // namespace

void spawn_supervised(asio::any_io_executor ex, supervision s, task_factory make_task) {
  // supervise() catches everything its task throws; what could still escape
  // (std::bad_alloc while logging) is a reason to stop the process.
  asio::co_spawn(ex, supervise(std::move(s), std::move(make_task)), [](const std::exception_ptr& e) {
    if (e) fatal("supervisor failed: " + describe(e));
  });
}

void spawn_session(asio::any_io_executor ex, std::string task, asio::awaitable<void> session) {
  asio::co_spawn(ex, std::move(session), [task = std::move(task)](const std::exception_ptr& e) {
    if (!e || is_cancellation(e)) return;
    log::warning("session.failed", "a connection's session failed; that connection is closed",
                 {{"task", task}, {"error", describe(e)}});
  });
}

void set_fatal_handler(fatal_handler h) {
  auto& st = fatal_slot();
  std::lock_guard lock(st.mutex);
  st.handler = std::move(h);
}

void fatal(std::string_view why) {
  log::critical("process.exiting", "cannot go on: stopping with exit code 1", {{"reason", std::string(why)}});
  fatal_handler h;
  {
    auto& st = fatal_slot();
    std::lock_guard lock(st.mutex);
    h = st.handler;
  }
  if (h) h(why);
  else std::quick_exit(1);
}

}  // namespace ravao
