#include "drivers/tcp_printer.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <fmt/format.h>

#include "common/supervise.hpp"
#include "drivers/deadline.hpp"

namespace ravao {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// "192.168.1.50:9100" or "[fd00::5]:9100" (validated by the config) into host and port.
void split_address(const std::string& address, std::string& host, std::string& port) {
  if (address.starts_with('[')) {
    const auto close = address.find(']');
    host = address.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    port = close == std::string::npos || close + 2 > address.size() ? "" : address.substr(close + 2);
    return;
  }
  const auto colon = address.rfind(':');
  host = address.substr(0, colon);
  port = colon == std::string::npos ? "" : address.substr(colon + 1);
}

// A printer switched off (or its cable pulled) closes nothing: without
// keepalive an idle connection would look open for hours (the kernel default
// is 2 h before the first probe).
void keep_alive(tcp::socket& s) {
  boost::system::error_code ignored;
  s.set_option(asio::socket_base::keep_alive(true), ignored);
  const int idle = 10, interval = 5, count = 3;
  ::setsockopt(s.native_handle(), IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(s.native_handle(), IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(s.native_handle(), IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

std::string seconds(std::chrono::milliseconds d) { return fmt::format("{:g} s", static_cast<double>(d.count()) / 1000); }

}  // namespace

tcp_printer::tcp_printer(printer_config cfg, asio::any_io_executor ex, printer_sink sink, tcp_printer_options opt)
    : cfg_(std::move(cfg)),
      ex_(std::move(ex)),
      sink_(std::move(sink)),
      opt_(opt),
      resolver_(ex_),
      backoff_(ex_),
      arrived_(ex_) {
  split_address(cfg_.address, host_, port_);
}

void tcp_printer::start() {
  if (started_ || stopped_) return;
  started_ = true;
  set_state(device_state::offline, "connecting to " + cfg_.address);
  // Supervised (common/supervise.hpp), holding this transport until run()
  // ends after stop(). After an exception, reset() closes the connection and
  // reports the printer offline; a fresh run() connects again.
  spawn_supervised_loop(ex_, "printer " + cfg_.id, shared_from_this(), &tcp_printer::run, &tcp_printer::reset,
                        &tcp_printer::stopped_);
}

void tcp_printer::reset(std::string_view error) {
  boost::system::error_code ignored;
  if (connecting_) connecting_->socket.close(ignored);
  if (conn_) conn_->socket.close(ignored);  // the reader and a write in flight end with operation_aborted
  conn_.reset();
  arrived_.cancel();
  set_state(device_state::offline, "restarting after an internal error: " + std::string(error));
}

void tcp_printer::stop() {
  stopped_ = true;
  resolver_.cancel();
  boost::system::error_code ignored;
  if (connecting_) connecting_->socket.close(ignored);
  // Closing completes the reader and a write in flight with operation_aborted.
  if (conn_) conn_->socket.close(ignored);
  backoff_.cancel();
  arrived_.cancel();
}

void tcp_printer::set_state(device_state s, std::string_view reason) {
  if (s == state_ && reason == reason_) return;
  state_ = s;
  reason_ = reason;
  if (!stopped_ && sink_.on_state) sink_.on_state(s, reason);
}

std::unexpected<error> tcp_printer::not_online() const {
  return fail(std::make_error_code(std::errc::not_connected),
              fmt::format("printer {} is {}: {}", cfg_.id, to_string(state_), reason_));
}

asio::awaitable<void> tcp_printer::run() {
  auto self = shared_from_this();  // keeps *this alive for the whole coroutine
  auto backoff = opt_.first_backoff;
  while (!stopped_) {
    auto c = co_await connect();
    if (stopped_) break;
    if (c) {
      backoff = opt_.first_backoff;
      conn_ = *c;
      inbox_.clear();
      boost::system::error_code ec;
      const auto peer = conn_->socket.remote_endpoint(ec);
      const std::string ip = ec ? "" : peer.address().to_string();
      set_state(device_state::online,
                "connected to " + cfg_.address + (ip.empty() || ip == host_ ? "" : " (" + ip + ")"));
      co_await receive(conn_);  // until the connection ends: closed by the printer, an error, end(), stop()
      const auto ended = std::move(conn_);
      conn_.reset();
      ended->socket.close(ec);
      arrived_.cancel();  // a read() waiting for bytes returns now
      if (stopped_) break;
      set_state(device_state::offline, ended->ended);
    } else {
      set_state(device_state::offline, c.error().context);
    }
    boost::system::error_code ec;
    backoff_.expires_after(backoff);
    co_await backoff_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    backoff = std::min(backoff * 2, opt_.max_backoff);
  }
}

asio::awaitable<result<std::shared_ptr<tcp_printer::connection>>> tcp_printer::connect() {
  auto c = std::make_shared<connection>(ex_);
  connecting_ = c;
  // One deadline for resolving and connecting. At expiry the resolver is
  // cancelled and the socket closed (asio's documented way to abandon a
  // connect); `settled` keeps a late expiry from closing a connection that
  // has just succeeded.
  struct deadline {
    bool settled = false, expired = false;
  };
  auto d = std::make_shared<deadline>();
  asio::steady_timer timer(ex_, opt_.connect_timeout);
  timer.async_wait([d, c, self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec || d->settled) return;
    d->expired = true;
    self->resolver_.cancel();
    boost::system::error_code ignored;
    c->socket.close(ignored);
  });
  const auto settle = [&] {
    d->settled = true;
    timer.cancel();
    connecting_.reset();
  };
  const auto why = [&](const boost::system::error_code& ec) {
    return d->expired ? "no answer within " + seconds(opt_.connect_timeout) : ec.message();
  };

  auto [rec, endpoints] = co_await resolver_.async_resolve(host_, port_, asio::as_tuple(asio::use_awaitable));
  if (rec) {
    settle();
    co_return fail(rec, "cannot resolve " + host_ + " (printer " + cfg_.address + "): " + why(rec));
  }
  auto [cec, endpoint] = co_await asio::async_connect(c->socket, endpoints, asio::as_tuple(asio::use_awaitable));
  settle();
  if (cec) co_return fail(cec, "cannot connect to " + cfg_.address + ": " + why(cec));
  boost::system::error_code ignored;
  // Status requests are 3 bytes: they must not wait for the ACK of a band.
  c->socket.set_option(tcp::no_delay(true), ignored);
  keep_alive(c->socket);
  co_return c;
}

asio::awaitable<void> tcp_printer::receive(std::shared_ptr<connection> c) {
  std::array<std::uint8_t, 512> buf{};
  while (c->ended.empty()) {
    auto [ec, n] = co_await c->socket.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
    if (n > 0) {
      inbox_.insert(inbox_.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
      // Status bytes nobody asked for (ASB) must not grow without bound.
      if (inbox_.size() > opt_.inbox_bytes)
        inbox_.erase(inbox_.begin(), inbox_.begin() + static_cast<std::ptrdiff_t>(inbox_.size() - opt_.inbox_bytes));
      arrived_.cancel();
    }
    if (ec && c->ended.empty())
      c->ended = ec == asio::error::eof ? "connection to " + cfg_.address + " closed by the printer"
                                        : "connection to " + cfg_.address + " lost: " + ec.message();
  }
}

void tcp_printer::end(const std::shared_ptr<connection>& c, std::string why) {
  if (c->ended.empty()) c->ended = std::move(why);
  boost::system::error_code ignored;
  c->socket.close(ignored);  // the reader returns; run() goes offline and reconnects
}

asio::awaitable<result<std::size_t>> tcp_printer::write(std::span<const std::uint8_t> data) {
  auto self = shared_from_this();
  auto c = conn_;
  if (!c || stopped_) co_return not_online();
  if (writing_)
    co_return fail(std::make_error_code(std::errc::device_or_resource_busy),
                   fmt::format("printer {}: a write is already in flight", cfg_.id));
  writing_ = true;
  const auto r = co_await within(ex_, opt_.write_timeout, [&](auto token) {
    return asio::async_write(c->socket, asio::buffer(data.data(), data.size()), token);
  });
  writing_ = false;
  if (!r.ec) co_return r.bytes;
  const std::string sent = fmt::format("{} of {} bytes sent", r.bytes, data.size());
  if (stopped_)
    co_return fail(std::make_error_code(std::errc::operation_canceled),
                   fmt::format("printer {}: stopped while writing; {}", cfg_.id, sent));
  if (r.expired)
    co_return fail(std::make_error_code(std::errc::timed_out),
                   fmt::format("printer {} ({}) took no data for {}; {} (paper out, cover open, or hung?)", cfg_.id,
                               cfg_.address, seconds(opt_.write_timeout), sent));
  // Any other failure breaks the connection for good: reconnect.
  end(c, "connection to " + cfg_.address + " lost while writing: " + r.ec.message());
  co_return fail(std::make_error_code(std::errc::broken_pipe), fmt::format("printer {}: {}; {}", cfg_.id, c->ended, sent));
}

asio::awaitable<result<std::size_t>> tcp_printer::read(std::span<std::uint8_t> into,
                                                      std::chrono::milliseconds timeout) {
  auto self = shared_from_this();
  auto c = conn_;
  if (!c || stopped_) co_return not_online();
  if (reading_)
    co_return fail(std::make_error_code(std::errc::device_or_resource_busy),
                   fmt::format("printer {}: a read is already in flight", cfg_.id));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  reading_ = true;
  while (inbox_.empty()) {
    if (stopped_) {
      reading_ = false;
      co_return fail(std::make_error_code(std::errc::operation_canceled),
                     fmt::format("printer {}: stopped while reading", cfg_.id));
    }
    if (!c->ended.empty()) {
      reading_ = false;
      co_return fail(std::make_error_code(std::errc::broken_pipe), fmt::format("printer {}: {}", cfg_.id, c->ended));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      reading_ = false;
      co_return fail(std::make_error_code(std::errc::timed_out),
                     fmt::format("printer {} ({}) sent nothing within {} ms", cfg_.id, cfg_.address, timeout.count()));
    }
    arrived_.expires_at(deadline);
    boost::system::error_code ec;
    co_await arrived_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  reading_ = false;
  const std::size_t n = std::min(into.size(), inbox_.size());
  std::copy_n(inbox_.begin(), n, into.begin());
  inbox_.erase(inbox_.begin(), inbox_.begin() + static_cast<std::ptrdiff_t>(n));
  co_return n;
}

}  // namespace ravao
