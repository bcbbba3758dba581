#pragma once
// A control request's work on the store: run on the committer's writer
// thread (after the scans already submitted), awaited by the request's
// coroutine with a deadline; the event loop never blocks on the writer.
//
// Ownership and cancellation: the work owns its data by value (capture
// nothing of the caller's frame by reference). When the deadline passes
// before the writer started the work, the operation is cancelled: the work
// is never run and the request is answered "the store did not answer within
// ...; nothing was done". When the writer has started it, the request waits
// for it and answers with the real result: a client is never told "failed"
// for something that was done. The writer thread stalls only in a write
// (an fsync, a busy file), so that wait is bounded by the store itself.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>

#include "control/args.hpp"
#include "store/committer.hpp"

namespace ravao::control {

// How long a ravaoctl request that writes waits for the store.
inline constexpr std::chrono::seconds store_deadline{10};

// "the store did not answer within 10 s; nothing was done (see ravaoctl status)"
std::string store_timeout_message(std::chrono::steady_clock::duration deadline);

// The work's value; throws std::runtime_error with the work's error, or the
// timeout message when the deadline passed before the work started.
//
// Call it in two steps, `auto call = store_call<T>(writer, [req](store_writer& s) {...});
// auto v = co_await std::move(call);`: g++ 12 mis-destroys a lambda
// temporary (its captured strings) created inside a co_await expression.
template <class T>
boost::asio::awaitable<T> store_call(committer& writer, std::move_only_function<result<T>(store_writer&)> work,
                                     std::chrono::steady_clock::duration deadline = store_deadline) {
  namespace asio = boost::asio;
  asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
  // Named, not temporaries of the co_await expression (see above).
  auto run = writer.async_run<result<T>>(std::move(work), asio::deferred);
  auto expire = timer.async_wait(asio::deferred);
  auto group = asio::experimental::make_parallel_group(std::move(run), std::move(expire));
  auto wait = std::move(group).async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  auto [order, ec, value, timer_ec] = co_await std::move(wait);
  (void)order;
  (void)timer_ec;
  if (ec == asio::error::operation_aborted) throw std::runtime_error(store_timeout_message(deadline));
  if (ec) throw std::runtime_error("the store failed: " + ec.message());
  co_return unwrap(std::move(value));
}

}  // namespace ravao::control
