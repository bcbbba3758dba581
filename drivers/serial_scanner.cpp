#include "drivers/serial_scanner.hpp"

#include <unistd.h>

#include <array>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/supervise.hpp"
#include "drivers/tty.hpp"

namespace ravao {
namespace asio = boost::asio;

serial_scanner::serial_scanner(scanner_config cfg, asio::any_io_executor ex, scanner_sink sink,
                               std::chrono::milliseconds reopen_interval)
    : cfg_(std::move(cfg)),
      sink_(std::move(sink)),
      port_(ex),
      retry_(ex),
      reopen_interval_(reopen_interval),
      framer_(cfg_.max_scan_bytes) {}

void serial_scanner::start() {
  // Supervised (common/supervise.hpp): the supervisor holds a reference to
  // this source until the loop ends after stop(), so the daemon may drop its
  // pointer right after stop(). An exception from run() (a sink that threw)
  // goes through reset() and a fresh run(), which reopens the port.
  spawn_supervised_loop(port_.get_executor(), "scanner " + cfg_.id, shared_from_this(), &serial_scanner::run,
                        &serial_scanner::reset, &serial_scanner::stopped_);
}

void serial_scanner::reset(std::string_view error) {
  boost::system::error_code ignored;
  port_.close(ignored);
  framer_ = line_framer(cfg_.max_scan_bytes);
  set_state(device_state::offline, "restarting after an internal error: " + std::string(error));
}

void serial_scanner::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  port_.close(ignored);  // cancels a pending read
  retry_.cancel();
}

void serial_scanner::set_state(device_state s, std::string_view reason) {
  if (s == state_ && reason == reason_) return;
  state_ = s;
  reason_ = reason;
  if (!stopped_ && sink_.on_state) sink_.on_state(s, reason);
}

bool serial_scanner::open_port(std::string& why) {
  auto fd = open_raw_tty(cfg_.device, cfg_.baud);
  if (!fd) {
    why = fd.error().context;
    return false;
  }
  boost::system::error_code ec;
  port_.assign(*fd, ec);
  if (ec) {
    ::close(*fd);
    why = "cannot open " + cfg_.device + ": " + ec.message();
    return false;
  }
  return true;
}

asio::awaitable<void> serial_scanner::run() {
  auto self = shared_from_this();  // keeps *this alive for the whole coroutine
  std::array<char, 4096> buf{};
  const auto on_frame = [this](std::string_view line) {
    if (!stopped_ && sink_.on_frame) sink_.on_frame(line);
  };
  const auto on_overflow = [this](std::size_t n, std::string_view head) {
    if (!stopped_ && sink_.on_overflow) sink_.on_overflow(n, head);
  };
  while (!stopped_) {
    std::string why;
    if (!open_port(why)) {
      set_state(device_state::offline, why);
      retry_.expires_after(reopen_interval_);
      boost::system::error_code ec;
      co_await retry_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    set_state(device_state::online, "opened " + cfg_.device);
    while (!stopped_) {
      if (sink_.gate) co_await sink_.gate->wait_open();
      if (stopped_) break;
      boost::system::error_code ec;
      const std::size_t n =
          co_await port_.async_read_some(asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
      if (n > 0) framer_.feed(std::span<const char>(buf.data(), n), on_frame, on_overflow);
      if (ec) {
        why = "device gone: " + ec.message();
        break;
      }
    }
    boost::system::error_code ignored;
    port_.close(ignored);
    // A partial line cut by an unplug is not a scan; start clean next time.
    framer_ = line_framer(cfg_.max_scan_bytes);
    if (!stopped_) set_state(device_state::offline, why);
  }
}

}  // namespace ravao
