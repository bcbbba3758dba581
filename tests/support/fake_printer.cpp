#include "support/fake_printer.hpp"
#include "support/escpos_decoder.hpp"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <future>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <fmt/format.h>

namespace ravao::test {
namespace asio = boost::asio;
using asio::ip::tcp;

// --- escpos_emulation ---

std::uint8_t escpos_emulation::status_byte(int n) const {
  const auto& c = condition_;
  std::uint8_t b = 0x12;  // 0xx1xx10
  switch (n) {
    case 1:
      if (c.offline || c.cover_open || c.paper_out || c.error) b |= 0x08;
      break;
    case 2:
      if (c.cover_open) b |= 0x04;
      if (c.paper_out) b |= 0x20;
      if (c.error) b |= 0x40;
      break;
    case 3:
      if (c.error) b |= 0x40;  // automatically recoverable error
      break;
    case 4:
      if (c.paper_near_end) b |= 0x0C;
      if (c.paper_out) b |= 0x60;
      break;
    default: break;
  }
  return b;
}

void escpos_emulation::violation(std::string what) {
  violations_.push_back(fmt::format("offset {}: {}", at_, what));
}

void escpos_emulation::finish_job(int feed, bool cut) {
  if (!current_ || current_->image.height == 0) return;
  current_->feed = feed;
  current_->cut = cut;
  jobs_.push_back(std::move(*current_));
  current_.reset();
}

void escpos_emulation::feed(std::span<const std::uint8_t> bytes, std::vector<std::uint8_t>& replies) {
  received_.insert(received_.end(), bytes.begin(), bytes.end());
  pending_.insert(pending_.end(), bytes.begin(), bytes.end());
  std::size_t pos = 0;
  while (pos < pending_.size()) {
    at_ = pending_offset_ + pos;
    const std::size_t n = parse_one(std::span(pending_).subspan(pos), replies);
    if (n == 0) break;  // wait for the rest of the command
    pos += n;
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pos));
  pending_offset_ += pos;
}

std::size_t escpos_emulation::parse_one(std::span<const std::uint8_t> p, std::vector<std::uint8_t>& replies) {
  const std::size_t have = p.size();
  const auto printing = [&](std::size_t n) {
    if (!condition_.ready()) not_ready_bytes_ += n;
    return n;
  };
  switch (p[0]) {
    case 0x10: {  // DLE EOT n
      if (have < 3) return 0;
      if (p[1] != 0x04 || p[2] < 1 || p[2] > 4) {
        violation(fmt::format("unexpected command DLE 0x{:02X} 0x{:02X}", p[1], p[2]));
        return 1;
      }
      ++status_requests_;
      replies.push_back(status_byte(p[2]));
      return 3;
    }
    case 0x1B: {  // ESC
      if (have < 2) return 0;
      if (p[1] == '@') {
        finish_job(-1, false);
        current_ = printed_job{};
        return printing(2);
      }
      if (p[1] == 'd') {
        if (have < 3) return 0;
        finish_job(p[2], false);
        return printing(3);
      }
      violation(fmt::format("unexpected command ESC 0x{:02X}", p[1]));
      return 1;
    }
    case 0x1C:  // FS .
      if (have < 2) return 0;
      if (p[1] != '.') {
        violation(fmt::format("unexpected command FS 0x{:02X}", p[1]));
        return 1;
      }
      return printing(2);
    case 0x1D: {  // GS
      if (have < 2) return 0;
      if (p[1] == 'V') {
        if (have < 3) return 0;
        const bool with_feed = p[2] == 65 || p[2] == 66;
        if (with_feed && have < 4) return 0;
        if (!with_feed && p[2] != 0 && p[2] != 1 && p[2] != 48 && p[2] != 49) {
          violation(fmt::format("GS V {}: unknown cut mode", p[2]));
          return 1;
        }
        if (current_ && current_->image.height > 0) finish_job(current_->feed, true);
        else if (!jobs_.empty()) jobs_.back().cut = true;  // the cut after the feed that ended the job
        return printing(with_feed ? 4 : 3);
      }
      if (p[1] == 'v') {
        if (have < 8) return 0;
        if (p[2] != '0' || p[3] != 0) {
          violation(fmt::format("unexpected GS v 0x{:02X} mode {}", p[2], p[3]));
          return 1;
        }
        const std::size_t x = static_cast<std::size_t>(p[4] | p[5] << 8);
        const std::size_t y = static_cast<std::size_t>(p[6] | p[7] << 8);
        if (x == 0 || y == 0) {
          violation(fmt::format("GS v 0 of {} x {}: empty band", x, y));
          return 8;
        }
        if (have < 8 + x * y) return 0;
        if (!current_) current_ = printed_job{};
        raster& img = current_->image;
        if (!append_band(img, static_cast<int>(x), static_cast<int>(y), p.subspan(8, x * y)))
          violation(fmt::format("GS v 0 band {} dots wide in a job {} dots wide (and not all white)", x * 8, img.width));
        return printing(8 + x * y);
      }
      violation(fmt::format("unexpected command GS 0x{:02X}", p[1]));
      return 1;
    }
    default: {
      const std::uint8_t b = p[0];
      violation(fmt::format("unexpected byte 0x{:02X}{}", b,
                            b >= 0x20 && b < 0x7F ? fmt::format(" ('{}', text?)", static_cast<char>(b)) : ""));
      return 1;
    }
  }
}

// --- fake_printer ---

void fake_printer::set_condition(const printer_condition& c) {
  std::lock_guard lock(mutex_);
  emulation_.set_condition(c);
}

std::vector<printed_job> fake_printer::jobs() const {
  std::lock_guard lock(mutex_);
  return emulation_.jobs();
}

std::vector<std::string> fake_printer::violations() const {
  std::lock_guard lock(mutex_);
  return emulation_.violations();
}

std::vector<std::uint8_t> fake_printer::received() const {
  std::lock_guard lock(mutex_);
  return emulation_.received();
}

std::size_t fake_printer::bytes_while_not_ready() const {
  std::lock_guard lock(mutex_);
  return emulation_.bytes_while_not_ready();
}

std::size_t fake_printer::status_requests() const {
  std::lock_guard lock(mutex_);
  return emulation_.status_requests();
}

bool fake_printer::wait_for_jobs(std::size_t n, std::chrono::milliseconds deadline) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, deadline, [&] { return emulation_.jobs().size() >= n; });
}

bool fake_printer::wait_for_bytes(std::size_t n, std::chrono::milliseconds deadline) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, deadline, [&] { return emulation_.received().size() >= n; });
}

std::vector<std::uint8_t> fake_printer::consume(std::span<const std::uint8_t> bytes) {
  std::vector<std::uint8_t> replies;
  {
    std::lock_guard lock(mutex_);
    emulation_.feed(bytes, replies);
  }
  changed_.notify_all();
  return replies;
}

// --- fake_tcp_printer ---

struct fake_tcp_printer::impl {
  explicit impl(fake_tcp_printer& o, fake_tcp_options opt)
      : owner(o), options(opt), acceptor(io), resume(io), work(asio::make_work_guard(io)) {}

  // Runs f on the fake's thread and waits for it.
  template <class F>
  void on_thread(F f) {
    std::promise<void> done;
    asio::post(io, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  void listen(std::uint16_t port) {
    const tcp::endpoint at(asio::ip::make_address("127.0.0.1"), port);
    acceptor.open(at.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    if (options.receive_buffer > 0) acceptor.set_option(asio::socket_base::receive_buffer_size(options.receive_buffer));
    acceptor.bind(at);
    acceptor.listen();
    asio::co_spawn(io, accept_loop(), asio::detached);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;  // closed by stop_listening() or the destructor
      {
        std::lock_guard lock(owner.mutex_);
        ++owner.connections_;
      }
      owner.changed_.notify_all();
      conn = std::make_shared<tcp::socket>(std::move(socket));
      co_await serve(conn);  // one at a time: the next waits in the backlog
      conn.reset();
    }
  }

  asio::awaitable<void> serve(std::shared_ptr<tcp::socket> s) {
    std::array<std::uint8_t, 4096> buf{};
    for (;;) {
      while (paused && s->is_open()) {
        resume.expires_at(asio::steady_timer::time_point::max());
        boost::system::error_code ignored;
        co_await resume.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      }
      if (!s->is_open()) co_return;
      auto [ec, n] = co_await s->async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
      if (n > 0) {
        const auto replies = owner.consume(std::span(buf.data(), n));
        if (!replies.empty()) {
          auto [wec, wn] = co_await asio::async_write(*s, asio::buffer(replies), asio::as_tuple(asio::use_awaitable));
          (void)wn;
          if (wec) co_return;
        }
      }
      if (ec) co_return;
    }
  }

  fake_tcp_printer& owner;
  fake_tcp_options options;
  asio::io_context io;
  tcp::acceptor acceptor;
  asio::steady_timer resume;  // serve() waits on it while paused
  std::shared_ptr<tcp::socket> conn;
  bool paused = false;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::thread thread;
};

fake_tcp_printer::fake_tcp_printer(fake_tcp_options opt) : impl_(std::make_unique<impl>(*this, opt)) {
  impl_->listen(0);
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

fake_tcp_printer::~fake_tcp_printer() {
  impl_->work.reset();
  impl_->io.stop();
  impl_->thread.join();
}

void fake_tcp_printer::stop_listening() {
  impl_->on_thread([this] {
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
  });
}

void fake_tcp_printer::start_listening() {
  impl_->on_thread([this] {
    if (!impl_->acceptor.is_open()) impl_->listen(port_);
  });
}

void fake_tcp_printer::drop_connection() {
  impl_->on_thread([this] {
    if (!impl_->conn) return;
    boost::system::error_code ignored;
    impl_->conn->close(ignored);
    impl_->resume.cancel();
  });
}

void fake_tcp_printer::pause_reading(bool paused) {
  impl_->on_thread([this, paused] {
    impl_->paused = paused;
    if (!paused) impl_->resume.cancel();
  });
}

std::size_t fake_tcp_printer::connections() const {
  std::lock_guard lock(mutex_);
  return connections_;
}

bool fake_tcp_printer::wait_for_connections(std::size_t n, std::chrono::milliseconds deadline) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, deadline, [&] { return connections_ >= n; });
}

// --- fake_pty_printer ---

fake_pty_printer::fake_pty_printer(std::filesystem::path link, bool plugged) : link_(std::move(link)) {
  wake_ = ::eventfd(0, EFD_CLOEXEC);
  if (wake_ < 0) throw std::runtime_error("eventfd failed");
  if (plugged) plug();
}

fake_pty_printer::~fake_pty_printer() {
  unplug();
  ::close(wake_);
}

void fake_pty_printer::wake() {
  const std::uint64_t one = 1;
  (void)!::write(wake_, &one, sizeof one);
}

void fake_pty_printer::plug() {
  unplug();
  master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master_ < 0 || ::grantpt(master_) != 0 || ::unlockpt(master_) != 0)
    throw std::runtime_error("posix_openpt failed");
  char name[128];
  if (::ptsname_r(master_, name, sizeof name) != 0) throw std::runtime_error("ptsname_r failed");
  slave_name_ = name;
  // Raw before anyone else opens it: no echo (replies would come back as
  // input), no CR/LF translation, no signals; the settings belong to the
  // tty, so every descriptor on the slave sees them.
  slave_ = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave_ < 0) throw std::runtime_error("cannot open pty slave");
  termios raw{};
  ::tcgetattr(slave_, &raw);
  ::cfmakeraw(&raw);
  ::tcsetattr(slave_, TCSANOW, &raw);
  std::error_code ec;
  std::filesystem::remove(link_, ec);
  std::filesystem::create_symlink(name, link_);
  quit_ = false;
  thread_ = std::thread([this] { serve(); });
}

void fake_pty_printer::unplug() {
  if (thread_.joinable()) {
    quit_ = true;
    wake();
    thread_.join();
  }
  std::error_code ec;
  std::filesystem::remove(link_, ec);
  if (master_ >= 0) ::close(master_);  // hangs up the slave: the transport sees POLLHUP / EIO
  if (slave_ >= 0) ::close(slave_);
  master_ = slave_ = -1;
}

void fake_pty_printer::pause_reading(bool paused) {
  paused_ = paused;
  wake();
}

void fake_pty_printer::serve() {
  std::array<std::uint8_t, 4096> buf{};
  while (!quit_) {
    pollfd fds[2] = {{wake_, POLLIN, 0}, {master_, static_cast<short>(paused_ ? 0 : POLLIN), 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents & POLLIN) {
      std::uint64_t count = 0;
      (void)!::read(wake_, &count, sizeof count);
      continue;  // re-read quit_ and paused_
    }
    if (paused_ || !(fds[1].revents & POLLIN)) continue;
    const ssize_t n = ::read(master_, buf.data(), buf.size());
    if (n <= 0) continue;
    const auto replies = consume(std::span(buf.data(), static_cast<std::size_t>(n)));
    std::size_t sent = 0;
    while (sent < replies.size()) {
      const ssize_t w = ::write(master_, replies.data() + sent, replies.size() - sent);
      if (w < 0) {
        if (errno == EINTR) continue;
        break;
      }
      sent += static_cast<std::size_t>(w);
    }
  }
}

}  // namespace ravao::test
