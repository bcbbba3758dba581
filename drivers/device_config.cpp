#include "drivers/device_config.hpp"

#include <fmt/format.h>

#include <span>

namespace ravao {
namespace {

template <class E>
std::string_view spelling(std::span<const std::string_view> names, E e) {
  const auto i = static_cast<std::size_t>(e);
  return i < names.size() ? names[i] : std::string_view{"?"};
}

}  // namespace

std::string_view to_string(scanner_kind k) { return spelling(scanner_kind_names, k); }
std::string_view to_string(usb_hid_mode m) { return spelling(usb_hid_mode_names, m); }
std::string_view to_string(printer_kind k) { return spelling(printer_kind_names, k); }

std::string usb_match::to_string() const {
  std::string out;
  const auto add = [&out](const std::string& part) { out += (out.empty() ? "" : ", ") + part; };
  if (vendor && product) add(fmt::format("usb_id {:04x}:{:04x}", *vendor, *product));
  if (!serial.empty()) add("serial " + serial);
  if (!port.empty()) add("port " + port);
  return out.empty() ? "any" : out;
}

}  // namespace ravao
