#include "usb_access.hpp"

#include <algorithm>

#include "common/log.hpp"

namespace ravao {
namespace {

bool needs_usb(const config& c) {
  return std::ranges::any_of(c.scanners, [](const auto& s) { return s.kind == scanner_kind::usb_hid; }) ||
         std::ranges::any_of(c.printers, [](const auto& p) { return p.kind == printer_kind::usb; });
}

}  // namespace

driver_context usb_access::drivers(const config& c) {
  if (!tried_ && needs_usb(c)) {
    tried_ = true;
    if (auto bus = usb::usb_bus::open(ex_)) {
      bus_ = std::move(*bus);
      error_.clear();
    } else {
      error_ = bus.error().message();
      log::error("usb.unavailable", "USB devices cannot be used", {{"error", error_}});
    }
  }
  return driver_context{ex_, bus_.get(), error_};
}

void usb_access::retry_if_unavailable() {
  if (!bus_) tried_ = false;
}

std::vector<usb::usb_bus::device_entry> usb_access::devices() const {
  if (!bus_) return {};
  return bus_->devices();
}

}  // namespace ravao
