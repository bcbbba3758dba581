#include "drivers/usb/usb_hid_scanner.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>
#include <libusb.h>

#include "common/supervise.hpp"
#include "drivers/usb/hid_keyboard.hpp"
#include "drivers/usb/hid_pos.hpp"
#include "drivers/usb/interface_claim.hpp"
#include "drivers/usb/report_descriptor.hpp"
#include "drivers/usb/usb_transfer.hpp"
#include "common/log.hpp"

namespace ravao::usb {
namespace asio = boost::asio;

namespace {

constexpr unsigned control_timeout_ms = 1000;
constexpr int max_consecutive_errors = 10;

// wDescriptorLength of the Report descriptor, from the HID descriptor that
// follows the interface descriptor (HID 1.11, 6.2.1); 0 when absent.
std::size_t report_descriptor_length(const libusb_interface_descriptor& alt) {
  const unsigned char* p = alt.extra;
  int left = alt.extra_length;
  while (left >= 2 && p[0] >= 2 && p[0] <= left) {
    if (p[1] == 0x21 && p[0] >= 9) {
      const int n = p[5];
      for (int i = 0; i < n && 6 + 3 * i + 2 < p[0]; ++i)
        if (p[6 + 3 * i] == 0x22) return static_cast<std::size_t>(p[7 + 3 * i] | p[8 + 3 * i] << 8);
    }
    left -= p[0];
    p += p[0];
  }
  return 0;
}


}  // namespace

struct usb_hid_scanner::opened : opened_handle {
  std::uint8_t endpoint = 0;
  std::size_t read_length = 0;
  std::optional<hid_keyboard_decoder> keyboard;
  std::optional<hid_pos_decoder> pos;
  std::string description;
  bool wrong_size_noted = false;
};

usb_hid_scanner::usb_hid_scanner(scanner_config cfg, const driver_context& ctx, scanner_sink sink,
                                 std::chrono::milliseconds retry_interval)
    : cfg_(std::move(cfg)),
      ex_(ctx.executor),
      bus_(ctx.usb),
      bus_error_(ctx.usb_error),
      sink_(std::move(sink)),
      retry_interval_(retry_interval),
      retry_(ex_) {}

void usb_hid_scanner::start() {
  if (!bus_) {
    set_state(device_state::error, bus_error_.empty() ? "USB is not available" : bus_error_);
    return;
  }
  set_state(device_state::offline, "waiting for a USB scanner matching " + cfg_.usb.to_string());
  bus_->attach(*this);
  attached_ = true;
}

void usb_hid_scanner::stop() {
  stopped_ = true;
  if (attached_) bus_->detach(*this);
  attached_ = false;
  present_ = false;
  if (transfer_) transfer_->cancel();
  retry_.cancel();
  pending_.reset();
}

void usb_hid_scanner::on_usb_arrived(libusb_device* dev, const usb_device_info& info) {
  if (stopped_) return;
  pending_ = device_ref(dev);
  pending_info_ = info;
  if (!running_) {
    // Supervised (common/supervise.hpp), holding this source until run()
    // returns: no device left to serve, or stopped. After an exception,
    // reset() gives the device back to pending_ and a fresh run() claims it
    // again, as after a replug.
    running_ = true;
    spawn_supervised_loop(ex_, "scanner " + cfg_.id, shared_from_this(), &usb_hid_scanner::run,
                          &usb_hid_scanner::reset, &usb_hid_scanner::stopped_);
  }
}

void usb_hid_scanner::reset(std::string_view error) {
  // serve() unwound: its claim on the interface is released, its read is gone.
  if (!pending_ && present_) pending_ = std::move(serving_);
  serving_.reset();
  present_ = false;
  set_state(device_state::offline, "restarting after an internal error: " + std::string(error));
}

void usb_hid_scanner::on_usb_left() {
  present_ = false;
  pending_.reset();
  if (transfer_) transfer_->cancel();
  retry_.cancel();
}

void usb_hid_scanner::set_state(device_state s, std::string_view reason) {
  if (s == state_ && reason == reason_) return;
  state_ = s;
  reason_ = reason;
  if (!stopped_ && sink_.on_state) sink_.on_state(s, reason);
}

asio::awaitable<void> usb_hid_scanner::run() {
  auto self = shared_from_this();  // the session keeps the source alive
  while (!stopped_ && pending_) {
    serving_ = std::move(pending_);
    present_ = true;
    co_await serve(serving_.get(), pending_info_);
    serving_.reset();
  }
  running_ = false;
}

asio::awaitable<void> usb_hid_scanner::serve(libusb_device* dev, usb_device_info info) {
  const std::string where = fmt::format("{} at port {}", info.ids(), info.port);
  usb_bus::settle_backoff settle;
  while (!stopped_ && present_) {
    bool retry = false;
    auto o = open_device(dev, info, retry);
    if (const auto wait = o ? std::nullopt : settle.next(*bus_, dev, o.error())) {
      // Just plugged in: udev may not have applied the rules yet. No error
      // (no alarm) unless it lasts.
      log::debug("usb.access_pending", "USB device refused just after it arrived; trying again",
                 {{"scanner", cfg_.id}, {"usb_id", info.ids()}, {"port", info.port}});
      retry_.expires_after(*wait);
      boost::system::error_code ec;
      co_await retry_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    std::string why;
    if (o) {
      set_state(device_state::online, (*o)->description);
      why = co_await read_reports(**o);
      o->reset();  // releases the interface (usbhid back) and closes the handle
      if (stopped_ || !present_) break;
    } else {
      why = o.error().context;
    }
    if (why == "unplugged") set_state(device_state::offline, "unplugged: " + where);
    else set_state(device_state::error, why);
    // Not retried: a device whose descriptors we cannot use stays refused
    // until it is plugged in again (on_usb_left cancels the wait).
    retry_.expires_after(retry ? retry_interval_ : std::chrono::hours(24 * 365));
    boost::system::error_code ec;
    co_await retry_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (!stopped_) set_state(device_state::offline, "unplugged: " + where);
}

result<std::unique_ptr<usb_hid_scanner::opened>> usb_hid_scanner::open_device(libusb_device* dev,
                                                                              const usb_device_info& info,
                                                                              bool& retry) {
  retry = true;  // permission, busy, I/O: may get better while plugged in
  auto o = std::make_unique<opened>();
  o->bus = bus_;
  auto h = bus_->open(dev, info);
  if (!h) return std::unexpected(h.error());
  o->handle = *h;

  libusb_config_descriptor* cfgd = nullptr;
  if (const int rc = libusb_get_active_config_descriptor(dev, &cfgd); rc != 0)
    return fail(to_error_code(rc), describe_error(rc, "reading the configuration of", info));
  std::unique_ptr<libusb_config_descriptor, decltype(&libusb_free_config_descriptor)> cfg_guard(
      cfgd, &libusb_free_config_descriptor);

  // Every HID interface with an interrupt IN endpoint is a candidate; a HID
  // POS one is preferred (composite scanners offer both).
  std::vector<std::string> refusals;
  struct choice {
    int number;
    std::uint8_t endpoint;
    std::size_t packet;
    bool keyboard;
  };
  std::optional<choice> keyboard_choice;
  for (int i = 0; i < cfgd->bNumInterfaces; ++i) {
    const libusb_interface& itf = cfgd->interface[i];
    if (itf.num_altsetting < 1) continue;
    const libusb_interface_descriptor& alt = itf.altsetting[0];
    if (alt.bInterfaceClass != LIBUSB_CLASS_HID) continue;
    std::optional<std::uint8_t> ep;
    std::size_t packet = 0;
    for (int e = 0; e < alt.bNumEndpoints; ++e) {
      const auto& d = alt.endpoint[e];
      if ((d.bEndpointAddress & LIBUSB_ENDPOINT_IN) &&
          (d.bmAttributes & LIBUSB_TRANSFER_TYPE_MASK) == LIBUSB_TRANSFER_TYPE_INTERRUPT) {
        ep = d.bEndpointAddress;
        packet = d.wMaxPacketSize & 0x7ff;
        break;
      }
    }
    const int n = alt.bInterfaceNumber;
    if (!ep || packet == 0) {
      refusals.push_back(fmt::format("interface {} has no interrupt IN endpoint", n));
      continue;
    }
    auto claim = interface_claim::take(o->handle, n, info);
    if (!claim) return std::unexpected(claim.error());

    std::size_t len = report_descriptor_length(alt);
    if (len == 0 || len > 4096) len = 4096;
    std::vector<std::uint8_t> rd(len);
    const int got = libusb_control_transfer(
        o->handle, request_in_standard_interface,
        LIBUSB_REQUEST_GET_DESCRIPTOR, LIBUSB_DT_REPORT << 8, static_cast<std::uint16_t>(n), rd.data(),
        static_cast<std::uint16_t>(rd.size()), control_timeout_ms);
    if (got == LIBUSB_ERROR_NO_DEVICE || got == LIBUSB_ERROR_TIMEOUT || got == LIBUSB_ERROR_IO ||
        got == LIBUSB_ERROR_OVERFLOW || got == LIBUSB_ERROR_OTHER)  // may work next time
      return fail(to_error_code(got), describe_error(got, fmt::format("reading the report descriptor of interface {} of", n), info));
    if (got <= 0) {
      refusals.push_back(fmt::format("interface {}: no report descriptor ({})", n,
                                     got < 0 ? libusb_strerror(static_cast<libusb_error>(got)) : "empty"));
      continue;
    }
    rd.resize(static_cast<std::size_t>(got));
    auto parsed = parse_report_descriptor(rd);
    if (!parsed) {
      refusals.push_back(fmt::format("interface {}: {}", n, parsed.error().context));
      continue;
    }
    const descriptor_kind kind = classify(*parsed);
    const bool boot_keyboard_interface = alt.bInterfaceSubClass == 1 && alt.bInterfaceProtocol == 1;
    if (kind.kind == scanner_interface::hid_pos_scanner && cfg_.mode != usb_hid_mode::keyboard) {
      auto decoder = hid_pos_decoder::create(*parsed, cfg_.max_scan_bytes);
      if (!decoder) {
        refusals.push_back(fmt::format("interface {}: {}", n, decoder.error().context));
        continue;
      }
      // The longest input report of the interface (another report id may be
      // longer than the scanned-data one); never rounded up to whole packets,
      // which would merge a report of exactly one packet with the next.
      std::size_t report = 0;
      for (const auto& r : parsed->input_reports)
        report = std::max(report, r.byte_size() + (parsed->uses_report_ids ? 1 : 0));
      o->pos.emplace(std::move(*decoder));
      o->claim = std::move(*claim);
      o->endpoint = *ep;
      o->read_length = std::max(packet, report);
      o->description = fmt::format("HID POS scanner {} at port {} (interface {}{})", info.ids(), info.port, n,
                                   o->pos->layout().common_layout ? ", common report layout assumed" : "");
      return o;
    }
    const bool keyboard_ok = kind.kind == scanner_interface::boot_keyboard || boot_keyboard_interface;
    if (keyboard_ok && cfg_.mode != usb_hid_mode::pos) {
      if (!keyboard_choice) keyboard_choice = choice{n, *ep, packet, true};
      continue;  // a HID POS interface may follow
    }
    refusals.push_back(fmt::format("interface {} is {} ({}), not usable in mode {}", n,
                                   kind.kind == scanner_interface::hid_pos_scanner ? "HID POS"
                                   : keyboard_ok                                   ? "a keyboard"
                                                                                   : "neither keyboard nor HID POS",
                                   kind.reason, to_string(cfg_.mode)));
  }
  if (keyboard_choice) {
    auto claim = interface_claim::take(o->handle, keyboard_choice->number, info);
    if (!claim) return std::unexpected(claim.error());
    o->claim = std::move(*claim);
    // Boot protocol: the fixed 8-byte report the decoder reads; no repeat
    // reports while a key is held. Both requests are optional for devices.
    libusb_control_transfer(o->handle, request_out_class_interface,
                            0x0B /* SET_PROTOCOL */, 0 /* boot */, static_cast<std::uint16_t>(keyboard_choice->number),
                            nullptr, 0, control_timeout_ms);
    libusb_control_transfer(o->handle, request_out_class_interface,
                            0x0A /* SET_IDLE */, 0, static_cast<std::uint16_t>(keyboard_choice->number), nullptr, 0,
                            control_timeout_ms);
    o->keyboard.emplace(cfg_.max_scan_bytes);
    o->endpoint = keyboard_choice->endpoint;
    o->read_length = std::max<std::size_t>(keyboard_choice->packet, hid_keyboard_decoder::boot_report_bytes);
    o->description = fmt::format("keyboard-mode scanner {} at port {} (interface {})", info.ids(), info.port,
                                 keyboard_choice->number);
    return o;
  }
  retry = false;
  if (refusals.empty()) refusals.emplace_back("no HID interface");
  std::string all;
  for (const auto& r : refusals) all += (all.empty() ? "" : "; ") + r;
  return fail(std::make_error_code(std::errc::not_supported),
              fmt::format("refused USB device {} at port {}: {}", info.ids(), info.port, all));
}

asio::awaitable<std::string> usb_hid_scanner::read_reports(opened& o) {
  usb_transfer t(ex_, o.handle, o.endpoint, usb_transfer::kind::interrupt, o.read_length);
  transfer_ = &t;
  struct clear_on_exit {
    usb_transfer*& p;
    ~clear_on_exit() { p = nullptr; }
  } guard{transfer_};

  const auto deliver = [this](std::string_view line) {
    if (!stopped_ && sink_.on_frame) sink_.on_frame(line);
  };
  const keyboard_sink kb{
      [&](const keyboard_scan& s) {
        if (s.suspected_mangled_non_ascii && sink_.on_notice)
          sink_.on_notice("scanner.keyboard_mangled", s.hint);
        if (!s.bytes.empty()) deliver(s.bytes);
      },
      [this](std::size_t n, std::string_view head) {
        if (!stopped_ && sink_.on_overflow) sink_.on_overflow(n, head);
      }};
  const pos_sink ps{
      [&](const pos_scan& s) {
        std::string_view data = s.bytes;
        // A suffix the scanner was set up to send; frames never carry it.
        while (!data.empty() && (data.back() == '\r' || data.back() == '\n')) data.remove_suffix(1);
        if (data.empty()) return;
        deliver(s.symbology + std::string(data));
      },
      [this](std::string_view reason, std::size_t n) {
        if (stopped_) return;
        if (reason == "too_long") {
          if (sink_.on_overflow) sink_.on_overflow(n, {});
        } else if (sink_.on_notice) {
          sink_.on_notice("scanner.report_dropped",
                          fmt::format("HID POS report dropped ({}), {} bytes of scan lost", reason, n));
        }
      }};

  int errors = 0;
  while (!stopped_ && present_) {
    if (sink_.gate && !sink_.gate->is_open()) co_await sink_.gate->wait_open();
    if (stopped_ || !present_) break;
    auto [ec, n] = co_await t.async_run(o.read_length, std::chrono::milliseconds(0), asio::as_tuple(asio::use_awaitable));
    if (!ec) {
      errors = 0;
      const auto report = t.buffer().first(n);
      if (o.pos) {
        o.pos->feed(report, ps);
      } else if (o.keyboard->feed(report, kb) == keyboard_report_status::wrong_size && !o.wrong_size_noted) {
        o.wrong_size_noted = true;
        if (sink_.on_notice)
          sink_.on_notice("scanner.report_ignored",
                          fmt::format("keyboard report of {} bytes ignored (expected 8-byte boot reports)", n));
      }
      continue;
    }
    if (ec == boost::system::errc::broken_pipe) {
      // Stall: clear the halt and go on (hardware.md); outside libusb's event handling here.
      const int rc = libusb_clear_halt(o.handle, o.endpoint);
      log::warning("usb.stall", "endpoint stalled; halt cleared",
                   {{"scanner", cfg_.id}, {"endpoint", fmt::format("{:#04x}", o.endpoint)},
                    {"result", rc == 0 ? "ok" : libusb_strerror(static_cast<libusb_error>(rc))}});
      if (rc == LIBUSB_ERROR_NO_DEVICE) co_return "unplugged";
      // Counted like any failed read (reset by data): a device that stalls
      // every read is reopened after a pause rather than spun on.
      if (++errors >= max_consecutive_errors) co_return "endpoint keeps stalling";
      continue;
    }
    // The hotplug "left" event normally follows; a USB reset has none (serve() retries).
    if (ec == boost::system::errc::no_such_device) co_return "unplugged";
    if (ec == asio::error::operation_aborted) break;
    if (++errors >= max_consecutive_errors) co_return "reading reports failed repeatedly: " + ec.message();
  }
  // A partial scan cut by an unplug or a stop is not a scan (as for serial).
  co_return "stopped";
}

}  // namespace ravao::usb
