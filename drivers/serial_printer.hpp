#pragma once
// `[[printer]] kind = "serial"`: a printer on a tty (RS-232, a USB-serial
// bridge, or a printer that enumerates as CDC-ACM), `device` and `baud`.
//
// Opened like the serial scanner (open_raw_tty, drivers/tty.hpp): raw 8N1,
// no flow control, exclusive. Status replies come back on the same line, so
// can_read() is true while it is open. Everything else (missing device,
// hangup, reopen, deadlines, stop) is device_printer's.
//
// The write deadline is write_timeout plus the time the bytes take on the
// wire at the configured rate: a 4.6 KB band of an 80 mm slip takes about
// 5 s at 9600 baud, and a deadline physics cannot meet would fail every job.

#include "drivers/device_printer.hpp"

namespace ravao {

class serial_printer final : public device_printer {
 public:
  serial_printer(printer_config cfg, boost::asio::any_io_executor ex, printer_sink sink,
                 device_printer_options opt = {});

 private:
  result<opened> open_device() override;
  std::chrono::milliseconds write_deadline(std::size_t bytes) const override;
};

}  // namespace ravao
