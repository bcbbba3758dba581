#pragma once
// libusb's events handled on the daemon's io_context, without a libusb
// thread and without polling (docs/usb-testing.md, "Event handling").
//
// Every descriptor libusb wants watched (libusb_get_pollfds, then the pollfd
// notifiers as devices are opened and closed) becomes a
// posix::stream_descriptor that only waits for readiness; when one is ready,
// libusb_handle_events_timeout_completed(ctx, {0, 0}) runs its callbacks
// (transfer completions, hotplug) right here, on the loop thread. libusb owns
// the descriptors: they are released, never closed, by this class. On Linux
// libusb's timeouts are a timerfd among those descriptors; where they are not
// (libusb_pollfds_handle_timeouts() == 0) a steady_timer follows
// libusb_get_next_timeout.
//
// Thread: everything, including the constructor and destructor, on the
// executor's thread; every libusb call of the daemon must be on it too.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <map>
#include <memory>

struct libusb_context;

namespace ravao::usb {

class libusb_events {
 public:
  libusb_events(boost::asio::any_io_executor ex, libusb_context* ctx);
  ~libusb_events();
  libusb_events(const libusb_events&) = delete;
  libusb_events& operator=(const libusb_events&) = delete;

  // Stops watching (cancels every wait) so io_context::run() can return.
  // Idempotent; the destructor calls it.
  void stop();

  // Runs libusb's ready callbacks now (also used after a synchronous call).
  void handle();

  std::uint64_t wakeups() const { return wakeups_; }  // handle() calls, for benchmarks and status
  bool polling() const { return polling_; }           // a descriptor epoll refused: short-timer fallback

 private:
  struct watch;
  void add(int fd, short events);
  void remove(int fd);
  void arm(const std::shared_ptr<watch>& w);
  void arm_timeout();
  void start_polling();

  boost::asio::any_io_executor ex_;
  libusb_context* ctx_;
  boost::asio::steady_timer timer_;  // libusb timeouts without timerfd, or the polling fallback
  std::map<int, std::shared_ptr<watch>> watches_;
  bool timeouts_by_fd_ = true;
  bool polling_ = false;
  bool stopped_ = false;
  std::uint64_t wakeups_ = 0;
};

}  // namespace ravao::usb
