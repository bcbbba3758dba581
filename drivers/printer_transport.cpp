#include "drivers/printer_transport.hpp"

#include "drivers/file_printer.hpp"
#include "drivers/lp_printer.hpp"
#include "drivers/serial_printer.hpp"
#include "drivers/tcp_printer.hpp"
#include "drivers/usb/usb_printer.hpp"

namespace ravao {

std::shared_ptr<printer_transport> make_printer_transport(const printer_config& cfg, const driver_context& ctx,
                                                          printer_sink sink) {
  switch (cfg.kind) {
    case printer_kind::usb: return std::make_shared<usb::usb_printer>(cfg, ctx, std::move(sink));
    case printer_kind::lp: return std::make_shared<lp_printer>(cfg, ctx.executor, std::move(sink));
    case printer_kind::tcp: return std::make_shared<tcp_printer>(cfg, ctx.executor, std::move(sink));
    case printer_kind::serial: return std::make_shared<serial_printer>(cfg, ctx.executor, std::move(sink));
    case printer_kind::file: return std::make_shared<file_printer>(cfg, ctx.executor, std::move(sink));
  }
  return nullptr;
}

}  // namespace ravao
