#include "drivers/usb/usb_bus.hpp"

#include <algorithm>
#include <fstream>

#include <boost/asio/post.hpp>
#include <libusb.h>

#include "common/log.hpp"

namespace ravao::usb {
namespace asio = boost::asio;

opened_handle::~opened_handle() {
  claim.release();
  if (handle) bus->close(handle);
}

result<std::unique_ptr<usb_bus>> usb_bus::open(asio::any_io_executor ex) {
  libusb_context* ctx = nullptr;
  if (const int rc = libusb_init(&ctx); rc != 0)
    return fail(to_error_code(rc), std::string("USB is not available (libusb_init: ") +
                                       libusb_strerror(static_cast<libusb_error>(rc)) + ")");
  if (!libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) {
    libusb_exit(ctx);
    return fail(std::make_error_code(std::errc::not_supported), "USB hotplug is not supported by libusb here");
  }
  std::unique_ptr<usb_bus> bus(new usb_bus(std::move(ex), ctx));
  const auto on_event = [](libusb_context*, libusb_device* dev, libusb_hotplug_event event, void* self) -> int {
    // Inside libusb (event handling, or registration for the devices already
    // present): only take a reference and continue on the loop.
    auto* me = static_cast<usb_bus*>(self);
    libusb_ref_device(dev);
    const bool arrived = event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED;
    asio::post(me->ex_, [me, dev, arrived] {
      me->on_hotplug(dev, arrived);
      libusb_unref_device(dev);
    });
    return 0;  // stay registered
  };
  libusb_hotplug_callback_handle handle = 0;
  const int rc = libusb_hotplug_register_callback(
      ctx, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT, LIBUSB_HOTPLUG_ENUMERATE,
      LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY, on_event, bus.get(), &handle);
  if (rc != 0)
    return fail(to_error_code(rc), std::string("cannot watch USB hotplug events: ") +
                                       libusb_strerror(static_cast<libusb_error>(rc)));
  bus->hotplug_handle_ = handle;
  bus->hotplug_registered_ = true;
  return bus;
}

usb_bus::usb_bus(asio::any_io_executor ex, libusb_context* ctx)
    : ex_(std::move(ex)), ctx_(ctx), events_(std::make_unique<libusb_events>(ex_, ctx)), grace_timer_(ex_) {}

usb_bus::~usb_bus() {
  if (hotplug_registered_) libusb_hotplug_deregister_callback(ctx_, hotplug_handle_);
  for (auto& p : devices_) libusb_unref_device(p.dev);
  devices_.clear();
  events_.reset();
  if (open_handles_ > 0) {
    // Shutdown gave up on some device: running libusb's callbacks now would
    // complete transfers into sessions that are being destroyed. Leave the
    // context to the process exit.
    return;
  }
  // Hotplug messages that arrived after the loop stopped watching are freed
  // only by event handling (libusb_exit leaves them).
  timeval zero{0, 0};
  libusb_handle_events_timeout_completed(ctx_, &zero, nullptr);
  libusb_exit(ctx_);
}

void usb_bus::attach(usb_client& c) {
  clients_.push_back(&c);
  asio::post(ex_, [this] { assign(); });
}

void usb_bus::detach(usb_client& c) {
  std::erase(clients_, &c);
  bool freed = false;
  for (auto& p : devices_) {
    if (p.owner == &c) {
      p.owner = nullptr;
      p.releasing = p.open_handles > 0;  // offered again when the client's handle is closed
      freed = !p.releasing;
    }
  }
  if (freed) asio::post(ex_, [this] { assign(); });
}

result<libusb_device_handle*> usb_bus::open(libusb_device* dev, const usb_device_info& d) {
  libusb_device_handle* h = nullptr;
  if (const int rc = libusb_open(dev, &h); rc != 0) return fail(to_error_code(rc), describe_error(rc, "opening", d));
  ++open_handles_;
  handles_[h] = dev;
  if (auto it = std::ranges::find(devices_, dev, &present::dev); it != devices_.end()) ++it->open_handles;
  return h;
}

void usb_bus::close(libusb_device_handle* h) {
  if (!h) return;
  libusb_close(h);
  --open_handles_;
  if (auto hit = handles_.find(h); hit != handles_.end()) {
    auto it = std::ranges::find(devices_, hit->second, &present::dev);
    handles_.erase(hit);
    if (it != devices_.end() && --it->open_handles == 0 && it->releasing) {
      it->releasing = false;
      asio::post(ex_, [this] { assign(); });
    }
  }
  maybe_finish_shutdown();
}

void usb_bus::shutdown(std::chrono::milliseconds grace, std::function<void()> gave_up) {
  if (shutting_down_) return;
  shutting_down_ = true;
  if (hotplug_registered_) {
    libusb_hotplug_deregister_callback(ctx_, hotplug_handle_);
    hotplug_registered_ = false;
  }
  grace_timer_.expires_after(grace);
  grace_timer_.async_wait([this, gave_up = std::move(gave_up)](boost::system::error_code ec) {
    if (ec) return;
    events_->stop();
    if (open_handles_ > 0) {
      log::warning("usb.shutdown_timeout", "USB devices still open at shutdown; leaving them to the kernel",
                   {{"open", std::to_string(open_handles_)}});
      if (gave_up) gave_up();
    }
  });
  maybe_finish_shutdown();
}

void usb_bus::maybe_finish_shutdown() {
  if (!shutting_down_ || open_handles_ > 0) return;
  grace_timer_.cancel();
  events_->stop();
}

bool usb_bus::udev_may_be_settling(libusb_device* dev) const {
  auto it = std::ranges::find(devices_, dev, &present::dev);
  return it != devices_.end() && std::chrono::steady_clock::now() - it->arrived < udev_grace_;
}

std::vector<usb_bus::device_entry> usb_bus::devices() const {
  std::vector<device_entry> out;
  for (const auto& p : devices_) {
    if (p.info.port.empty() || p.info.has_class(LIBUSB_CLASS_HUB)) continue;
    out.push_back({p.info, p.owner ? p.owner->usb_name() : std::string()});
  }
  std::ranges::sort(out, {}, [](const device_entry& e) { return std::pair(e.info.bus, e.info.port); });
  return out;
}

void usb_bus::on_hotplug(libusb_device* dev, bool arrived) {
  if (shutting_down_) return;
  auto it = std::ranges::find(devices_, dev, &present::dev);
  if (arrived) {
    if (it != devices_.end()) return;  // enumerated and announced twice
    libusb_ref_device(dev);
    devices_.push_back({dev, describe(dev), nullptr, false});
    const auto& info = devices_.back().info;
    log::debug("usb.arrived", "USB device connected",
               {{"usb_id", info.ids()}, {"port", info.port}, {"bus", std::to_string(info.bus)},
                {"address", std::to_string(info.address)}});
    assign();
    return;
  }
  if (it == devices_.end()) return;
  usb_client* owner = it->owner;
  log::debug("usb.left", "USB device disconnected", {{"usb_id", it->info.ids()}, {"port", it->info.port}});
  libusb_unref_device(it->dev);
  devices_.erase(it);
  std::erase_if(handles_, [dev](const auto& h) { return h.second == dev; });
  if (owner) owner->on_usb_left();
  assign();  // the freed client may take another present device
}

void usb_bus::read_serial(present& p) {
  libusb_device_descriptor dd{};
  if (libusb_get_device_descriptor(p.dev, &dd) != 0 || dd.iSerialNumber == 0) {
    p.serial_read = true;  // the device has none
    return;
  }
  // The kernel's copy (UTF-8, world-readable): no I/O on the device and no
  // permission needed.
  if (!p.info.port.empty()) {
    if (std::ifstream in("/sys/bus/usb/devices/" + p.info.port + "/serial"); in) {
      std::string serial;
      std::getline(in, serial);
      if (!serial.empty() && serial.size() <= 255) {
        p.info.serial = serial;
        p.serial_read = true;
        return;
      }
    }
  }
  libusb_device_handle* h = nullptr;
  if (const int rc = libusb_open(p.dev, &h); rc != 0) {
    // Tried again at the next assignment round (a udev rule may come).
    log::warning("usb.serial_unknown", "cannot read a USB device's serial number to match it",
                 {{"error", describe_error(rc, "opening", p.info)}});
    return;
  }
  unsigned char buf[256];
  const int n = libusb_get_string_descriptor_ascii(h, dd.iSerialNumber, buf, sizeof buf);
  libusb_close(h);
  if (n > 0) p.info.serial = std::string(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
  p.serial_read = n > 0;
}

void usb_bus::assign() {
  if (shutting_down_) return;
  for (auto& p : devices_) {
    if (p.owner || p.releasing) continue;
    usb_client* best = nullptr;
    int best_precision = -1;
    for (usb_client* c : clients_) {
      if (!p.info.has_class(c->usb_interface_class())) continue;
      if (std::ranges::any_of(devices_, [c](const present& q) { return q.owner == c; })) continue;
      const usb_match& m = c->usb_criteria();
      if (needs_serial(m) && !p.serial_read) {
        // Read it only once the other criteria agree: never open a device
        // nobody asked for.
        usb_match without_serial = m;
        without_serial.serial.clear();
        if (match_precision(without_serial, p.info) < 0) continue;
        read_serial(p);
      }
      const int precision = match_precision(m, p.info);
      if (precision > best_precision) {
        best = c;
        best_precision = precision;
      }
    }
    if (!best) continue;
    p.owner = best;
    log::info("usb.assigned", "USB device assigned",
              {{"device", best->usb_name()}, {"usb_id", p.info.ids()}, {"port", p.info.port},
               {"matched_by", best->usb_criteria().to_string()}});
    best->on_usb_arrived(p.dev, p.info);
  }
}

}  // namespace ravao::usb
