#include "drivers/device_printer.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <fmt/format.h>

#include "common/supervise.hpp"
#include "drivers/deadline.hpp"

namespace ravao {
namespace asio = boost::asio;

namespace {

std::string strerror_text(int err) { return std::error_code(err, std::system_category()).message(); }

std::string seconds(std::chrono::milliseconds d) { return fmt::format("{:g} s", static_cast<double>(d.count()) / 1000); }

// The errno behind an error from a descriptor operation (asio reports them
// in the system category); EIO for anything else.
int errno_of(const boost::system::error_code& ec) {
  return ec.category() == boost::system::system_category() ? ec.value() : EIO;
}

}  // namespace

device_printer::device_printer(printer_config cfg, asio::any_io_executor ex, printer_sink sink,
                               device_printer_options opt)
    : cfg_(std::move(cfg)), ex_(std::move(ex)), sink_(std::move(sink)), opt_(opt), wait_(ex_) {}

void device_printer::start() {
  if (started_ || stopped_) return;
  started_ = true;
  // Supervised (common/supervise.hpp), holding this transport until run()
  // ends after stop(). After an exception, reset() closes the device and
  // reports the printer offline; a fresh run() opens it again.
  spawn_supervised_loop(ex_, "printer " + cfg_.id, shared_from_this(), &device_printer::run,
                        &device_printer::reset, &device_printer::stopped_);
}

void device_printer::reset(std::string_view error) {
  if (session_) {
    boost::system::error_code ignored;
    session_->stream.close(ignored);  // the hangup watch and a write or read in flight end
    session_.reset();
  }
  set_state(device_state::offline, "restarting after an internal error: " + std::string(error));
}

void device_printer::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  // Closing completes the hangup watch and a write or read in flight with operation_aborted.
  if (session_) session_->stream.close(ignored);
  wait_.cancel();
}

std::chrono::milliseconds device_printer::write_deadline(std::size_t) const { return opt_.write_timeout; }

device_printer::failure device_printer::classify(int err, bool) const {
  switch (err) {
    case EIO:
    case ENODEV:
    case ENXIO:
      return {std::errc::no_such_device, true, "device gone: " + strerror_text(err)};
    default:
      return {std::errc::io_error, false, strerror_text(err)};
  }
}

void device_printer::set_state(device_state s, std::string_view reason) {
  if (s == state_ && reason == reason_) return;
  state_ = s;
  reason_ = reason;
  if (!stopped_ && sink_.on_state) sink_.on_state(s, reason);
}

std::unexpected<error> device_printer::not_online() const {
  return fail(std::make_error_code(std::errc::not_connected),
              fmt::format("printer {} is {}: {}", cfg_.id, to_string(state_), reason_));
}

bool device_printer::still_there(const session& s) const {
  struct stat now {};
  if (::stat(cfg_.device.c_str(), &now) != 0) return false;
  return now.st_dev == s.node.st_dev && now.st_ino == s.node.st_ino;
}

void device_printer::end(const std::shared_ptr<session>& s, std::string why) {
  if (s->ended.empty()) s->ended = std::move(why);
  if (session_ == s) wait_.cancel();
}

asio::awaitable<void> device_printer::run() {
  auto self = shared_from_this();  // keeps *this alive for the whole coroutine
  while (!stopped_) {
    auto o = open_device();
    if (o) {
      auto s = std::make_shared<session>(ex_);
      ::fstat(o->fd, &s->node);
      boost::system::error_code ec;
      s->stream.assign(o->fd, ec);
      if (ec) {
        ::close(o->fd);
        set_state(device_state::error, fmt::format("cannot use {}: {}", cfg_.device, ec.message()));
      } else {
        s->readable = o->readable;
        session_ = s;
        set_state(device_state::online, o->description);
        // A session, not a loop: if it failed, the node check below still notices a loss.
        spawn_session(ex_, "printer " + cfg_.id + " hangup watch", watch_hangup(s));
        // Open until the device goes (end()) or stop(); look at the node now and then.
        while (s->ended.empty() && !stopped_) {
          wait_.expires_after(opt_.retry_interval);
          co_await wait_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
          if (s->ended.empty() && !stopped_ && !still_there(*s))
            end(s, cfg_.device + " is gone (unplugged?)");
        }
        session_.reset();
        s->stream.close(ec);  // a write or read still on it completes with operation_aborted
        if (stopped_) break;
        set_state(device_state::offline, s->ended);
      }
    } else {
      const int err = o.error().code.value();
      if (err == ENOENT || err == ENODEV || err == ENXIO)
        set_state(device_state::offline,
                  "waiting for " + cfg_.device + (err == ENOENT ? "" : ": " + strerror_text(err)));
      else
        set_state(device_state::error, o.error().context);
    }
    // After a loss too: a node that opens and hangs up at once must not spin.
    boost::system::error_code ec;
    wait_.expires_after(opt_.retry_interval);
    co_await wait_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<void> device_printer::watch_hangup(std::shared_ptr<session> s) {
  auto self = shared_from_this();
  // Completes on POLLHUP/POLLERR (and POLLPRI, which a tty or usblp does not
  // raise), or with operation_aborted when the session is closed.
  boost::system::error_code ec;
  co_await s->stream.async_wait(asio::posix::descriptor_base::wait_error,
                                asio::redirect_error(asio::use_awaitable, ec));
  if (ec || stopped_ || !s->ended.empty()) co_return;
  pollfd p{s->stream.native_handle(), POLLIN, 0};
  ::poll(&p, 1, 0);
  end(s, (p.revents & POLLHUP) ? cfg_.device + " hung up (unplugged?)" : cfg_.device + " reported an error");
}

asio::awaitable<result<std::size_t>> device_printer::write(std::span<const std::uint8_t> data) {
  auto self = shared_from_this();
  auto s = session_;
  if (!s || stopped_) co_return not_online();
  if (writing_)
    co_return fail(std::make_error_code(std::errc::device_or_resource_busy),
                   fmt::format("printer {}: a write is already in flight", cfg_.id));
  const auto limit = write_deadline(data.size());
  writing_ = true;
  const auto r = co_await within(ex_, limit, [&](auto token) {
    return asio::async_write(s->stream, asio::buffer(data.data(), data.size()), token);
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
                               cfg_.device, seconds(limit), sent));
  if (!s->ended.empty())
    co_return fail(std::make_error_code(std::errc::no_such_device),
                   fmt::format("printer {}: {}; {}", cfg_.id, s->ended, sent));
  const failure f = classify(errno_of(r.ec), true);
  if (f.gone) end(s, cfg_.device + ": " + f.what);
  co_return fail(std::make_error_code(f.code),
                 fmt::format("printer {}: writing to {} failed: {}; {}", cfg_.id, cfg_.device, f.what, sent));
}

asio::awaitable<result<std::size_t>> device_printer::read(std::span<std::uint8_t> into,
                                                         std::chrono::milliseconds timeout) {
  auto self = shared_from_this();
  auto s = session_;
  if (!s || stopped_) co_return not_online();
  if (!s->readable)
    co_return fail(std::make_error_code(std::errc::not_supported),
                   fmt::format("printer {}: {} cannot report status (opened write-only, or the printer is not "
                               "bidirectional)",
                               cfg_.id, cfg_.device));
  if (reading_)
    co_return fail(std::make_error_code(std::errc::device_or_resource_busy),
                   fmt::format("printer {}: a read is already in flight", cfg_.id));
  reading_ = true;
  const auto r = co_await within(ex_, timeout, [&](auto token) {
    return s->stream.async_read_some(asio::buffer(into.data(), into.size()), token);
  });
  reading_ = false;
  if (r.bytes > 0 || !r.ec) co_return r.bytes;
  if (stopped_)
    co_return fail(std::make_error_code(std::errc::operation_canceled),
                   fmt::format("printer {}: stopped while reading", cfg_.id));
  if (r.expired)
    co_return fail(std::make_error_code(std::errc::timed_out),
                   fmt::format("printer {} ({}) sent nothing within {} ms", cfg_.id, cfg_.device, timeout.count()));
  if (!s->ended.empty())
    co_return fail(std::make_error_code(std::errc::no_such_device), fmt::format("printer {}: {}", cfg_.id, s->ended));
  if (r.ec == asio::error::eof) {
    // A tty reads end-of-file after a hangup.
    end(s, cfg_.device + " hung up (unplugged?)");
    co_return fail(std::make_error_code(std::errc::no_such_device), fmt::format("printer {}: {}", cfg_.id, s->ended));
  }
  const failure f = classify(errno_of(r.ec), false);
  if (f.gone) end(s, cfg_.device + ": " + f.what);
  if (f.code == std::errc::not_supported) s->readable = false;
  co_return fail(std::make_error_code(f.code),
                 fmt::format("printer {}: reading from {} failed: {}", cfg_.id, cfg_.device, f.what));
}

}  // namespace ravao
