#pragma once
// One rule for every long-running task (docs/architecture.md, "Errors: the
// convention"): a task never stops silently.
//
// A task is a coroutine made by a factory. It ends normally by returning
// (its owner stopped it on purpose, or its work is done). It fails by
// throwing. The supervisor then logs `task.failed` (fields `task`, `error`,
// `restarts`, `action`) and, by the task's policy:
//   * restart: runs `reset` (the owner releases what the dead task held and
//     shows it honestly, e.g. a driver closes its device and reports it
//     offline), waits `backoff`, logs `task.restarted` and starts a fresh task
//     from the factory. More than `restart_budget` restarts within `window`
//     escalate to exit_process: a task that fails over and over is a bug that
//     a process restart may clear, and systemd's Restart=on-failure does it.
//   * exit_process: calls the program's fatal handler, which stops the
//     process with exit code 1 (see set_fatal_handler).
// Not failures: an exception carrying asio::error::operation_aborted (a
// cancellation), and any end once `stopped()` says the owner stopped the
// task; the supervision then ends quietly, and no restart follows.
//
// Per-connection sessions (a control-socket client, a receiver connection)
// are not restarted: spawn_session catches what escapes the session, logs
// `session.failed` and lets the session's objects go, which closes only that
// connection.
//
// Lifetime: the supervisor holds `s` and `make_task` (and what they capture)
// until the supervision ends. An owner either is captured by shared_ptr (the
// drivers), or outlives the executor's run (the control server, the
// uploader): a supervisor waiting out its backoff when its executor stops is
// destroyed with the executor without calling anything.
// Thread: everything runs on `ex`; reset, stopped and the fatal handler are
// called there.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace ravao {

enum class on_failure { restart, exit_process };

struct supervision {
  std::string task;  // stable name, the `task` field of the events: "scanner quay-1", "control.accept"
  on_failure policy = on_failure::restart;
  std::chrono::milliseconds backoff{1000};  // between a failure and the restart
  int restart_budget = 5;                   // restarts allowed within `window`; one more escalates
  std::chrono::seconds window{600};
  // Optional: true once the owner stopped the task on purpose. Asked when the
  // task ends and again before a restart.
  std::function<bool()> stopped;
  // Optional: called after a failure is logged, before the backoff, with the
  // error text. Not called when the policy is exit_process.
  std::function<void(std::string_view error)> reset;
};

using task_factory = std::function<boost::asio::awaitable<void>()>;

void spawn_supervised(boost::asio::any_io_executor ex, supervision s, task_factory make_task);

// The usual shape: an object that owns its loop, kept alive by the
// supervisor, restarted after a failure until it is stopped. The member
// pointers may name private members (take them inside the class).
template <class Owner>
void spawn_supervised_loop(boost::asio::any_io_executor ex, std::string task, std::shared_ptr<Owner> owner,
                           boost::asio::awaitable<void> (Owner::*run)(),
                           void (Owner::*reset)(std::string_view error), const bool Owner::*stopped) {
  supervision s;
  s.task = std::move(task);
  s.stopped = [owner, stopped] { return (*owner).*stopped; };
  s.reset = [owner, reset](std::string_view error) { ((*owner).*reset)(error); };
  spawn_supervised(std::move(ex), std::move(s), [owner, run] { return ((*owner).*run)(); });
}

// Runs one connection's coroutine; an exception is logged as `session.failed`
// (fields `task`, `error`) and ends only that session.
void spawn_session(boost::asio::any_io_executor ex, std::string task, boost::asio::awaitable<void> session);

// How a program stops with exit code 1 when a task cannot go on: set once at
// start, before any task runs (ravaod: a clean shutdown as for SIGTERM, then
// exit 1; ravao-receiver: stop the server, exit 1). The handler is called on
// the failed task's executor, may be called more than once, and must return
// (the stop happens on its loop). Without one, fatal() ends the process at
// once with std::quick_exit(1): no clean stop is possible from an unknown
// thread, and no destructors run under other threads' feet.
using fatal_handler = std::function<void(std::string_view why)>;
void set_fatal_handler(fatal_handler h);

// Logs `process.exiting` (critical, field `reason`) and calls the handler.
void fatal(std::string_view why);

}  // namespace ravao
