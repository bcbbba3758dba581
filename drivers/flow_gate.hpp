#pragma once
// Back-pressure from the store to the scanners. While the committer's queue
// is above its high-water mark the daemon closes the gate; sources wait at it
// before each read, so unread scans stay in the device (the tty's buffer, the
// scanner's own) instead of piling up in memory or being dropped. Opened again
// below the low-water mark.
//
// Single-threaded: used only on the event loop. The timer never expires by
// itself; open() cancels it, which completes every waiter.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ravao {

class flow_gate {
 public:
  explicit flow_gate(boost::asio::any_io_executor ex) : timer_(ex) {}

  bool is_open() const { return open_; }
  void close() {
    if (!open_) return;
    open_ = false;
    // Set once here, not by each waiter: resetting the expiry cancels the
    // other waiters, which would wake each other forever.
    timer_.expires_at(boost::asio::steady_timer::time_point::max());
  }
  void open() {
    open_ = true;
    timer_.cancel();
  }

  // Returns at once when open, else when opened (or the timer is destroyed).
  boost::asio::awaitable<void> wait_open() {
    while (!open_) {
      boost::system::error_code ec;
      co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
  }

 private:
  boost::asio::steady_timer timer_;
  bool open_ = true;
};

}  // namespace ravao
