#include "drivers/scanner_source.hpp"

#include <stdexcept>

#include "drivers/serial_scanner.hpp"
#include "drivers/stdin_scanner.hpp"
#include "drivers/usb/usb_hid_scanner.hpp"

namespace ravao {

std::string_view to_string(device_state s) {
  switch (s) {
    case device_state::starting: return "starting";
    case device_state::online: return "online";
    case device_state::offline: return "offline";
    case device_state::error: return "error";
  }
  return "error";
}

std::shared_ptr<scanner_source> make_scanner(const scanner_config& cfg, const driver_context& ctx,
                                             scanner_sink sink) {
  switch (cfg.kind) {
    case scanner_kind::serial:
      return std::make_shared<serial_scanner>(cfg, ctx.executor, std::move(sink));
    case scanner_kind::stdin_:
      return std::make_shared<stdin_scanner>(cfg, ctx.executor, std::move(sink));
    case scanner_kind::usb_hid:
      return std::make_shared<usb::usb_hid_scanner>(cfg, ctx, std::move(sink));
  }
  // Config validation refuses kinds this build cannot drive; reaching this
  // is a bug, never a silent fallback.
  throw std::logic_error("make_scanner: unsupported scanner kind " + std::string(to_string(cfg.kind)));
}

}  // namespace ravao
