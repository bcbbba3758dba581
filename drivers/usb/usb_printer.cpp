#include "drivers/usb/usb_printer.hpp"

#include <algorithm>
#include <cstring>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>
#include <libusb.h>

#include "drivers/usb/usb_transfer.hpp"
#include "common/log.hpp"
#include "common/supervise.hpp"

namespace ravao::usb {
namespace asio = boost::asio;

namespace {

constexpr unsigned control_timeout_ms = 1000;

// IEEE 1284 device id as text safe for logs: printable ASCII only, at most 256 bytes.
std::string printable(const unsigned char* p, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n && out.size() < 256; ++i)
    out += (p[i] >= 0x20 && p[i] < 0x7f) ? static_cast<char>(p[i]) : '?';
  return out;
}

}  // namespace

usb_printer::usb_printer(printer_config cfg, const driver_context& ctx, printer_sink sink, usb_printer_options opt)
    : cfg_(std::move(cfg)),
      ex_(ctx.executor),
      bus_(ctx.usb),
      bus_error_(ctx.usb_error),
      sink_(std::move(sink)),
      opt_(opt),
      wait_(ex_) {}

void usb_printer::start() {
  if (!bus_) {
    set_state(device_state::error, bus_error_.empty() ? "USB is not available" : bus_error_);
    return;
  }
  set_state(device_state::offline, "waiting for a USB printer matching " + cfg_.usb.to_string());
  bus_->attach(*this);
  attached_ = true;
}

void usb_printer::stop() {
  stopped_ = true;
  if (attached_) bus_->detach(*this);
  attached_ = false;
  present_ = false;
  cancel_transfers();
  wait_.cancel();
  pending_.reset();
}

void usb_printer::cancel_transfers() {
  if (writing_) writing_->cancel();
  if (reading_) reading_->cancel();
}

void usb_printer::on_usb_arrived(libusb_device* dev, const usb_device_info& info) {
  if (stopped_) return;
  pending_ = device_ref(dev);
  pending_info_ = info;
  if (!running_) {
    // Supervised (common/supervise.hpp), holding this transport until run()
    // returns: no device left to serve, or stopped. After an exception,
    // reset() gives the device back to pending_ and a fresh run() claims it
    // again, as after a replug.
    running_ = true;
    spawn_supervised_loop(ex_, "printer " + cfg_.id, shared_from_this(), &usb_printer::run, &usb_printer::reset,
                          &usb_printer::stopped_);
  }
}

void usb_printer::reset(std::string_view error) {
  cancel_transfers();
  session_.reset();  // released when the last write/read using it returns
  if (!pending_ && present_) {
    pending_ = std::move(serving_);
    pending_info_ = info_;
  }
  serving_.reset();
  present_ = false;
  set_state(device_state::offline, "restarting after an internal error: " + std::string(error));
}

void usb_printer::on_usb_left() {
  present_ = false;
  pending_.reset();
  cancel_transfers();
  wait_.cancel();
}

void usb_printer::set_state(device_state s, std::string_view reason) {
  if (s == state_ && reason == reason_) return;
  state_ = s;
  reason_ = reason;
  if (!stopped_ && sink_.on_state) sink_.on_state(s, reason);
}

asio::awaitable<void> usb_printer::run() {
  auto self = shared_from_this();
  while (!stopped_ && pending_) {
    serving_ = std::move(pending_);
    libusb_device* dev = serving_.get();
    info_ = pending_info_;
    present_ = true;
    const std::string where = fmt::format("{} at port {}", info_.ids(), info_.port);
    usb_bus::settle_backoff settle;
    while (!stopped_ && present_) {
      bool retry = true;
      auto s = open_device(dev, info_, retry);
      if (const auto wait = s ? std::nullopt : settle.next(*bus_, dev, s.error())) {
        // Just plugged in: udev may not have applied the rules yet. No error
        // (no alarm) unless it lasts.
        log::debug("usb.access_pending", "USB device refused just after it arrived; trying again",
                   {{"usb_id", info_.ids()}, {"port", info_.port}});
        wait_.expires_after(*wait);
        boost::system::error_code ec;
        co_await wait_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      if (s) {
        session_ = *s;
        set_state(device_state::online,
                  fmt::format("printer {}{}{}", where, session_->in_endpoint ? ", bidirectional" : "",
                              device_id_.empty() ? "" : " (" + device_id_ + ")"));
      } else {
        set_state(device_state::error, s.error().context);
      }
      // Online: idle until unplugged or stopped (write/read do the work).
      // Error: wait to retry (or, for an unusable device, until it leaves).
      wait_.expires_after(s || !retry ? std::chrono::hours(24 * 365) : opt_.retry_interval);
      boost::system::error_code ec;
      co_await wait_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (!session_) continue;
      session_.reset();  // closed when the last write/read using it returns
      if (stopped_ || !present_) break;
      // A transfer saw NO_DEVICE (lost()) but the device was not reported
      // gone: an unplug whose "left" event is on its way, or a USB reset.
      // Offline, then try again (on_usb_left ends the wait for an unplug).
      set_state(device_state::offline, "unplugged: " + where);
      wait_.expires_after(opt_.retry_interval);
      co_await wait_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!stopped_) set_state(device_state::offline, "unplugged: " + where);
    serving_.reset();
  }
  running_ = false;
}

result<std::shared_ptr<usb_printer::session>> usb_printer::open_device(libusb_device* dev,
                                                                       const usb_device_info& info, bool& retry) {
  retry = true;
  auto s = std::make_shared<session>();
  s->bus = bus_;
  auto h = bus_->open(dev, info);
  if (!h) return std::unexpected(h.error());
  s->handle = *h;

  libusb_config_descriptor* cfgd = nullptr;
  if (const int rc = libusb_get_active_config_descriptor(dev, &cfgd); rc != 0)
    return fail(to_error_code(rc), describe_error(rc, "reading the configuration of", info));
  std::unique_ptr<libusb_config_descriptor, decltype(&libusb_free_config_descriptor)> guard(
      cfgd, &libusb_free_config_descriptor);

  for (int i = 0; i < cfgd->bNumInterfaces; ++i) {
    const libusb_interface& itf = cfgd->interface[i];
    // Protocol 1 unidirectional, 2 bidirectional; prefer the richest alternate setting offered.
    const libusb_interface_descriptor* best = nullptr;
    for (int a = 0; a < itf.num_altsetting; ++a) {
      const auto& alt = itf.altsetting[a];
      if (alt.bInterfaceClass != LIBUSB_CLASS_PRINTER || alt.bInterfaceSubClass != 1) continue;
      if (alt.bInterfaceProtocol != 1 && alt.bInterfaceProtocol != 2) continue;
      if (!best || alt.bInterfaceProtocol > best->bInterfaceProtocol) best = &alt;
    }
    if (!best) continue;
    std::optional<std::uint8_t> out, in;
    std::size_t in_packet = 64;
    for (int e = 0; e < best->bNumEndpoints; ++e) {
      const auto& d = best->endpoint[e];
      if ((d.bmAttributes & LIBUSB_TRANSFER_TYPE_MASK) != LIBUSB_TRANSFER_TYPE_BULK) continue;
      if (d.bEndpointAddress & LIBUSB_ENDPOINT_IN) {
        if (!in) {
          in = d.bEndpointAddress;
          in_packet = std::max<std::size_t>(d.wMaxPacketSize & 0x7ff, 8);
        }
      } else if (!out) {
        out = d.bEndpointAddress;
      }
    }
    if (!out) continue;
    auto claim = interface_claim::take(s->handle, best->bInterfaceNumber, info);
    if (!claim) return std::unexpected(claim.error());
    if (best->bAlternateSetting != 0) {
      if (const int rc = libusb_set_interface_alt_setting(s->handle, best->bInterfaceNumber, best->bAlternateSetting);
          rc != 0)
        return fail(to_error_code(rc),
                    describe_error(rc, fmt::format("selecting alternate setting {} of", best->bAlternateSetting), info));
    }
    s->claim = std::move(*claim);
    s->out_endpoint = *out;
    if (best->bInterfaceProtocol == 2) s->in_endpoint = in;
    s->in_packet = in_packet;

    // GET_DEVICE_ID (USB printer class 1.1, 4.2.1): two bytes of length, big endian, then the id.
    unsigned char buf[1024];
    const int n = libusb_control_transfer(
        s->handle, request_in_class_interface, 0,
        cfgd->bConfigurationValue - 1,
        static_cast<std::uint16_t>(best->bInterfaceNumber << 8 | best->bAlternateSetting), buf, sizeof buf,
        control_timeout_ms);
    if (n > 2) {
      // The length is the device's word: never trust it beyond what arrived.
      const std::size_t declared = static_cast<std::size_t>(buf[0] << 8 | buf[1]);
      const std::size_t got = static_cast<std::size_t>(n);
      const std::size_t end = declared >= 2 && declared <= got ? declared : got;
      device_id_ = printable(buf + 2, end - 2);
    } else {
      device_id_.clear();
    }
    return s;
  }
  retry = false;
  return fail(std::make_error_code(std::errc::not_supported),
              fmt::format("refused USB device {} at port {}: no printer-class interface with a bulk OUT endpoint",
                          info.ids(), info.port));
}

void usb_printer::lost(const std::shared_ptr<session>& s) {
  if (session_ == s) wait_.cancel();  // run() closes it now rather than at the hotplug event
}

std::unexpected<error> usb_printer::not_online() const {
  return fail(std::make_error_code(std::errc::not_connected),
              fmt::format("printer {} is {}: {}", cfg_.id, to_string(state_), reason_));
}

asio::awaitable<result<std::size_t>> usb_printer::write(std::span<const std::uint8_t> data) {
  auto self = shared_from_this();
  auto s = session_;
  if (!s || stopped_) co_return not_online();
  usb_transfer t(ex_, s->handle, s->out_endpoint, usb_transfer::kind::bulk,
                 std::max<std::size_t>(1, std::min(opt_.chunk_bytes, data.size())));
  std::size_t sent = 0;
  bool retried = false;
  while (sent < data.size()) {
    // stop() or an unplug between two chunks: the rest is not sent.
    if (stopped_ || session_ != s)
      co_return fail(std::make_error_code(std::errc::operation_canceled),
                     fmt::format("printer {}: stopped after {} of {} bytes", cfg_.id, sent, data.size()));
    const std::size_t n = std::min(t.buffer().size(), data.size() - sent);
    std::memcpy(t.buffer().data(), data.data() + sent, n);
    writing_ = &t;
    auto [ec, done] = co_await t.async_run(n, opt_.chunk_timeout, asio::as_tuple(asio::use_awaitable));
    writing_ = nullptr;
    sent += std::min(done, n);
    if (!ec) {
      retried = false;
      continue;
    }
    if (ec == boost::system::errc::broken_pipe && !retried && !stopped_) {
      retried = true;
      const int rc = libusb_clear_halt(s->handle, s->out_endpoint);
      log::warning("usb.stall", "printer endpoint stalled; halt cleared",
                   {{"printer", cfg_.id}, {"endpoint", fmt::format("{:#04x}", s->out_endpoint)},
                    {"result", rc == 0 ? "ok" : libusb_strerror(static_cast<libusb_error>(rc))}});
      if (rc == 0) continue;
    }
    if (ec == boost::system::errc::no_such_device) lost(s);
    co_return fail(ec, fmt::format("printer {}: writing failed after {} of {} bytes", cfg_.id, sent, data.size()));
  }
  co_return sent;
}

asio::awaitable<result<std::size_t>> usb_printer::read(std::span<std::uint8_t> into,
                                                      std::chrono::milliseconds timeout) {
  auto self = shared_from_this();
  auto s = session_;
  if (!s || stopped_) co_return not_online();
  if (!s->in_endpoint)
    co_return fail(std::make_error_code(std::errc::not_supported),
                   fmt::format("printer {} is not bidirectional: it cannot report status over USB", cfg_.id));
  // Whole packets: a shorter bulk IN could overflow. Bytes beyond `into`
  // are dropped (status replies are a few bytes).
  usb_transfer t(ex_, s->handle, *s->in_endpoint, usb_transfer::kind::bulk, s->in_packet);
  reading_ = &t;
  // libusb reads a timeout of 0 as "forever"; the contract is "within timeout".
  const auto limit = std::max(timeout, std::chrono::milliseconds(1));
  auto [ec, n] = co_await t.async_run(s->in_packet, limit, asio::as_tuple(asio::use_awaitable));
  reading_ = nullptr;
  if (ec == boost::system::errc::no_such_device) lost(s);
  if (ec == boost::system::errc::broken_pipe && session_ == s) {
    const int rc = libusb_clear_halt(s->handle, *s->in_endpoint);
    log::warning("usb.stall", "printer status endpoint stalled; halt cleared",
                 {{"printer", cfg_.id}, {"endpoint", fmt::format("{:#04x}", *s->in_endpoint)},
                  {"result", rc == 0 ? "ok" : libusb_strerror(static_cast<libusb_error>(rc))}});
  }
  if (ec) co_return fail(ec, fmt::format("printer {}: reading status failed", cfg_.id));
  const std::size_t k = std::min(n, into.size());
  std::memcpy(into.data(), t.buffer().data(), k);
  co_return k;
}

}  // namespace ravao::usb
