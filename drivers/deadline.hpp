#pragma once
// A deadline for one asynchronous operation that completes with
// (error_code, bytes): a write of a whole buffer, a read of some bytes.
//
//   auto r = co_await within(ex, 10s, [&](auto token) {
//     return asio::async_write(stream, asio::buffer(data), token);
//   });
//
// At the deadline a timer emits terminal cancellation on a slot bound to the
// operation only (not to the stream: a read and a write on the same stream
// time out independently); the operation then completes with
// operation_aborted and the bytes it had moved, and r.expired is true.
//
// Lifetime: the timer's handler owns the cancellation signal (shared state),
// so it may run after the coroutine has moved on; the slot is cleared as soon
// as the operation completes, so a late expiry cancels nothing.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>

namespace ravao {

struct timed_result {
  boost::system::error_code ec;
  std::size_t bytes = 0;
  bool expired = false;  // ec is operation_aborted because the deadline passed
};

template <class Start>
boost::asio::awaitable<timed_result> within(boost::asio::any_io_executor ex, std::chrono::milliseconds timeout,
                                           Start start) {
  namespace asio = boost::asio;
  struct state {
    asio::cancellation_signal signal;
    bool done = false;
    bool expired = false;
  };
  auto st = std::make_shared<state>();
  asio::steady_timer timer(ex, timeout);
  timer.async_wait([st](const boost::system::error_code& ec) {
    if (ec || st->done) return;
    st->expired = true;
    st->signal.emit(asio::cancellation_type::terminal);
  });
  auto [ec, n] = co_await start(asio::bind_cancellation_slot(st->signal.slot(), asio::as_tuple(asio::use_awaitable)));
  st->done = true;
  st->signal.slot().clear();
  timer.cancel();
  co_return timed_result{ec, n, st->expired && ec == asio::error::operation_aborted};
}

}  // namespace ravao
