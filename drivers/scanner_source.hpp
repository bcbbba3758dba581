#pragma once
// The scanner seam: a source turns a device into raw scan lines. Framing
// (line_framer) happens here because only the source knows where its bytes
// end; sanitizing, classification and recording are the daemon's, identical
// for every kind of source.
//
// Contract: callbacks run on the executor given to make_scanner(), never
// after stop() returned. start() and stop() are called on that executor.

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "drivers/device_config.hpp"
#include "drivers/flow_gate.hpp"

namespace ravao {

enum class device_state { starting, online, offline, error };
std::string_view to_string(device_state s);  // "starting", "online", "offline", "error"

struct scanner_sink {
  std::function<void(std::string_view raw_line)> on_frame;
  std::function<void(std::size_t discarded_bytes, std::string_view head)> on_overflow;
  // Called on every change; reason says why in words ("device gone: Input/output error").
  std::function<void(device_state, std::string_view reason)> on_state;
  // Waited on before every read; may be null (never closed).
  std::shared_ptr<flow_gate> gate;
  // Something the operator should act on that is not a state change, e.g.
  // event "scanner.keyboard_mangled" with a hint to switch the scanner's
  // mode. May be null.
  std::function<void(std::string_view event, std::string_view message)> on_notice;
};

class scanner_source {
 public:
  virtual ~scanner_source() = default;
  virtual void start() = 0;
  virtual void stop() = 0;
};

namespace usb {
class usb_bus;
}

// What sources share: the loop's executor and, for USB kinds, the bus (null
// when USB is unavailable: then a USB source reports `usb_error` as its state).
struct driver_context {
  boost::asio::any_io_executor executor;
  usb::usb_bus* usb = nullptr;
  std::string usb_error;
};

// Unknown or unsupported kinds are an error from config validation; this
// function is only called with a validated config.
std::shared_ptr<scanner_source> make_scanner(const scanner_config& cfg, const driver_context& ctx,
                                             scanner_sink sink);

}  // namespace ravao
