#include "drivers/usb/libusb_events.hpp"

#include <poll.h>
#include <sys/time.h>

#include <libusb.h>

#include "common/log.hpp"

namespace ravao::usb {
namespace asio = boost::asio;

// One watched descriptor. `alive` is false once libusb removed the fd (or we
// stopped): a completion that was already queued must then do nothing, since
// the number may already belong to another device.
struct libusb_events::watch {
  asio::posix::stream_descriptor sd;
  short events;
  bool alive = true;
  boost::system::error_code assign_error;  // epoll refused the fd: polled instead
  // Never throws: it runs inside libusb's pollfd callback (C frames).
  watch(asio::any_io_executor ex, int fd, short ev) : sd(ex), events(ev) { sd.assign(fd, assign_error); }
  void release() {
    alive = false;
    boost::system::error_code ignored;
    sd.cancel(ignored);
    if (sd.is_open()) (void)sd.release();  // libusb owns the fd
  }
};

libusb_events::libusb_events(asio::any_io_executor ex, libusb_context* ctx)
    : ex_(std::move(ex)), ctx_(ctx), timer_(ex_) {
  timeouts_by_fd_ = libusb_pollfds_handle_timeouts(ctx_) != 0;
  if (const libusb_pollfd** fds = libusb_get_pollfds(ctx_)) {
    for (auto** p = fds; *p; ++p) add((*p)->fd, (*p)->events);
    libusb_free_pollfds(fds);
  }
  // libusb calls these synchronously from libusb_open/libusb_close, which the
  // daemon only calls on this thread.
  libusb_set_pollfd_notifiers(
      ctx_, [](int fd, short ev, void* self) { static_cast<libusb_events*>(self)->add(fd, ev); },
      [](int fd, void* self) { static_cast<libusb_events*>(self)->remove(fd); }, this);
}

libusb_events::~libusb_events() {
  stop();
  libusb_set_pollfd_notifiers(ctx_, nullptr, nullptr, nullptr);
}

void libusb_events::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& [fd, w] : watches_) w->release();
  watches_.clear();
  timer_.cancel();
}

void libusb_events::add(int fd, short events) {
  if (stopped_) return;
  if (auto it = watches_.find(fd); it != watches_.end()) it->second->release();
  auto w = std::make_shared<watch>(ex_, fd, events);
  watches_[fd] = w;
  if (w->assign_error) {
    log::warning("usb.polling", "a libusb descriptor cannot be watched; polling every 10 ms",
                 {{"fd", std::to_string(fd)}, {"error", w->assign_error.message()}});
    start_polling();
    return;
  }
  arm(w);
}

void libusb_events::remove(int fd) {
  if (auto it = watches_.find(fd); it != watches_.end()) {
    it->second->release();
    watches_.erase(it);
  }
}

void libusb_events::arm(const std::shared_ptr<watch>& w) {
  // usbfs signals a reapable URB as POLLOUT; libusb's event fd and timerfd as POLLIN.
  const auto type = (w->events & POLLOUT) ? asio::posix::stream_descriptor::wait_write
                                          : asio::posix::stream_descriptor::wait_read;
  w->sd.async_wait(type, [this, w](boost::system::error_code ec) {
    if (!w->alive || ec == asio::error::operation_aborted) return;
    if (ec == asio::error::operation_not_supported) {
      // epoll refuses regular files: a descriptor that is always "ready".
      // Poll libusb on a short timer instead of spinning on it.
      log::warning("usb.polling", "a libusb descriptor cannot be watched; polling every 10 ms",
                   {{"fd", std::to_string(w->sd.native_handle())}});
      start_polling();
      return;
    }
    if (ec) {
      // Never leave a descriptor unwatched: its transfers would never complete.
      log::warning("usb.watch_failed", "waiting on a libusb descriptor failed; polling every 10 ms",
                   {{"error", ec.message()}});
      start_polling();
      return;
    }
    handle();
    if (w->alive) arm(w);
  });
}

void libusb_events::handle() {
  if (stopped_) return;
  ++wakeups_;
  timeval zero{0, 0};
  libusb_handle_events_timeout_completed(ctx_, &zero, nullptr);
  if (!timeouts_by_fd_ && !polling_) arm_timeout();
}

void libusb_events::arm_timeout() {
  timeval tv{};
  if (libusb_get_next_timeout(ctx_, &tv) != 1) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) handle();
  });
}

void libusb_events::start_polling() {
  if (polling_ || stopped_) return;
  polling_ = true;
  timer_.cancel();
  struct tick {
    libusb_events* self;
    void operator()(boost::system::error_code ec) const {
      if (ec || self->stopped_) return;
      self->handle();
      self->timer_.expires_after(std::chrono::milliseconds(10));
      self->timer_.async_wait(*this);
    }
  };
  timer_.expires_after(std::chrono::milliseconds(10));
  timer_.async_wait(tick{this});
}

}  // namespace ravao::usb
