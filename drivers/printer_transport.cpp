#include "drivers/printer_transport.hpp"

#include "drivers/usb/usb_printer.hpp"

namespace ravao {

std::shared_ptr<printer_transport> make_printer_transport(const printer_config& cfg, const driver_context& ctx,
                                                          printer_sink sink) {
  switch (cfg.kind) {
    case printer_kind::usb: return std::make_shared<usb::usb_printer>(cfg, ctx, std::move(sink));
    case printer_kind::lp:
    case printer_kind::tcp:
    case printer_kind::serial:
    case printer_kind::file: break;  // the slip-printing work adds these
  }
  return nullptr;
}

}  // namespace ravao
