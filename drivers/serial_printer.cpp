#include "drivers/serial_printer.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "drivers/tty.hpp"

namespace ravao {

serial_printer::serial_printer(printer_config cfg, boost::asio::any_io_executor ex, printer_sink sink,
                               device_printer_options opt)
    : device_printer(std::move(cfg), std::move(ex), std::move(sink), opt) {}

result<device_printer::opened> serial_printer::open_device() {
  auto fd = open_raw_tty(cfg().device, cfg().baud);
  if (!fd) return std::unexpected(fd.error());
  return opened{.fd = *fd, .readable = true,
                .description = fmt::format("opened {} ({} baud, 8N1)", cfg().device, cfg().baud)};
}

std::chrono::milliseconds serial_printer::write_deadline(std::size_t bytes) const {
  // 10 bits a byte on the wire (start, 8 data, stop).
  const auto wire = std::chrono::milliseconds(bytes * 10 * 1000 / std::max(cfg().baud, 1u));
  return options().write_timeout + wire;
}

}  // namespace ravao
